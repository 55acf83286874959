// The gateway's HTTP API (docs/whatsapp-gateway-api.md) on node:http. Every request needs the API key;
// a wrong or missing key learns nothing but 401.

import { createHash, timingSafeEqual } from 'node:crypto';
import http, { IncomingMessage, ServerResponse } from 'node:http';
import QRCode from 'qrcode';
import type { WaMedia, WaSent } from './client/port';
import { MediaError, MediaLimits, mediaFromBase64, mediaFromUrl } from './media';
import { RateLimited, SendQueue } from './sendQueue';
import { Session, SessionNotReady } from './session';
import { withTimeout } from './timeout';

/** A mounted handler (e.g. the webhook routes): answers and returns true, or returns false to pass. */
export type Route = (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<boolean>;

export interface ApiOptions {
	session: Session;
	apiKey: string;
	queue: SendQueue;
	media: MediaLimits;
	/** A send still unanswered after this time gets 504 (it may still go out). */
	sendTimeoutMs: number;
	/** Mounted after authentication, before the built-in routes. */
	routes?: Route[];
	/** JSON bodies without media. */
	maxBodyBytes?: number;
}

export class HttpError extends Error {
	constructor(
		readonly status: number,
		readonly code: string,
		message: string,
		readonly headers: Record<string, string> = {},
	) {
		super(message);
	}
}

export const CHAT_ID = /^[\w.:-]+@(c\.us|lid|g\.us)$/;
const PHONE = /^\+?[\d\s\-().]+$/;

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
	const text = JSON.stringify(body);
	res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers });
	res.end(text);
}

export async function readJson(req: IncomingMessage, maxBytes: number): Promise<Record<string, unknown>> {
	const declared = Number(req.headers['content-length'] ?? 0);
	if (declared > maxBytes) throw new HttpError(413, 'too_large', `The request body is over ${maxBytes} bytes.`);
	const chunks: Buffer[] = [];
	let size = 0;
	for await (const chunk of req) {
		size += (chunk as Buffer).length;
		if (size > maxBytes) throw new HttpError(413, 'too_large', `The request body is over ${maxBytes} bytes.`);
		chunks.push(chunk as Buffer);
	}
	try {
		const value: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
		if (value && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
	} catch {
		// answered below
	}
	throw new HttpError(400, 'bad_request', 'The body must be a JSON object.');
}

function digest(value: string): Buffer {
	return createHash('sha256').update(value).digest();
}

/** Constant time in the key's content and length: both sides are hashed to 32 bytes first. */
export function apiKeyMatches(req: IncomingMessage, apiKey: string): boolean {
	const header = req.headers['x-api-key'];
	const bearer = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1];
	const given = typeof header === 'string' ? header : bearer;
	return given !== undefined && timingSafeEqual(digest(given), digest(apiKey));
}

function notReady(error: SessionNotReady): HttpError {
	return new HttpError(409, 'not_ready', `The WhatsApp session is ${error.state}, not READY: check GET /status and link the device by QR code.`);
}

