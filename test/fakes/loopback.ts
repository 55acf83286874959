// The HTTP plumbing every loopback fake shares (WeCom, OpenAI, and the platforms that come next): a
// server on 127.0.0.1 only, on a port the system picks unless one is asked for; request bodies read up
// to a bound; a close that also ends the keep-alive connections clients hold open. node:http only.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface LoopbackServer {
	/** http://127.0.0.1:port, no trailing slash. */
	readonly url: string;
	readonly port: number;
	/** Stops listening and ends every open connection, also requests a fake left unanswered. */
	close(): Promise<void>;
}

/**
 * Serves `handle` on 127.0.0.1. `port` 0 (the default) picks a free one. A handler that throws is a bug
 * in the fake, not an answer of the platform: it gets a loud HTTP 500 with the stack, named after `name`.
 */
export async function serveOnLoopback(
	name: string,
	handle: (req: http.IncomingMessage, res: http.ServerResponse) => Promise<void>,
	port = 0,
): Promise<LoopbackServer> {
	const server = http.createServer((req, res) => {
		handle(req, res).catch((error: unknown) => {
			if (res.headersSent) return void res.destroy();
			res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' });
			res.end(`fake ${name} failed: ${error instanceof Error ? error.stack : String(error)}`);
		});
	});
	const actualPort = await new Promise<number>((resolve, reject) => {
		server.once('error', reject);
		server.listen(port, '127.0.0.1', () => {
			server.off('error', reject);
			resolve((server.address() as AddressInfo).port);
		});
	});
	return {
		url: `http://127.0.0.1:${actualPort}`,
		port: actualPort,
		close: () =>
			new Promise<void>((resolve) => {
				server.close(() => resolve());
				server.closeAllConnections();
			}),
	};
}

export interface RequestBody {
	/** The bytes kept: all of them, or the first `maxBytes` when the body was larger. */
	data: Buffer;
	/** Size of the whole body, also when it was too large to keep. */
	size: number;
	overflow: boolean;
}

/** Reads a request body; past `maxBytes` the data is dropped but still counted, so a fake can say "too large". */
export async function readBody(req: http.IncomingMessage, maxBytes: number): Promise<RequestBody> {
	const chunks: Buffer[] = [];
	let size = 0;
	for await (const chunk of req as AsyncIterable<Buffer>) {
		size += chunk.length;
		if (size <= maxBytes) chunks.push(chunk);
		else if (size - chunk.length < maxBytes) chunks.push(chunk.subarray(0, maxBytes - (size - chunk.length)));
	}
	return { data: Buffer.concat(chunks), size, overflow: size > maxBytes };
}

export type JsonBody =
	/** No body at all. */
	| { kind: 'empty' }
	| { kind: 'json'; value: unknown }
	/** Not JSON (or cut at the size bound): the text as received. */
	| { kind: 'broken'; text: string };

/** A body read with `readBody`, parsed as JSON. A body over the bound is never parsed (it was cut). */
export function parseJsonBody(body: RequestBody): JsonBody {
	if (body.size === 0) return { kind: 'empty' };
	const text = body.data.toString('utf8');
	if (body.overflow) return { kind: 'broken', text };
	try {
		return { kind: 'json', value: JSON.parse(text) as unknown };
	} catch {
		return { kind: 'broken', text };
	}
}

/** Path and query of a request URL; the query as a plain object (a repeated key keeps its last value). */
export function requestTarget(req: http.IncomingMessage): { path: string; query: Record<string, string> } {
	const url = new URL(req.url ?? '/', 'http://127.0.0.1');
	return { path: url.pathname, query: Object.fromEntries(url.searchParams) };
}

/** Sends a JSON answer with its length (clients such as n8n's read Content-Length). */
export function sendJson(
	res: http.ServerResponse,
	status: number,
	body: unknown,
	headers: http.OutgoingHttpHeaders = {},
): void {
	const text = JSON.stringify(body);
	res.writeHead(status, {
		'Content-Type': 'application/json; charset=UTF-8',
		'Content-Length': Buffer.byteLength(text),
		...headers,
	});
	res.end(text);
}

export function sleep(ms: number): Promise<void> {
	return new Promise((resolve) => setTimeout(resolve, ms));
}
