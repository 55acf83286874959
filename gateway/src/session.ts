// One WhatsApp Web session and its state machine (docs/whatsapp-gateway-api.md, "Session"):
//
//   STOPPED → STARTING → QR ⇄ PAIRING_CODE → AUTHENTICATING → READY
//                 ↘ (a saved login goes straight to AUTHENTICATING)
//   any state → FAILED(reason) → after a backoff → STARTING …
//
// whatsapp-web.js fires no event when it cannot start (initialize() just rejects), may never fire
// `ready` after `authenticated`, and keeps Chromium running after a failure: hence the watchdogs, the
// destroy after every failure, and a generation number that makes a replaced client's late events
// harmless. While READY a health loop asks the page for its state: a crashed or frozen page fires no
// event at all (getState() then throws, or hangs), and the session would stay READY while every send fails.

import type { WaClientFactory, WaClientHandlers, WaClientPort, WaMe, WaMessage } from './client/port';
import { EventSink, digitsOf, noopSink, toMessageData } from './events';
import { classifyStartError, errorText, Failure, FailureReason, nextStep } from './failures';
import { deleteProfile, profileDir, releaseStaleProfileLock } from './profile';
import { withTimeout } from './timeout';

export type SessionState = 'STOPPED' | 'STARTING' | 'QR' | 'PAIRING_CODE' | 'AUTHENTICATING' | 'READY' | 'FAILED';

export interface SessionStatus {
	ready: boolean;
	need_qr: boolean;
	session_active: boolean;
	state: SessionState;
	reason: FailureReason | null;
	detail: string | null;
	since: string;
	me: { id: string; phone: string; name: string | null } | null;
}

export interface SessionOptions {
	createClient: WaClientFactory;
	authDir: string;
	clientId?: string;
	chromiumPath: string;
	events?: EventSink;
	log?: (line: string) => void;
	/** STARTING → QR, PAIRING_CODE or AUTHENTICATING within this time, else FAILED(timeout). */
	startTimeoutMs?: number;
	/** AUTHENTICATING → READY within this time (whatsapp-web.js can stall there silently). */
	readyTimeoutMs?: number;
	/** First restart delay after a failure; doubles per failure in a row, with ±20 % jitter. */
	restartBaseMs?: number;
	restartMaxMs?: number;
	/** While READY, time between two health checks (getState() on the page). */
	healthIntervalMs?: number;
	/** A health check unanswered after this time fails the session: a frozen tab hangs, it does not throw. */
	healthTimeoutMs?: number;
	/**
	 * Health checks in a row that may answer a state other than CONNECTED (WhatsApp Web reconnecting on
	 * its own) before the session is restarted.
	 */
	healthMaxStrikes?: number;
	/** Failures in a row after which the session stays FAILED until someone calls start() or logout(). */
	maxRestarts?: number;
}

const SENT_IDS_KEPT = 1000;

export class Session {
	private state: SessionState = 'STOPPED';
	private failure: Failure | null = null;
	private since = new Date();
	private me: WaMe | null = null;
	private qr: string | null = null;
	private client: WaClientPort | null = null;
	private generation = 0;
	private watchdog: NodeJS.Timeout | null = null;
	private restartTimer: NodeJS.Timeout | null = null;
	private healthTimer: NodeJS.Timeout | null = null;
	private healthStrikes = 0;
	private failuresInARow = 0;
	private stopped = true;
	/** IDs of messages /send made, so their `message.own` echo says sentByGateway (bounded, oldest out). */
	private readonly sentIds = new Set<string>();
	/** whatsapp-web.js emits message_create for a sent message before sendMessage resolves with its ID. */
	private sendsInFlight: Promise<unknown> = Promise.resolve();
	private readonly listeners = new Set<(status: SessionStatus) => void>();
	private readonly events: EventSink;
	private readonly log: (line: string) => void;
	private readonly opts: Required<Omit<SessionOptions, 'events' | 'log'>>;

