// A stand-in for whatsapp-web.js behind the client port: tests drive it through every state and failure.
// It imports nothing of the gateway's logic but the port's types, so it can catch the gateway's bugs.

import type { WaClientFactory, WaClientHandlers, WaClientOptions, WaClientPort, WaMedia, WaMessage, WaSent } from '../src/client/port';

export type InitBehaviour =
	| { kind: 'resolve' }
	| { kind: 'reject'; error: unknown }
	| { kind: 'hang' };

export class FakeClient implements WaClientPort {
	handlers: WaClientHandlers;
	destroyed = false;
	loggedOut = false;
	initialized = false;
	/** Numbers (digits) that are on WhatsApp. */
	registered = new Set<string>(['8613800000000']);
	lidToPhone = new Map<string, string>();
	sent: Array<{ chatId: string; text?: string; media?: WaMedia; caption?: string }> = [];
	sendError: unknown = null;
	/** What getState() does: answer a state, throw (page gone) or never settle (frozen tab). */
	health: { kind: 'state'; state: string | null } | { kind: 'throw'; error: unknown } | { kind: 'hang' } = { kind: 'state', state: 'CONNECTED' };
	healthChecks = 0;
	private counter = 0;

	constructor(
		readonly options: WaClientOptions,
		private readonly init: InitBehaviour,
	) {
		this.handlers = options.handlers;
	}

	async initialize(): Promise<void> {
		this.initialized = true;
		if (this.init.kind === 'reject') throw this.init.error;
		if (this.init.kind === 'hang') await new Promise(() => {});
	}
	async destroy(): Promise<void> {
		this.destroyed = true;
	}
	async logout(): Promise<void> {
		this.loggedOut = true;
		this.handlers.disconnected('LOGOUT');
	}
	async getState(): Promise<string | null> {
		this.healthChecks++;
		if (this.destroyed) throw new Error('Protocol error (Runtime.callFunctionOn): Target closed');
		if (this.health.kind === 'throw') throw this.health.error;
		if (this.health.kind === 'hang') return new Promise(() => {});
		return this.health.state;
	}
	async requestPairingCode(phone: string): Promise<string> {
		const code = `CODE${phone.slice(-4)}`;
		this.handlers.code(code);
		return code;
	}
	async getNumberId(number: string): Promise<string | null> {
		return this.registered.has(number) ? `${number}@c.us` : null;
	}
	async getPhoneForLid(lid: string): Promise<string | null> {
		return this.lidToPhone.get(lid) ?? null;
	}
	async sendText(chatId: string, text: string): Promise<WaSent> {
		return this.send({ chatId, text });
	}
	async sendMedia(chatId: string, media: WaMedia, options?: { caption?: string }): Promise<WaSent> {
		return this.send({ chatId, media, caption: options?.caption });
	}

	private async send(entry: { chatId: string; text?: string; media?: WaMedia; caption?: string }): Promise<WaSent> {
		if (this.sendError) throw this.sendError;
		this.sent.push(entry);
		const messageId = `true_${entry.chatId}_FAKE${++this.counter}`;
		// As whatsapp-web.js does: the own-message event comes before sendMessage resolves.
		this.handlers.ownMessage(this.message({ id: messageId, chatId: entry.chatId, from: 'me@c.us', fromMe: true, body: entry.text ?? '' }));
		await new Promise((r) => setImmediate(r));
		return { messageId, chatId: entry.chatId };
	}

	// Drivers
	emitQr(qr = 'ref,key,identity,adv,platform') {
		this.handlers.qr(qr);
	}
	completePairing(me = { id: '8613900000000@c.us', name: 'Shop' }) {
		this.handlers.authenticated();
		this.handlers.ready(me);
	}
	message(partial: Partial<WaMessage> & { id: string }): WaMessage {
		return {
			chatId: '8613800000000@c.us',
			from: '8613800000000@c.us',
			author: null,
			fromMe: false,
			type: 'chat',
			body: 'hello',
			hasMedia: false,
			timestamp: 1764500000,
			senderName: 'Li Lei',
			...partial,
		};
	}
	receive(partial: Partial<WaMessage> & { id: string }) {
		const message = this.message(partial);
		this.handlers.message(message);
	}
}

/** A factory that records every client it made; `next` decides how the next initialize() behaves. */
export function fakeFactory(): { factory: WaClientFactory; clients: FakeClient[]; next: InitBehaviour[] } {
	const clients: FakeClient[] = [];
	const next: InitBehaviour[] = [];
	const factory: WaClientFactory = (options) => {
		const client = new FakeClient(options, next.shift() ?? { kind: 'resolve' });
		clients.push(client);
		return client;
	};
	return { factory, clients, next };
}
