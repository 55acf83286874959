/* eslint-disable @n8n/community-nodes/no-restricted-imports -- test code, never shipped */
// A loopback fake of the WhatsApp Web gateway's HTTP API (docs/whatsapp-gateway-api.md), for the n8n nodes'
// tests: API key, session states, QR, pairing code, logout, send (with a rate limit to switch on), contacts,
// webhook registrations and signed delivery. Tests set its state directly; it never imports the product.
import { timingSafeEqual } from 'node:crypto';
import type http from 'node:http';

import { parseJsonBody, readBody, requestTarget, sendJson, serveOnLoopback, type LoopbackServer } from '../loopback';
import { signEvent, WebhookRegistry, type Delivery } from './webhooks';

export type SessionState = 'STOPPED' | 'STARTING' | 'QR' | 'PAIRING_CODE' | 'AUTHENTICATING' | 'READY' | 'FAILED';

/** The smallest valid PNG (1×1), standing in for a rendered QR code. */
export const FAKE_QR_PNG = Buffer.from(
	'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==',
	'base64',
);

export interface SentMessage {
	to: string;
	text?: string;
	media?: { url?: string; base64?: string; mimetype?: string; filename?: string };
	caption?: string;
}

export interface FakeGatewayOptions {
	apiKey?: string;
	webhookSecret?: string;
	state?: SessionState;
}

export interface FakeGateway extends LoopbackServer {
	apiKey: string;
	webhookSecret: string;
	state: SessionState;
	reason: string | null;
	detail: string | null;
	/** Numbers (digits) that have WhatsApp. */
	registeredNumbers: Set<string>;
	/** Every accepted POST /send. */
	sent: SentMessage[];
	/** Every request, as `METHOD /path`, with whether it carried the right key. */
	requests: Array<{ method: string; path: string; authorized: boolean }>;
	/** When set, POST /send answers 429 with this Retry-After. */
	rateLimitSeconds?: number;
	/** When set, every request waits this long before answering (a stuck gateway). */
	stallMs?: number;
	webhooks: WebhookRegistry;
	/** POSTs a signed event to every registration that wants its type; the receivers' answers. */
	deliver(type: string, data: Record<string, unknown>): Promise<Delivery[]>;
}

function keyMatches(given: string | undefined, expected: string): boolean {
	const a = Buffer.from(given ?? '');
	const b = Buffer.from(expected);
	return a.length === b.length && timingSafeEqual(a, b);
}

function apiKeyOf(req: http.IncomingMessage): string | undefined {
	const header = req.headers['x-api-key'];
	if (typeof header === 'string') return header;
	const auth = req.headers.authorization;
	return auth?.startsWith('Bearer ') ? auth.slice('Bearer '.length) : undefined;
}

function statusBody(gateway: FakeGateway): Record<string, unknown> {
	const { state } = gateway;
	return {
		ready: state === 'READY',
		need_qr: state === 'QR' || state === 'PAIRING_CODE',
		session_active: state !== 'STOPPED' && state !== 'FAILED',
		state,
		reason: state === 'FAILED' ? gateway.reason : null,
		detail: state === 'FAILED' ? gateway.detail : null,
		since: '2026-11-30T10:00:00.000Z',
		me: state === 'READY' ? { id: '8613900000000@c.us', phone: '8613900000000', name: 'Shop' } : null,
	};
}

const sleepMs = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function chatIdOf(to: string): string {
	return /@(c\.us|lid|g\.us)$/.test(to) ? to : `${to.replace(/\D/g, '')}@c.us`;
}