	constructor(options: SessionOptions) {
		this.events = options.events ?? noopSink;
		this.log = options.log ?? (() => {});
		this.opts = {
			clientId: 'default',
			startTimeoutMs: 90_000,
			readyTimeoutMs: 120_000,
			restartBaseMs: 5_000,
			restartMaxMs: 300_000,
			healthIntervalMs: 60_000,
			healthTimeoutMs: 20_000,
			healthMaxStrikes: 3,
			maxRestarts: 20,
			...options,
		} as Required<Omit<SessionOptions, 'events' | 'log'>>;
	}

	get profile(): string {
		return profileDir(this.opts.authDir, this.opts.clientId);
	}

	status(): SessionStatus {
		const s = this.state;
		return {
			ready: s === 'READY',
			need_qr: s === 'QR' || s === 'PAIRING_CODE',
			session_active: s !== 'STOPPED' && s !== 'FAILED',
			state: s,
			reason: s === 'FAILED' ? (this.failure?.reason ?? null) : null,
			detail: s === 'FAILED' ? (this.failure?.detail ?? null) : null,
			since: this.since.toISOString(),
			me: s === 'READY' && this.me ? { id: this.me.id, phone: digitsOf(this.me.id), name: this.me.name } : null,
		};
	}

	/** The pending QR string, or null when none is pending. */
	pendingQr(): string | null {
		return this.state === 'QR' || this.state === 'PAIRING_CODE' ? this.qr : null;
	}

	onChange(listener: (status: SessionStatus) => void): () => void {
		this.listeners.add(listener);
		return () => this.listeners.delete(listener);
	}

	/** Starts from STOPPED or FAILED (a manual start also resets the restart count). */
	start(): void {
		if (this.state !== 'STOPPED' && this.state !== 'FAILED') return;
		this.stopped = false;
		this.failuresInARow = 0;
		this.launch();
	}

	/** Graceful stop: closes Chromium, keeps the saved login. */
	async stop(): Promise<void> {
		this.stopped = true;
		this.clearTimers();
		await this.dropClient();
		this.setState('STOPPED');
	}

	/** Unlinks the device when READY, deletes the saved login, and starts again for a new QR. */
	async logout(): Promise<void> {
		const client = this.client;
		const wasReady = this.state === 'READY';
		this.stopped = true;
		this.clearTimers();
		if (client && wasReady) {
			// Throws when WhatsApp Web is not loaded; the profile is deleted below either way.
			await client.logout().catch((error) => this.log(`logout: ${errorText(error)}`));
		}
		await this.dropClient();
		deleteProfile(this.profile);
		this.setState('STOPPED');
		this.start();
	}

	async requestPairingCode(phone: string): Promise<string> {
		if (!this.client || (this.state !== 'QR' && this.state !== 'PAIRING_CODE')) {
			throw new SessionNotReady(this.state, 'a pairing code can only be requested while the QR code is pending');
		}
		const code = await this.client.requestPairingCode(phone);
		if (this.state === 'QR') this.setState('PAIRING_CODE');
		return code;
	}

	/** The client when READY, else throws SessionNotReady. */
	readyClient(): WaClientPort {
		if (this.state !== 'READY' || !this.client) {
			throw new SessionNotReady(this.state, 'the session is not READY');
		}
		return this.client;
	}

	/** Runs one send and remembers the message ID it made, so its echo is flagged sentByGateway. */
	async trackSend<T extends { messageId: string }>(send: () => Promise<T>): Promise<T> {
		// Registered before send() runs: the echo can arrive synchronously inside it.
		let settled!: () => void;
		const done = new Promise<void>((resolve) => (settled = resolve));
		this.sendsInFlight = Promise.all([this.sendsInFlight, done]);
		try {
			const sent = await send();
			this.sentIds.add(sent.messageId);
			if (this.sentIds.size > SENT_IDS_KEPT) this.sentIds.delete(this.sentIds.values().next().value as string);
			return sent;
		} finally {
			settled();
		}
	}

