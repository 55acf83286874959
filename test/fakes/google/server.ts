// The loopback proxy through which a real n8n reaches the fake Google. n8n sends its requests to an
// https:// URL through HTTPS_PROXY (docs/google-sheets-testing.md says where in n8n's code), so the
// proxy sees `CONNECT sheets.googleapis.com:443`. For Google's hosts it answers the CONNECT itself and
// ends TLS with a leaf certificate from a CA made for this run; every other host is refused with 403.
// It never opens a connection of its own: nothing leaves 127.0.0.1.
import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import tls from 'node:tls';

import { parseJsonBody, readBody } from '../loopback';
import { FakeGoogleOAuth } from './oauth';
import { FakeSpreadsheets, googleError } from './sheets';
import { makeLocalCa } from './tls';

/** The hosts the fake answers for; www.googleapis.com (Drive) is answered 501, so a test names the call. */
export const GOOGLE_HOSTS = ['sheets.googleapis.com', 'oauth2.googleapis.com', 'www.googleapis.com'];

/** Sheets requests carry small JSON bodies; a larger one is a bug of the caller or of the fake. */
const MAX_BODY_BYTES = 10 * 1024 * 1024;

export interface FakeGoogleRequest {
	method: string;
	host: string;
	/** Path and query, as sent. */
	path: string;
}

export interface FakeGoogleSheets {
	/** http://127.0.0.1:port: the proxy n8n is given. */
	proxyUrl: string;
	/** The CA certificate (PEM) that signed the fake's certificate. */
	caFile: string;
	/** Environment for n8n: HTTP(S)_PROXY, NO_PROXY for loopback, NODE_EXTRA_CA_CERTS. */
	env: Record<string, string>;
	/** A spreadsheet with sheets by title; each sheet's rows include its header row. */
	createSpreadsheet(id: string, sheets: Record<string, string[][]>): void;
	/** A sheet's rows as a person reads them (text), header row included. */
	rows(spreadsheetId: string, sheet: string): string[][];
	/** Every request that reached the fake through the proxy, in order. */
	requests: FakeGoogleRequest[];
	/** Requests the fake does not implement (answered 501). */
	unknown: FakeGoogleRequest[];
	/** `host:port` of every CONNECT or plain request the proxy refused. */
	refused: string[];
	/** For a `googleApi` credential (Service Account): the fake's token endpoint checks this key's signature. */
	serviceAccount: { email: string; privateKey: string };
	/** An OAuth2 refresh token the token endpoint accepts (for a googleSheetsOAuth2Api credential). */
	acceptRefreshToken(token: string): void;
	/**
	 * Holds the next `count` values reads (GET …/values/…) until all of them have arrived, then answers
	 * them together: executions that read the sheet before any of them writes, deterministically. Past
	 * `timeoutMs` the held reads are answered anyway, so a test that expected more reads fails on its
	 * assertions instead of hanging.
	 */
	holdValueReads(count: number, timeoutMs?: number): void;
	close(): Promise<void>;
}

