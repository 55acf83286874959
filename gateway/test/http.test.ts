import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { createApi, Route } from '../src/http';
import { SendQueue } from '../src/sendQueue';
import { Session } from '../src/session';
import { fakeFactory } from './fakeClient';
import { tempDir } from './helpers';

const KEY = 'test-key-0123456789';

async function gateway(t: Parameters<typeof tempDir>[0], opts: { hourlyCap?: number; maxBytes?: number; allowPrivateUrls?: boolean; routes?: Route[]; sendTimeoutMs?: number } = {}) {
	const fake = fakeFactory();
	const session = new Session({ createClient: fake.factory, authDir: tempDir(t), chromiumPath: '/usr/bin/chromium', restartBaseMs: 60_000 });
	const queue = new SendQueue({ minIntervalMs: 0, jitterMs: 0, hourlyCap: opts.hourlyCap ?? 100 });
	const server = createApi({
		session,
		apiKey: KEY,
		queue,
		media: { maxBytes: opts.maxBytes ?? 1000, timeoutMs: 2000, allowPrivateUrls: opts.allowPrivateUrls ?? false },
		sendTimeoutMs: opts.sendTimeoutMs ?? 5000,
		routes: opts.routes,
	});
	await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
	t.after(async () => {
		await session.stop();
		server.close();
	});
	const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
	const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = { 'x-api-key': KEY }) => {
		const res = await fetch(base + path, { method, headers: { 'content-type': 'application/json', ...headers }, body: body === undefined ? undefined : JSON.stringify(body) });
		const type = res.headers.get('content-type') ?? '';
		const data: any = type.startsWith('application/json') ? await res.json() : type.startsWith('text/') ? await res.text() : Buffer.from(await res.arrayBuffer());
		return { status: res.status, headers: res.headers, data };
	};
	session.start();
	const ready = () => fake.clients[0].completePairing();
	return { session, fake, call, base, ready };
}

test('API key: missing or wrong → 401 with nothing else; X-Api-Key or Bearer accepted', async (t) => {
	const { call } = await gateway(t);
	const wrong: Array<Record<string, string>> = [{}, { 'x-api-key': 'wrong' }, { authorization: 'Bearer wrong' }, { 'x-api-key': KEY + 'x' }];
	for (const headers of wrong) {
		const r = await call('GET', '/status', undefined, headers);
		assert.equal(r.status, 401);
		assert.deepEqual(r.data, { error: 'unauthorized' });
	}
	assert.equal((await call('GET', '/nope', undefined, {})).status, 401, 'unknown paths are not revealed either');
	assert.equal((await call('GET', '/status', undefined, { authorization: `Bearer ${KEY}` })).status, 200);
});

test('GET /status and /health follow the session', async (t) => {
	const { call, ready } = await gateway(t);
	let r = await call('GET', '/status');
	assert.equal(r.data.state, 'STARTING');
	assert.equal(r.headers.get('cache-control'), 'no-store');
	ready();
	r = await call('GET', '/status');
	assert.equal(r.data.ready, true);
	assert.equal(r.data.me.phone, '8613900000000');
	assert.deepEqual((await call('GET', '/health')).data, { ok: true, state: 'READY' });
});

test('GET /qr: 404 when none pending; PNG, raw and data URL, never cached', async (t) => {
	const { call, fake } = await gateway(t);
	let r = await call('GET', '/qr');
	assert.equal(r.status, 404);
	assert.equal(r.data.error, 'no_qr');
	assert.match(r.data.message, /STARTING/);
	fake.clients[0].emitQr('2@abc,def,ghi,jkl');
	r = await call('GET', '/qr');
	assert.equal(r.status, 200);
	assert.equal(r.headers.get('content-type'), 'image/png');
	assert.equal(r.headers.get('cache-control'), 'no-store');
	assert.deepEqual([...r.data.subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47]);
	r = await call('GET', '/qr?format=raw');
	assert.equal(r.data, '2@abc,def,ghi,jkl');
	assert.equal(r.headers.get('cache-control'), 'no-store');
	r = await call('GET', '/qr?format=dataurl');
	assert.match(r.data.dataUrl, /^data:image\/png;base64,/);
	assert.equal((await call('GET', '/qr?format=gif')).status, 400);
});