	private launch(): void {
		const generation = ++this.generation;
		this.qr = null;
		this.me = null;
		this.setState('STARTING');
		const released = releaseStaleProfileLock(this.profile);
		if (released) this.log(released);
		let client: WaClientPort;
		try {
			client = this.opts.createClient({
				authDir: this.opts.authDir,
				clientId: this.opts.clientId,
				chromiumPath: this.opts.chromiumPath,
				handlers: this.handlers(generation),
			});
		} catch (error) {
			void this.fail(generation, classifyStartError(error));
			return;
		}
		this.client = client;
		this.arm(generation, this.opts.startTimeoutMs, 'no QR code and no saved login within the start time');
		client.initialize().catch((error: unknown) => this.fail(generation, classifyStartError(error)));
	}

	private handlers(generation: number): WaClientHandlers {
		// Every handler first checks it still belongs to the current client.
		const live = () => generation === this.generation && !this.stopped;
		return {
			qr: (qr) => {
				if (!live()) return;
				this.qr = qr;
				this.disarm();
				if (this.state !== 'PAIRING_CODE') this.setState('QR');
			},
			code: () => {
				if (!live()) return;
				this.disarm();
				this.setState('PAIRING_CODE');
			},
			authenticated: () => {
				if (!live()) return;
				this.qr = null;
				this.setState('AUTHENTICATING');
				this.arm(generation, this.opts.readyTimeoutMs, 'logged in, but WhatsApp Web did not get ready in time');
			},
			authFailure: (message) => {
				if (!live()) return;
				// The saved login is refused: only a new QR helps, so it goes before the restart.
				void this.fail(generation, { reason: 'auth_failure', detail: message.slice(0, 300) }, true);
			},
			ready: (me) => {
				if (!live()) return;
				this.disarm();
				this.me = me;
				this.qr = null;
				this.failuresInARow = 0;
				this.setState('READY');
				this.healthStrikes = 0;
				this.scheduleHealthCheck(generation);
			},
			disconnected: (reason) => {
				if (!live()) return;
				const unlinked = /LOGOUT|UNPAIRED/i.test(reason);
				void this.fail(
					generation,
					unlinked ? { reason: 'logged_out', detail: reason } : { reason: 'timeout', detail: `disconnected: ${reason}` },
					unlinked,
				);
			},
			browserClosed: (detail) => {
				if (!live()) return;
				void this.fail(generation, { reason: 'browser_launch_failed', detail: `browser closed: ${detail}` });
			},
			message: (message) => {
				if (live()) void this.publishMessage('message', message, false);
			},
			ownMessage: (message) => {
				if (!live()) return;
				void this.sendsInFlight.then(() =>
					this.publishMessage('message.own', message, this.sentIds.has(message.id)),
				);
			},
			ack: (ack) => {
				if (live()) this.events.publish('message.ack', ack, `${ack.messageId}:${ack.ack}`);
			},
		};
	}

	private async publishMessage(type: 'message' | 'message.own', message: WaMessage, sentByGateway: boolean) {
		const client = this.client;
		const data = await toMessageData(message, sentByGateway, (lid) =>
			client ? client.getPhoneForLid(lid) : Promise.resolve(null),
		);
		this.events.publish(type, data, message.id);
	}

