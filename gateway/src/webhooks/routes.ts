// POST/GET /webhooks and DELETE /webhooks/:id of the contract, as a route the gateway's server mounts after
// it has checked the API key: it answers and resolves true for these paths, and resolves false for others.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { WebhookDispatcher } from './dispatcher.js';
import { EVENT_TYPES, isEventType } from './types.js';

const MAX_BODY_BYTES = 16 * 1024;

export type Route = (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<boolean>;

export function webhookRoutes(dispatcher: WebhookDispatcher): Route {
	return async (req, res, url) => {
		if (url.pathname === '/webhooks') {
			if (req.method === 'GET') return reply(res, 200, { webhooks: dispatcher.list() });
			if (req.method === 'POST') return register(dispatcher, req, res);
			return reply(res, 405, { error: 'method_not_allowed', message: 'Use GET or POST on /webhooks.' }, { Allow: 'GET, POST' });
		}
		const match = /^\/webhooks\/([^/]+)$/.exec(url.pathname);
		if (!match) return false;
		if (req.method !== 'DELETE')
			return reply(res, 405, { error: 'method_not_allowed', message: 'Use DELETE on /webhooks/:id.' }, { Allow: 'DELETE' });
		if (!dispatcher.unregister(decodeURIComponent(match[1]))) {
			return reply(res, 404, { error: 'not_found', message: 'No webhook has this ID; GET /webhooks lists them.' });
		}
		res.writeHead(204).end();
		return true;
	};
}

async function register(dispatcher: WebhookDispatcher, req: IncomingMessage, res: ServerResponse): Promise<boolean> {
	let body: unknown;
	try {
		body = JSON.parse(await readBody(req));
	} catch (error) {
		const tooLarge = (error as Error).message === 'too_large';
		return reply(res, tooLarge ? 413 : 400, {
			error: tooLarge ? 'too_large' : 'bad_request',
			message: tooLarge ? `The body is over ${MAX_BODY_BYTES} bytes.` : 'The body is not JSON: send {"url": "...", "events": [...]}.',
		});
	}
	const { url, events } = (body ?? {}) as { url?: unknown; events?: unknown };
	if (typeof url !== 'string' || !isHttpUrl(url)) {
		return reply(res, 400, {
			error: 'bad_request',
			message: '"url" must be an http:// or https:// URL the gateway can reach, such as n8n\'s production webhook URL.',
		});
	}
	if (events !== undefined && (!Array.isArray(events) || !events.every(isEventType))) {
		return reply(res, 400, {
			error: 'bad_request',
			message: `"events" must be a list of: ${EVENT_TYPES.join(', ')} (or left out for all).`,
		});
	}
	const { registration, created } = dispatcher.register(url, events);
	return reply(res, created ? 201 : 200, registration);
}

function isHttpUrl(value: string): boolean {
	try {
		const parsed = new URL(value);
		return parsed.protocol === 'http:' || parsed.protocol === 'https:';
	} catch {
		return false;
	}
}

function readBody(req: IncomingMessage): Promise<string> {
	return new Promise((resolve, reject) => {
		const chunks: Buffer[] = [];
		let size = 0;
		req.on('data', (chunk: Buffer) => {
			size += chunk.length;
			if (size > MAX_BODY_BYTES) {
				reject(new Error('too_large'));
				req.resume();
				return;
			}
			chunks.push(chunk);
		});
		req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
		req.on('error', reject);
	});
}

function reply(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): true {
	res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', ...headers }).end(JSON.stringify(body));
	return true;
}