export async function startFakeGoogleSheets(): Promise<FakeGoogleSheets> {
	const folder = mkdtempSync(path.join(tmpdir(), 'kefu-google-ca-'));
	const ca = makeLocalCa(folder, GOOGLE_HOSTS);
	const secureContext = tls.createSecureContext({ key: ca.key, cert: ca.cert });
	const oauth = new FakeGoogleOAuth();
	const spreadsheets = new FakeSpreadsheets();
	const requests: FakeGoogleRequest[] = [];
	const unknown: FakeGoogleRequest[] = [];
	const refused: string[] = [];
	const sockets = new Set<Socket>();
	let readBarrier: { waiting: Array<() => void>; count: number; timer: NodeJS.Timeout } | undefined;
	const releaseReads = () => {
		if (!readBarrier) return;
		clearTimeout(readBarrier.timer);
		for (const release of readBarrier.waiting) release();
		readBarrier = undefined;
	};
	const passReadBarrier = async (): Promise<void> => {
		const barrier = readBarrier;
		if (!barrier) return;
		await new Promise<void>((resolve) => {
			barrier.waiting.push(resolve);
			if (barrier.waiting.length >= barrier.count) releaseReads();
		});
	};

	const answer = (res: http.ServerResponse, status: number, body: unknown) => {
		res.writeHead(status, { 'Content-Type': 'application/json; charset=UTF-8' });
		res.end(JSON.stringify(body));
	};

	// Google's side of the tunnel: never listens, it is handed the decrypted connections.
	const google = http.createServer((req, res) => {
		void (async () => {
			const host = (req.headers.host ?? '').replace(/:\d+$/, '');
			const record = { method: req.method ?? 'GET', host, path: req.url ?? '/' };
			requests.push(record);
			const url = new URL(record.path, `https://${host}`);
			const body = await readBody(req, MAX_BODY_BYTES);
			if (host === 'oauth2.googleapis.com' && url.pathname === '/token' && record.method === 'POST') {
				const token = oauth.token(new URLSearchParams(body.data.toString('utf8')));
				return answer(res, token.status, token.body);
			}
			if (host === 'sheets.googleapis.com') {
				const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '';
				if (!oauth.isIssued(bearer)) {
					const refusal = googleError(401, 'UNAUTHENTICATED', 'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.');
					return answer(res, refusal.status, refusal.body);
				}
				if (record.method === 'GET' && url.pathname.includes('/values/')) await passReadBarrier();
				const parsed = parseJsonBody(body);
				if (parsed.kind === 'broken') return answer(res, 400, googleError(400, 'INVALID_ARGUMENT', 'Invalid JSON payload received.').body);
				const result = spreadsheets.handle(record.method, url.pathname, url.searchParams, parsed.kind === 'json' ? parsed.value : undefined);
				if (result) return answer(res, result.status, result.body);
			}
			unknown.push(record);
			answer(res, 501, googleError(501, 'UNIMPLEMENTED', `The fake Google does not implement ${record.method} https://${host}${record.path}`).body);
		})().catch((error: unknown) => {
			if (!res.headersSent) answer(res, 500, { error: { code: 500, message: `fake Google failed: ${String(error)}` } });
		});
	});

	const proxy = http.createServer((req, res) => {
		// A plain-HTTP request through the proxy: n8n only talks https to Google, so this is someone else.
		refused.push(req.headers.host ?? String(req.url));
		res.writeHead(403, { 'Content-Type': 'text/plain' });
		res.end('the test proxy only tunnels to Google hosts, which it answers itself\n');
	});
	proxy.on('connection', (socket: Socket) => {
		sockets.add(socket);
		socket.once('close', () => sockets.delete(socket));
	});
	proxy.on('connect', (req: http.IncomingMessage, socket: Socket, head: Buffer) => {
		const target = req.url ?? '';
		const [host, port] = target.split(':');
		if (!GOOGLE_HOSTS.includes(host) || port !== '443') {
			refused.push(target);
			socket.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n');
			return;
		}
		socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
		if (head.length) socket.unshift(head);
		const secure = new tls.TLSSocket(socket, { isServer: true, secureContext });
		secure.on('error', () => secure.destroy());
		google.emit('connection', secure);
	});

	const port = await new Promise<number>((resolve, reject) => {
		proxy.once('error', reject);
		proxy.listen(0, '127.0.0.1', () => resolve((proxy.address() as AddressInfo).port));
	});
	const proxyUrl = `http://127.0.0.1:${port}`;
	return {
		proxyUrl,
		caFile: ca.caFile,
		env: {
			HTTPS_PROXY: proxyUrl,
			HTTP_PROXY: proxyUrl,
			// The other fakes and n8n's own task broker are on loopback and must not go through the proxy.
			NO_PROXY: '127.0.0.1,localhost,::1',
			NODE_EXTRA_CA_CERTS: ca.caFile,
		},
		createSpreadsheet: (id, sheets) => spreadsheets.create(id, sheets),
		rows: (id, sheet) => spreadsheets.rows(id, sheet),
		requests,
		unknown,
		refused,
		serviceAccount: oauth.serviceAccount,
		acceptRefreshToken: (token) => oauth.acceptRefreshToken(token),
		holdValueReads: (count, timeoutMs = 30_000) => {
			releaseReads();
			readBarrier = { waiting: [], count, timer: setTimeout(releaseReads, timeoutMs) };
		},
		close: async () => {
			for (const socket of sockets) socket.destroy();
			await new Promise<void>((resolve) => proxy.close(() => resolve()));
			rmSync(folder, { recursive: true, force: true });
		},
	};
}