export function createApi(options: ApiOptions): http.Server {
	const { session, queue } = options;
	const maxBody = options.maxBodyBytes ?? 1_000_000;
	// base64 is 4/3 of the bytes, plus room for the JSON around it.
	const maxSendBody = Math.ceil((options.media.maxBytes * 4) / 3) + 64_000;
	const numberIds = new Map<string, string>();

	/** A phone number (checked with WhatsApp, cached) or a chat ID, to the chat ID to send to. */
	async function resolveChatId(to: unknown): Promise<string> {
		if (typeof to !== 'string' || to.trim() === '') throw new HttpError(400, 'bad_request', '"to" is required: a phone number with country code, or a chat ID.');
		const value = to.trim();
		if (CHAT_ID.test(value)) return value;
		const digits = value.replace(/\D/g, '');
		if (!PHONE.test(value) || digits.length < 6 || digits.length > 15) {
			throw new HttpError(400, 'bad_request', `"to" must be a phone number with country code (e.g. +86 138 0000 0000) or a chat ID ending in @c.us, @lid or @g.us.`);
		}
		const cached = numberIds.get(digits);
		if (cached) return cached;
		const chatId = await session.readyClient().getNumberId(digits);
		if (!chatId) throw new HttpError(404, 'not_on_whatsapp', `The number ${digits} is not on WhatsApp.`);
		if (numberIds.size >= 10_000) numberIds.delete(numberIds.keys().next().value as string);
		numberIds.set(digits, chatId);
		return chatId;
	}

	async function send(req: IncomingMessage, res: ServerResponse) {
		const body = await readJson(req, maxSendBody);
		session.readyClient();
		const quotedMessageId = typeof body.quotedMessageId === 'string' ? body.quotedMessageId : undefined;
		let media: WaMedia | null = null;
		if (body.media !== undefined) {
			const m = body.media as Record<string, unknown>;
			if (!m || typeof m !== 'object') throw new HttpError(400, 'bad_request', '"media" must be an object with base64 + mimetype, or url.');
			media = m.url !== undefined ? await mediaFromUrl(m, options.media) : mediaFromBase64(m, options.media);
		} else if (typeof body.text !== 'string' || body.text === '') {
			throw new HttpError(400, 'bad_request', 'Give "text" (a non-empty string) or "media".');
		}
		const chatId = await resolveChatId(body.to);
		const caption = typeof body.caption === 'string' ? body.caption : undefined;
		const sent: WaSent = await withTimeout(
			queue.run(() =>
				session.trackSend(() => {
					const client = session.readyClient();
					return media
						? client.sendMedia(chatId, media, { caption, quotedMessageId })
						: client.sendText(chatId, body.text as string, { quotedMessageId });
				}),
			),
			options.sendTimeoutMs,
			() => new HttpError(504, 'timeout', `WhatsApp Web did not confirm the send within ${options.sendTimeoutMs} ms; it may still go out.`),
		);
		sendJson(res, 200, { messageId: sent.messageId, chatId: sent.chatId });
	}

	async function qr(res: ServerResponse, url: URL) {
		const pending = session.pendingQr();
		if (!pending) {
			throw new HttpError(404, 'no_qr', `No QR code is pending: the session is ${session.status().state}.`);
		}
		const format = url.searchParams.get('format') ?? 'png';
		if (format === 'raw') {
			res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
			res.end(pending);
		} else if (format === 'dataurl') {
			sendJson(res, 200, { dataUrl: await QRCode.toDataURL(pending) });
		} else if (format === 'png') {
			const png = await QRCode.toBuffer(pending, { type: 'png', margin: 2, scale: 6 });
			res.writeHead(200, { 'content-type': 'image/png', 'cache-control': 'no-store', 'content-length': png.length });
			res.end(png);
		} else {
			throw new HttpError(400, 'bad_request', 'format must be png, raw or dataurl.');
		}
	}

	async function handle(req: IncomingMessage, res: ServerResponse) {
		const url = new URL(req.url ?? '/', 'http://gateway');
		if (!apiKeyMatches(req, options.apiKey)) return sendJson(res, 401, { error: 'unauthorized' });
		for (const route of options.routes ?? []) if (await route(req, res, url)) return;
		const method = req.method ?? 'GET';
		const route = `${method} ${url.pathname}`;
		const contact = /^\/contacts\/([^/]+)$/.exec(url.pathname);
		if (route === 'GET /status') return sendJson(res, 200, session.status());
		if (route === 'GET /health') return sendJson(res, 200, { ok: true, state: session.status().state });
		if (route === 'GET /qr') return qr(res, url);
		if (route === 'POST /pairing-code') {
			const body = await readJson(req, maxBody);
			const digits = typeof body.phone === 'string' ? body.phone.replace(/\D/g, '') : '';
			if (digits.length < 6 || digits.length > 15) throw new HttpError(400, 'bad_request', '"phone" must be the phone number of the account to link, with country code.');
			if (session.status().state === 'READY') throw new HttpError(409, 'already_ready', 'The session is already linked (READY); log out first to link another phone.');
			return sendJson(res, 200, { code: await session.requestPairingCode(digits) });
		}
		if (route === 'POST /logout') {
			await session.logout();
			return sendJson(res, 200, { state: 'STOPPED' });
		}
		if (route === 'POST /send') return send(req, res);
		if (method === 'GET' && contact) {
			const digits = decodeURIComponent(contact[1]).replace(/\D/g, '');
			if (digits.length < 6 || digits.length > 15) throw new HttpError(400, 'bad_request', 'Give a phone number with country code, e.g. /contacts/8613800000000.');
			const chatId = await session.readyClient().getNumberId(digits);
			return sendJson(res, 200, { number: digits, exists: chatId !== null, chatId });
		}
		throw new HttpError(404, 'not_found', `No such endpoint: ${method} ${url.pathname}. See docs/whatsapp-gateway-api.md.`);
	}

	return http.createServer((req, res) => {
		handle(req, res).catch((error: unknown) => {
			if (res.headersSent) return res.destroy();
			if (error instanceof SessionNotReady) error = notReady(error);
			if (error instanceof RateLimited) {
				error = new HttpError(429, 'rate_limited', error.message, { 'retry-after': String(error.retryAfterSeconds) });
			}
			if (error instanceof MediaError) {
				const status = { bad_request: 400, too_large: 413, timeout: 504, media_unreachable: 400 }[error.code];
				error = new HttpError(status, error.code, error.message);
			}
			if (error instanceof HttpError) {
				if (error.status === 413) res.setHeader('connection', 'close');
				return sendJson(res, error.status, { error: error.code, message: error.message }, error.headers);
			}
			const text = error instanceof Error ? error.message : String(error);
			sendJson(res, 502, { error: 'send_failed', message: `WhatsApp Web refused: ${text.slice(0, 300)}` });
		});
	});
}