export async function startFakeGateway(options: FakeGatewayOptions = {}): Promise<FakeGateway> {
	const gateway = {
		apiKey: options.apiKey ?? 'fake-gateway-key',
		webhookSecret: options.webhookSecret ?? 'fake-webhook-secret',
		state: options.state ?? 'READY',
		reason: null,
		detail: null,
		registeredNumbers: new Set(['8613800000000']),
		sent: [],
		requests: [],
		webhooks: new WebhookRegistry(),
	} as unknown as FakeGateway;
	let sequence = 0;

	async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
		const { path, query } = requestTarget(req);
		const method = req.method ?? 'GET';
		const authorized = keyMatches(apiKeyOf(req), gateway.apiKey);
		gateway.requests.push({ method, path, authorized });
		const body = parseJsonBody(await readBody(req, 32 * 1024 * 1024));
		if (gateway.stallMs) await sleepMs(gateway.stallMs);
		if (!authorized) return sendJson(res, 401, { error: 'unauthorized' });
		const input = (body.kind === 'json' ? body.value : {}) as Record<string, unknown>;

		if (method === 'GET' && path === '/status') return sendJson(res, 200, statusBody(gateway));
		if (method === 'GET' && path === '/health') return sendJson(res, 200, { ok: true, state: gateway.state });
		if (method === 'GET' && path === '/qr') {
			if (gateway.state !== 'QR') {
				return sendJson(res, 404, { error: 'no_qr', message: `No QR code is pending: the session is ${gateway.state}.` });
			}
			if (query.format === 'raw') {
				res.writeHead(200, { 'Content-Type': 'text/plain', 'Cache-Control': 'no-store' });
				return void res.end('2@fakeQrPayload');
			}
			res.writeHead(200, { 'Content-Type': 'image/png', 'Cache-Control': 'no-store', 'Content-Length': FAKE_QR_PNG.length });
			return void res.end(FAKE_QR_PNG);
		}
		if (method === 'POST' && path === '/pairing-code') {
			if (gateway.state === 'READY') return sendJson(res, 409, { error: 'not_ready', message: 'The session is READY: no pairing needed.' });
			if (typeof input.phone !== 'string' || !/\d{6,}/.test(input.phone.replace(/\D/g, ''))) {
				return sendJson(res, 400, { error: 'bad_request', message: 'phone must be a number with its country code' });
			}
			gateway.state = 'PAIRING_CODE';
			return sendJson(res, 200, { code: 'ABCD1234' });
		}
		if (method === 'POST' && path === '/logout') {
			gateway.state = 'QR';
			return sendJson(res, 200, { state: 'STOPPED' });
		}
		if (method === 'POST' && path === '/send') {
			if (gateway.rateLimitSeconds !== undefined) {
				return sendJson(res, 429, { error: 'rate_limited', message: 'Hourly send cap reached.' }, {
					'Retry-After': String(gateway.rateLimitSeconds),
				});
			}
			if (gateway.state !== 'READY') return sendJson(res, 409, { error: 'not_ready', message: `The session is ${gateway.state}.` });
			const to = typeof input.to === 'string' ? input.to : '';
			if (!to || (input.text === undefined && input.media === undefined)) {
				return sendJson(res, 400, { error: 'bad_request', message: 'to and text or media are required' });
			}
			const chatId = chatIdOf(to);
			if (chatId.endsWith('@c.us') && !gateway.registeredNumbers.has(chatId.split('@')[0])) {
				return sendJson(res, 404, { error: 'not_on_whatsapp', message: `${to} has no WhatsApp account.` });
			}
			gateway.sent.push(input as unknown as SentMessage);
			return sendJson(res, 200, { messageId: `true_${chatId}_FAKE${++sequence}`, chatId });
		}
		const contact = /^\/contacts\/([^/]+)$/.exec(path);
		if (method === 'GET' && contact) {
			const number = decodeURIComponent(contact[1]).replace(/\D/g, '');
			const exists = gateway.registeredNumbers.has(number);
			return sendJson(res, 200, { number, exists, chatId: exists ? `${number}@c.us` : null });
		}
		if (path === '/webhooks' && method === 'POST') {
			if (typeof input.url !== 'string') return sendJson(res, 400, { error: 'bad_request', message: 'url is required' });
			const { status, registration } = gateway.webhooks.register(input.url, input.events as string[] | undefined);
			return sendJson(res, status, registration);
		}
		if (path === '/webhooks' && method === 'GET') return sendJson(res, 200, { webhooks: gateway.webhooks.list() });
		const webhook = /^\/webhooks\/([^/]+)$/.exec(path);
		if (webhook && method === 'DELETE') {
			if (!gateway.webhooks.remove(decodeURIComponent(webhook[1]))) return sendJson(res, 404, { error: 'not_found' });
			res.writeHead(204);
			return void res.end();
		}
		return sendJson(res, 404, { error: 'not_found', message: `${method} ${path} is not part of the gateway's API` });
	}

	const server = await serveOnLoopback('WhatsApp Web gateway', handle);
	gateway.deliver = async (type, data) => {
		const deliveries: Delivery[] = [];
		for (const registration of gateway.webhooks.list()) {
			if (!registration.events.includes(type)) continue;
			const signed = signEvent(gateway.webhookSecret, type, data);
			const answer = await fetch(registration.url, { method: 'POST', headers: signed.headers, body: signed.body });
			deliveries.push({ url: registration.url, status: answer.status, body: await answer.text() });
		}
		return deliveries;
	};
	return Object.assign(gateway, { url: server.url, port: server.port, close: server.close });
}