test('POST /pairing-code: code while the QR is pending, 409 when READY, 400 for a bad phone', async (t) => {
	const { call, fake, ready } = await gateway(t);
	fake.clients[0].emitQr();
	assert.equal((await call('POST', '/pairing-code', { phone: 'abc' })).status, 400);
	const r = await call('POST', '/pairing-code', { phone: '+86 138 0000 1234' });
	assert.deepEqual(r.data, { code: 'CODE1234' });
	assert.equal((await call('GET', '/status')).data.state, 'PAIRING_CODE');
	ready();
	assert.equal((await call('POST', '/pairing-code', { phone: '+86 138 0000 1234' })).status, 409);
});

test('POST /logout → STOPPED body, a new client starts for a new QR', async (t) => {
	const { call, fake, ready } = await gateway(t);
	ready();
	const r = await call('POST', '/logout');
	assert.deepEqual(r.data, { state: 'STOPPED' });
	assert.equal(fake.clients[0].loggedOut, true);
	assert.equal(fake.clients.length, 2);
});

test('POST /send text: phone number checked with WhatsApp, chat IDs passed through', async (t) => {
	const { call, fake, ready } = await gateway(t);
	assert.equal((await call('POST', '/send', { to: '+86 138 0000 0000', text: 'hi' })).status, 409);
	ready();
	let r = await call('POST', '/send', { to: '+86 138 0000 0000', text: 'hi' });
	assert.equal(r.status, 200);
	assert.equal(r.data.chatId, '8613800000000@c.us');
	assert.match(r.data.messageId, /^true_8613800000000@c\.us_/);
	r = await call('POST', '/send', { to: '1234567890@lid', text: 'hi lid' });
	assert.equal(r.data.chatId, '1234567890@lid');
	assert.deepEqual(fake.clients[0].sent.map((s) => [s.chatId, s.text]), [['8613800000000@c.us', 'hi'], ['1234567890@lid', 'hi lid']]);
	r = await call('POST', '/send', { to: '+1 555 000 0000', text: 'x' });
	assert.equal(r.status, 404);
	assert.equal(r.data.error, 'not_on_whatsapp');
	for (const bad of [{ to: '+86 138', text: 'x' }, { to: 'bob', text: 'x' }, { to: '8613800000000@c.us' }, { to: '8613800000000@c.us', text: '' }]) {
		const res = await call('POST', '/send', bad);
		assert.equal(res.status, 400, JSON.stringify(bad));
		assert.equal(res.data.error, 'bad_request');
	}
	fake.clients[0].sendError = new Error('Evaluation failed: markedUnread');
	r = await call('POST', '/send', { to: '8613800000000@c.us', text: 'x' });
	assert.equal(r.status, 502);
	assert.equal(r.data.error, 'send_failed');
});

test('POST /send media: base64 within the limit, 413 over it, bad base64 → 400', async (t) => {
	const { call, fake, ready } = await gateway(t, { maxBytes: 1000 });
	ready();
	const small = Buffer.alloc(600, 1).toString('base64');
	let r = await call('POST', '/send', { to: '8613800000000@c.us', media: { base64: small, mimetype: 'image/png', filename: 'a.png' }, caption: 'cap' });
	assert.equal(r.status, 200);
	assert.equal(fake.clients[0].sent[0].media?.mimetype, 'image/png');
	assert.equal(fake.clients[0].sent[0].caption, 'cap');
	r = await call('POST', '/send', { to: '8613800000000@c.us', media: { base64: Buffer.alloc(1200).toString('base64'), mimetype: 'image/png' } });
	assert.equal(r.status, 413);
	assert.equal(r.data.error, 'too_large');
	r = await call('POST', '/send', { to: '8613800000000@c.us', media: { base64: '!!!', mimetype: 'image/png' } });
	assert.equal(r.status, 400);
	r = await call('POST', '/send', { to: '8613800000000@c.us', media: { base64: small } });
	assert.equal(r.status, 400);
});

