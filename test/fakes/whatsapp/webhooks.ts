/* eslint-disable @n8n/community-nodes/no-restricted-imports -- test code, never shipped */
// The fake gateway's webhook side, as the contract says (docs/whatsapp-gateway-api.md): registrations by URL,
// and signed delivery of an event to every registration that wants its type. Signs with node:crypto itself,
// never with the product's code, so a bug in the trigger's check cannot hide behind the same bug here.
import { createHmac, randomBytes } from 'node:crypto';

export interface WebhookRegistration {
	id: string;
	url: string;
	events: string[];
}

export interface Delivery {
	url: string;
	status: number;
	body: string;
}

export const ALL_EVENT_TYPES = ['message', 'message.own', 'message.ack', 'session.state'];

export class WebhookRegistry {
	readonly registrations = new Map<string, WebhookRegistration>();

	/** POST /webhooks: a new registration (201), or the one of this URL with the new events (200). */
	register(url: string, events: string[] | undefined): { status: 200 | 201; registration: WebhookRegistration } {
		const wanted = events && events.length > 0 ? events : [...ALL_EVENT_TYPES];
		for (const registration of this.registrations.values()) {
			if (registration.url === url) {
				registration.events = wanted;
				return { status: 200, registration };
			}
		}
		const registration = { id: `wh_${randomBytes(6).toString('hex')}`, url, events: wanted };
		this.registrations.set(registration.id, registration);
		return { status: 201, registration };
	}

	remove(id: string): boolean {
		return this.registrations.delete(id);
	}

	list(): WebhookRegistration[] {
		return [...this.registrations.values()];
	}
}

export interface SignedEvent {
	body: string;
	headers: Record<string, string>;
}

/** An event as the gateway POSTs it: the JSON body and its signed headers. `timestamp` defaults to now. */
export function signEvent(
	secret: string,
	type: string,
	data: Record<string, unknown>,
	options: { timestamp?: number; id?: string } = {},
): SignedEvent {
	const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
	const id = options.id ?? `evt_${randomBytes(8).toString('hex')}`;
	const body = JSON.stringify({ id, type, timestamp, session: 'default', data });
	const signature = createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
	return {
		body,
		headers: {
			'content-type': 'application/json',
			'x-gateway-event-id': id,
			'x-gateway-timestamp': String(timestamp),
			'x-gateway-signature': `sha256=${signature}`,
		},
	};
}

/** A message event's `data`, as the contract shows it; `overrides` change any field. */
export function messageData(overrides: Record<string, unknown> = {}): Record<string, unknown> {
	const phone = '8613800000000';
	return {
		messageId: `false_${phone}@c.us_${randomBytes(8).toString('hex').toUpperCase()}`,
		chatId: `${phone}@c.us`,
		from: `${phone}@c.us`,
		fromPhone: phone,
		fromLid: null,
		senderName: 'Li Lei',
		isGroup: false,
		author: null,
		type: 'chat',
		body: '你好',
		hasMedia: false,
		timestamp: Math.floor(Date.now() / 1000),
		fromMe: false,
		sentByGateway: false,
		...overrides,
	};
}
