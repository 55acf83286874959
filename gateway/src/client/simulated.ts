// A simulated WhatsApp behind the client port: no browser, no network. `--client simulated` runs the real
// gateway (HTTP API, send queue, webhook queue on disk, signatures, restarts) on it, so the n8n templates
// can be tested end to end and tried in the sandbox where whatsapp-web.js cannot reach WhatsApp. The
// unit tests' fake client (test/fakeClient.ts) is this class with knobs for every failure.
//
// SimulatedWhatsApp is what outlives one client: the phone and its login, the customers, the log of what
// was sent. The session makes a new client at every (re)start; the control routes (src/simulatorRoutes.ts)
// drive whichever client it runs now.

import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { profileDir } from '../profile';
import type { WaClientFactory, WaClientHandlers, WaClientOptions, WaClientPort, WaMe, WaMedia, WaMessage, WaSent } from './port';

/** A message that went out through the client, as the control route GET /simulator/sent lists it. */
export interface SimulatedSend {
	id: string;
	chatId: string;
	text?: string;
	caption?: string;
	media?: WaMedia;
	at: Date;
}

/** What a customer sends in (POST /simulator/messages), already checked. */
export interface IncomingSimulated {
	/** `…@c.us` or `…@lid` */
	sender: string;
	body: string;
	senderName?: string;
	/** For a `…@lid` sender: the phone number WhatsApp would give for it. */
	phone?: string;
	/** `…@g.us`: the message is in that group, written by `sender`. */
	group?: string;
}

/** The failures POST /simulator/fail can drive, each seen by the session as the real engine shows it. */
export const SIMULATED_FAILURES = [
	'cannot_reach_whatsapp_web',
	'browser_launch_failed',
	'profile_locked',
	'whatsapp_web_incompatible',
	'auth_failure',
	'timeout',
] as const;
export type SimulatedFailure = (typeof SIMULATED_FAILURES)[number];

/** Start failures: what whatsapp-web.js 1.34.7 rejects initialize() with (gateway/README.md, "Why a session fails"). */
const START_ERRORS: Partial<Record<SimulatedFailure, (profile: string) => unknown>> = {
	cannot_reach_whatsapp_web: () => new Error('net::ERR_NAME_NOT_RESOLVED at https://web.whatsapp.com/'),
	browser_launch_failed: () => new Error('Failed to launch the browser process! (simulated)'),
	profile_locked: (profile) => new Error(`The browser is already running for ${profile}. Use a different \`userDataDir\` or stop the running browser first.`),
	// whatsapp-web.js rejects with a bare string here, not an Error.
	whatsapp_web_incompatible: () => 'auth timeout',
};

/** WhatsApp's pairing codes: 8 characters from an alphabet without look-alikes (0/O, 1/I). */
const PAIRING_ALPHABET = '123456789ABCDEFGHJKLMNPQRSTVWXYZ';
const LOGIN_FILE = 'simulated-login.json';

export interface SimulatedWhatsAppOptions {
	/** The linked account. */
	me?: WaMe;
	/** WhatsApp Web shows a new QR code about every 20 s until it is scanned. */
	qrIntervalMs?: number;
}

export class SimulatedWhatsApp {
	readonly me: WaMe;
	/** Every message sent through a client since this process started, oldest first. */
	readonly sent: SimulatedSend[] = [];
	/** Linked IDs whose phone number WhatsApp gives (filled by incoming messages). */
	readonly lidPhones = new Map<string, string>();
	/** Numbers (digits) that wrote to this account: on WhatsApp whatever they end with. */
	readonly knownNumbers = new Set<string>();
	readonly qrIntervalMs: number;
	/** A start failure every new client meets until cleared (the network stays down until it comes back). */
	startFailure: SimulatedFailure | null = null;
	/** The next client that opens a saved login is refused (once: the session deletes the login). */
	refuseNextLogin = false;
	private live: SimulatedClient | null = null;

	constructor(options: SimulatedWhatsAppOptions = {}) {
		this.me = options.me ?? { id: '15550000000@c.us', name: 'Sandbox Shop' };
		this.qrIntervalMs = options.qrIntervalMs ?? 20_000;
	}

	readonly createClient: WaClientFactory = (options) => new SimulatedClient(options, this);

	/** The client the session runs now, or null (stopped, failed, between restarts). */
	get current(): SimulatedClient | null {
		return this.live;
	}