	private async fail(generation: number, failure: Failure, forgetLogin = false): Promise<void> {
		if (generation !== this.generation || this.stopped) return;
		this.generation++; // the failed client's late events are ignored from here on
		this.clearTimers();
		this.failure = failure;
		this.failuresInARow++;
		this.log(`session FAILED: ${failure.reason}${failure.detail ? ` (${failure.detail})` : ''}. ${nextStep[failure.reason]}`);
		this.setState('FAILED');
		await this.dropClient();
		if (forgetLogin) deleteProfile(this.profile);
		if (this.stopped || generation + 1 !== this.generation) return;
		if (this.failuresInARow > this.opts.maxRestarts) {
			this.log(`session stays FAILED after ${this.failuresInARow} failures in a row; POST /logout or a restart of the gateway tries again`);
			return;
		}
		const exp = Math.min(this.opts.restartMaxMs, this.opts.restartBaseMs * 2 ** (this.failuresInARow - 1));
		const delay = Math.round(exp * (0.8 + Math.random() * 0.4));
		this.restartTimer = setTimeout(() => {
			this.restartTimer = null;
			if (!this.stopped && this.state === 'FAILED') this.launch();
		}, delay);
	}

	private scheduleHealthCheck(generation: number): void {
		if (this.healthTimer) clearTimeout(this.healthTimer);
		this.healthTimer = setTimeout(() => {
			this.healthTimer = null;
			void this.checkHealth(generation);
		}, this.opts.healthIntervalMs);
	}

	private async checkHealth(generation: number): Promise<void> {
		const client = this.client;
		const current = () => generation === this.generation && this.state === 'READY' && !this.stopped;
		if (!client || !current()) return;
		const seconds = Math.round(this.opts.healthTimeoutMs / 1000);
		let state: string | null;
		try {
			state = await withTimeout(client.getState(), this.opts.healthTimeoutMs, () => new HealthCheckTimeout());
		} catch (error) {
			const failure: Failure =
				error instanceof HealthCheckTimeout
					? { reason: 'timeout', detail: `WhatsApp Web did not answer within ${seconds} s` }
					: classifyStartError(error);
			void this.fail(generation, { reason: failure.reason, detail: `health check: ${failure.detail ?? 'no detail'}` });
			return;
		}
		if (!current()) return;
		if (state === 'CONNECTED') {
			this.healthStrikes = 0;
		} else if (++this.healthStrikes >= this.opts.healthMaxStrikes) {
			const detail = `health check: WhatsApp Web reported ${state ?? 'no state'} ${this.healthStrikes} times in a row`;
			void this.fail(generation, { reason: 'timeout', detail });
			return;
		} else {
			this.log(`health check: WhatsApp Web reported ${state ?? 'no state'}, not CONNECTED (${this.healthStrikes} of ${this.opts.healthMaxStrikes})`);
		}
		this.scheduleHealthCheck(generation);
	}

	private arm(generation: number, ms: number, detail: string): void {
		this.disarm();
		this.watchdog = setTimeout(() => void this.fail(generation, { reason: 'timeout', detail }), ms);
	}

	private disarm(): void {
		if (this.watchdog) clearTimeout(this.watchdog);
		this.watchdog = null;
	}

	private clearTimers(): void {
		this.disarm();
		if (this.restartTimer) clearTimeout(this.restartTimer);
		this.restartTimer = null;
		if (this.healthTimer) clearTimeout(this.healthTimer);
		this.healthTimer = null;
	}

	/** Always destroy after a failure: whatsapp-web.js leaves Chromium running after initialize() rejects. */
	private async dropClient(): Promise<void> {
		const client = this.client;
		this.client = null;
		if (client) await client.destroy().catch((error) => this.log(`destroy: ${errorText(error)}`));
	}

	private setState(state: SessionState): void {
		const changed = state !== this.state;
		this.state = state;
		if (!changed && state !== 'PAIRING_CODE') return;
		this.since = new Date();
		if (state !== 'FAILED' && state !== 'STARTING') this.failure = null;
		const status = this.status();
		this.events.publish('session.state', status);
		for (const listener of this.listeners) listener(status);
	}
}

class HealthCheckTimeout extends Error {}

export class SessionNotReady extends Error {
	constructor(
		readonly state: SessionState,
		why: string,
	) {
		super(`${why} (state ${state})`);
	}
}
