// A stand-in for whatsapp-web.js behind the client port: tests drive it through every state and failure.
// It is the simulated WhatsApp (src/client/simulated.ts: sends, pairing codes, linked IDs) with the tests'
// knobs on top: how initialize() ends, what getState() does, a send that throws, which numbers exist.

import type { WaClientFactory, WaClientOptions, WaMessage } from '../src/client/port';
import { SimulatedClient, SimulatedWhatsApp } from '../src/client/simulated';

export type InitBehaviour =
	| { kind: 'resolve' }
	| { kind: 'reject'; error: unknown }
	| { kind: 'hang' };

export class FakeClient extends SimulatedClient {
	loggedOut = false;
	initialized = false;
	/** Numbers (digits) that are on WhatsApp. */
	registered = new Set<string>(['8613800000000']);
	sendError: unknown = null;
	/** What getState() does: answer a state, throw (page gone) or never settle (frozen tab). */
	health: { kind: 'state'; state: string | null } | { kind: 'throw'; error: unknown } | { kind: 'hang' } = { kind: 'state', state: 'CONNECTED' };
	healthChecks = 0;

	constructor(
		options: WaClientOptions,
		private readonly init: InitBehaviour,
	) {
		super(options, new SimulatedWhatsApp());
	}

	get sent() {
		return this.phone.sent;
	}
	get lidToPhone() {
		return this.phone.lidPhones;
	}

	/** Emits nothing: the tests decide when the QR code or the login comes. */
	override async initialize(): Promise<void> {
		this.initialized = true;
		if (this.init.kind === 'reject') throw this.init.error;
		if (this.init.kind === 'hang') await new Promise(() => {});
	}
	override async logout(): Promise<void> {
		this.loggedOut = true;
		await super.logout();
	}
	override async getState(): Promise<string | null> {
		this.healthChecks++;
		if (this.destroyed) throw new Error('Protocol error (Runtime.callFunctionOn): Target closed');
		if (this.health.kind === 'throw') throw this.health.error;
		if (this.health.kind === 'hang') return new Promise(() => {});
		return this.health.state;
	}
	override async getNumberId(number: string): Promise<string | null> {
		return this.registered.has(number) ? `${number}@c.us` : null;
	}
	protected override pairingCode(phone: string): string {
		return `CODE${phone.slice(-4)}`;
	}
	protected override beforeSend(): void {
		if (this.sendError) throw this.sendError;
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
		this.handlers.message(this.message(partial));
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