	/** @internal a client reports itself live or gone */
	attach(client: SimulatedClient | null, leaving?: SimulatedClient): void {
		if (client || this.live === leaving) this.live = client;
	}

	/** Writes the saved login as LocalAuth would keep it, so the next start is linked without a QR. */
	markLinked(authDir: string, clientId: string): void {
		const dir = profileDir(authDir, clientId);
		mkdirSync(dir, { recursive: true });
		writeFileSync(path.join(dir, LOGIN_FILE), JSON.stringify({ me: this.me, linkedAt: new Date().toISOString() }));
	}

	forgetLogin(authDir: string, clientId: string): void {
		rmSync(path.join(profileDir(authDir, clientId), LOGIN_FILE), { force: true });
	}

	isLinked(authDir: string, clientId: string): boolean {
		return existsSync(path.join(profileDir(authDir, clientId), LOGIN_FILE));
	}

	/** The number (digits) behind a chat ID or a bare number, as WhatsApp would check it. */
	isOnWhatsApp(digits: string): boolean {
		return this.knownNumbers.has(digits) || (/^\d{8,15}$/.test(digits) && !digits.endsWith('0000'));
	}

	startError(profile: string): unknown {
		const make = this.startFailure ? START_ERRORS[this.startFailure] : undefined;
		return make ? make(profile) : null;
	}

	/** A customer's message reaches the linked account. Returns its WhatsApp message ID. */
	receive(input: IncomingSimulated): string {
		const client = this.linkedClient();
		if (input.sender.endsWith('@lid') && input.phone) this.lidPhones.set(input.sender, input.phone);
		const number = input.sender.endsWith('@c.us') ? input.sender.split('@')[0] : input.phone;
		if (number) this.knownNumbers.add(number);
		const chatId = input.group ?? input.sender;
		// In a group WhatsApp appends the author to the ID: false_<group>_<id>_<author>.
		const id = `false_${chatId}_${messageKey()}${input.group ? `_${input.sender}` : ''}`;
		client.handlers.message({
			...baseMessage(),
			id,
			chatId,
			from: chatId,
			author: input.group ? input.sender : null,
			body: input.body,
			senderName: input.senderName ?? null,
		});
		return id;
	}

	/** The business types a message on the linked phone (not through the gateway). */
	typeOnPhone(chatId: string, body: string): string {
		const client = this.linkedClient();
		const id = `true_${chatId}_${messageKey()}`;
		client.handlers.ownMessage({ ...baseMessage(), id, chatId, from: this.me.id, fromMe: true, body });
		return id;
	}

	private linkedClient(): SimulatedClient {
		const client = this.live;
		if (!client?.isLinked) throw new SimulatorStateError('The simulated phone is not linked: POST /simulator/link while the QR code is pending, then try again.');
		return client;
	}
}

export class SimulatedClient implements WaClientPort {
	readonly handlers: WaClientHandlers;
	destroyed = false;
	private linked = false;
	private qrTimer: NodeJS.Timeout | null = null;
	private qrCount = 0;
	private opened = false;

	constructor(
		readonly options: WaClientOptions,
		readonly phone: SimulatedWhatsApp,
	) {
		this.handlers = options.handlers;
	}

	get isLinked(): boolean {
		return this.linked && !this.destroyed;
	}

	/** A QR code or a pairing code is on screen and the phone can link. */
	get isPending(): boolean {
		return this.opened && !this.linked && !this.destroyed;
	}

	async initialize(): Promise<void> {
		const failure = this.phone.startError(profileDir(this.options.authDir, this.options.clientId));
		if (failure) throw failure;
		this.phone.attach(this);
		// whatsapp-web.js resolves initialize() before its first qr or ready event.
		setImmediate(() => this.open());
	}

	private open(): void {
		if (this.destroyed) return;
		this.opened = true;
		const { authDir, clientId } = this.options;
		if (this.phone.isLinked(authDir, clientId)) {
			if (this.phone.refuseNextLogin) {
				this.phone.refuseNextLogin = false;
				return this.handlers.authFailure('Unable to log in: the saved session was refused (simulated).');
			}
			return this.completeLink();
		}
		this.showQr();
		this.qrTimer = setInterval(() => this.showQr(), this.phone.qrIntervalMs);
	}