test('POST /send media from a URL: private addresses refused unless allowed; size limit while downloading', async (t) => {
	const files = http.createServer((req, res) => {
		if (req.url === '/big.bin') {
			res.end(Buffer.alloc(5000));
		} else if (req.url === '/redirect') {
			res.writeHead(302, { location: '/a.pdf' });
			res.end();
		} else {
			res.writeHead(200, { 'content-type': 'application/pdf' });
			res.end(Buffer.alloc(100, 2));
		}
	});
	await new Promise<void>((r) => files.listen(0, '127.0.0.1', r));
	t.after(() => files.close());
	const fileBase = `http://127.0.0.1:${(files.address() as AddressInfo).port}`;

	const closed = await gateway(t);
	closed.ready();
	let r = await closed.call('POST', '/send', { to: '8613800000000@c.us', media: { url: `${fileBase}/a.pdf` } });
	assert.equal(r.status, 400);
	assert.match(r.data.message, /private or loopback/);
	r = await closed.call('POST', '/send', { to: '8613800000000@c.us', media: { url: 'file:///etc/passwd' } });
	assert.equal(r.status, 400);

	const open = await gateway(t, { allowPrivateUrls: true, maxBytes: 1000 });
	open.ready();
	r = await open.call('POST', '/send', { to: '8613800000000@c.us', media: { url: `${fileBase}/redirect` } });
	assert.equal(r.status, 200);
	const media = open.fake.clients[0].sent[0].media!;
	assert.equal(media.mimetype, 'application/pdf');
	assert.equal(media.filename, 'a.pdf');
	assert.equal(Buffer.from(media.data, 'base64').length, 100);
	r = await open.call('POST', '/send', { to: '8613800000000@c.us', media: { url: `${fileBase}/big.bin` } });
	assert.equal(r.status, 413);
});

test('hourly cap → 429 with Retry-After; nothing more reaches WhatsApp', async (t) => {
	const { call, fake, ready } = await gateway(t, { hourlyCap: 2 });
	ready();
	assert.equal((await call('POST', '/send', { to: '8613800000000@c.us', text: '1' })).status, 200);
	assert.equal((await call('POST', '/send', { to: '8613800000000@c.us', text: '2' })).status, 200);
	const r = await call('POST', '/send', { to: '8613800000000@c.us', text: '3' });
	assert.equal(r.status, 429);
	assert.equal(r.data.error, 'rate_limited');
	const retryAfter = Number(r.headers.get('retry-after'));
	assert.ok(retryAfter > 3500 && retryAfter <= 3600, String(retryAfter));
	assert.equal(fake.clients[0].sent.length, 2);
});

test('body limits: a JSON body over the limit → 413; not JSON → 400', async (t) => {
	const { call, fake } = await gateway(t);
	fake.clients[0].emitQr();
	assert.equal((await call('POST', '/pairing-code', { phone: '8613800000000', pad: 'x'.repeat(1_100_000) })).status, 413);
	const res = await fetch((await gateway(t)).base + '/send', { method: 'POST', headers: { 'x-api-key': KEY }, body: 'not json' });
	assert.equal(res.status, 400);
});

test('GET /contacts/:number', async (t) => {
	const { call, ready } = await gateway(t);
	assert.equal((await call('GET', '/contacts/8613800000000')).status, 409);
	ready();
	assert.deepEqual((await call('GET', '/contacts/+8613800000000')).data, { number: '8613800000000', exists: true, chatId: '8613800000000@c.us' });
	assert.deepEqual((await call('GET', '/contacts/15550000000')).data, { number: '15550000000', exists: false, chatId: null });
});

test('mounted routes run after the API key check and before the built-in ones', async (t) => {
	const seen: string[] = [];
	const route: Route = async (_req, res, url) => {
		seen.push(url.pathname);
		if (url.pathname !== '/webhooks') return false;
		res.writeHead(204);
		res.end();
		return true;
	};
	const { call } = await gateway(t, { routes: [route] });
	assert.equal((await call('GET', '/webhooks', undefined, {})).status, 401);
	assert.equal((await call('GET', '/webhooks')).status, 204);
	assert.equal((await call('GET', '/status')).status, 200);
	assert.deepEqual(seen, ['/webhooks', '/status']);
});