	private showQr(): void {
		// The real one is `<ref>,<noise key>,<identity key>,<adv secret>`; this one says what it is.
		this.handlers.qr(`SIMULATED-QR,${++this.qrCount},${randomBytes(12).toString('base64url')}`);
	}

	/** The phone scanned the QR code or typed the pairing code. */
	link(): void {
		this.phone.markLinked(this.options.authDir, this.options.clientId);
		this.completeLink();
	}

	private completeLink(): void {
		this.stopQr();
		this.linked = true;
		this.handlers.authenticated();
		this.handlers.ready(this.phone.me);
	}

	/** The phone removed the linked device. */
	unlink(): void {
		this.phone.forgetLogin(this.options.authDir, this.options.clientId);
		this.linked = false;
		this.handlers.disconnected('UNPAIRED');
	}

	/** WhatsApp Web lost its connection (the session restarts). */
	dropConnection(): void {
		this.handlers.disconnected('TIMEOUT');
	}

	private stopQr(): void {
		if (this.qrTimer) clearInterval(this.qrTimer);
		this.qrTimer = null;
	}

	async destroy(): Promise<void> {
		this.destroyed = true;
		this.stopQr();
		this.phone.attach(null, this);
	}

	async logout(): Promise<void> {
		this.phone.forgetLogin(this.options.authDir, this.options.clientId);
		this.linked = false;
		this.handlers.disconnected('LOGOUT');
	}

	async getState(): Promise<string | null> {
		if (this.destroyed) throw new Error('Protocol error (Runtime.callFunctionOn): Target closed');
		return this.linked ? 'CONNECTED' : null;
	}

	async requestPairingCode(phone: string): Promise<string> {
		const code = this.pairingCode(phone);
		this.handlers.code(code);
		return code;
	}

	protected pairingCode(_phone: string): string {
		return Array.from(randomBytes(8), (b) => PAIRING_ALPHABET[b % PAIRING_ALPHABET.length]).join('');
	}

	async getNumberId(number: string): Promise<string | null> {
		return this.phone.isOnWhatsApp(number) ? `${number}@c.us` : null;
	}

	async getPhoneForLid(lid: string): Promise<string | null> {
		return this.phone.lidPhones.get(lid) ?? null;
	}

	async sendText(chatId: string, text: string): Promise<WaSent> {
		return this.send({ chatId, text });
	}

	async sendMedia(chatId: string, media: WaMedia, options?: { caption?: string }): Promise<WaSent> {
		return this.send({ chatId, media, caption: options?.caption });
	}

	/** A hook for a test double that makes sends fail. */
	protected beforeSend(): void {}

	private async send(entry: { chatId: string; text?: string; media?: WaMedia; caption?: string }): Promise<WaSent> {
		this.beforeSend();
		const id = `true_${entry.chatId}_${messageKey()}`;
		this.phone.sent.push({ id, ...entry, at: new Date() });
		// As whatsapp-web.js does: the own-message event comes before sendMessage resolves, the server's ack after.
		this.handlers.ownMessage({ ...baseMessage(), id, chatId: entry.chatId, from: this.phone.me.id, fromMe: true, body: entry.text ?? entry.caption ?? '', type: entry.media ? mediaType(entry.media.mimetype) : 'chat', hasMedia: !!entry.media });
		await new Promise((r) => setImmediate(r));
		setImmediate(() => !this.destroyed && this.handlers.ack({ messageId: id, chatId: entry.chatId, ack: 1 }));
		return { messageId: id, chatId: entry.chatId };
	}
}

/** Misuse of the simulator (e.g. a message to a phone that is not linked): the control routes answer 409. */
export class SimulatorStateError extends Error {}

/** WhatsApp Web message keys look like 3EB0 followed by hex. */
function messageKey(): string {
	return `3EB0${randomBytes(9).toString('hex').toUpperCase()}`;
}

function baseMessage(): Omit<WaMessage, 'id' | 'chatId' | 'from' | 'body'> {
	return { author: null, fromMe: false, type: 'chat', hasMedia: false, timestamp: Math.floor(Date.now() / 1000), senderName: null };
}

function mediaType(mimetype: string): string {
	if (mimetype.startsWith('image/')) return 'image';
	if (mimetype.startsWith('video/')) return 'video';
	if (mimetype.startsWith('audio/')) return 'audio';
	return 'document';
}
