// The gateway with --client simulated, as `npm start` runs it (launchGateway): the real HTTP API, send
// queue, webhook queue on disk and signatures, on a WhatsApp simulated in the process. The receiver of
// the webhooks is on loopback; one test spawns the built gateway to prove the flag needs no whatsapp-web.js.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, test, type TestContext } from 'node:test';
import type { GatewayConfig } from '../src/config';
import { SimulatedWhatsApp } from '../src/client/simulated';
import { launchGateway, type RunningGateway } from '../src/main';
import type { SessionState } from '../src/session';
import { verifySignature } from '../src/webhooks';
import { testConfig, waitForState } from './helpers';

// Removed after every test has closed its gateway: a test's own cleanup would run before the gateway's.
const folders: string[] = [];
after(() => folders.forEach((dir) => rmSync(dir, { recursive: true, force: true })));
function dataFolder(): string {
	const dir = mkdtempSync(path.join(tmpdir(), 'gw-sim-'));
	folders.push(dir);
	return dir;
}

interface Received {
	type: string;
	data: Record<string, any>;
	signed: boolean;
}

async function receiver(t: TestContext, secret: string, answer: () => number = () => 200) {
	const events: Received[] = [];
	let arrived: () => void = () => {};
	const server = createServer((req, res) => {
		let body = '';
		req.on('data', (c: Buffer) => (body += c.toString()));
		req.on('end', () => {
			const status = answer();
			res.writeHead(status).end();
			if (status !== 200) return;
			const event = JSON.parse(body) as { type: string; data: Record<string, any> };
			const signed = verifySignature(secret, String(req.headers['x-gateway-timestamp']), body, String(req.headers['x-gateway-signature']));
			events.push({ type: event.type, data: event.data, signed });
			arrived();
		});
	});
	await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
	t.after(() => new Promise<void>((r) => server.close(() => r())));
	return {
		url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
		events,
		async next(type: string): Promise<Received> {
			for (;;) {
				const found = events.find((e) => e.type === type);
				if (found) {
					events.splice(events.indexOf(found), 1);
					return found;
				}
				await new Promise<void>((r) => (arrived = r));
			}
		},
	};
}

async function simulated(t: TestContext, dataDir: string, overrides: Partial<GatewayConfig> = {}) {
	const config = testConfig(dataDir, { client: 'simulated', ...overrides });
	const gateway = await launchGateway(config, () => {});
	let closed = false;
	const close = async () => {
		if (closed) return;
		closed = true;
		await gateway.close();
	};
	t.after(close);
	const base = `http://127.0.0.1:${(gateway.server.address() as AddressInfo).port}`;
	const call = async (method: string, url: string, body?: unknown, key = config.apiKey) => {
		const res = await fetch(`${base}${url}`, {
			method,
			headers: { 'x-api-key': key, 'content-type': 'application/json' },
			body: body === undefined ? undefined : JSON.stringify(body),
		});
		const text = await res.text();
		return { status: res.status, data: text.startsWith('{') ? JSON.parse(text) : text };
	};
	return { gateway, config, call, close };
}

/** Every state the session goes through from now on. */
function states(gateway: RunningGateway): SessionState[] {
	const seen: SessionState[] = [gateway.session.status().state];
	gateway.session.onChange((s) => seen.push(s.state));
	return seen;
}

test('simulated, already linked: a customer message reaches the webhook signed; /send shows in /simulator/sent and as message.own sentByGateway true; a message typed on the phone as sentByGateway false', async (t) => {
	const sim = await simulated(t, dataFolder(), { simulatedLinked: true });
	await waitForState(sim.gateway.session, 'READY');
	const hook = await receiver(t, sim.config.webhookSecret);
	assert.equal((await sim.call('POST', '/webhooks', { url: hook.url, events: ['message', 'message.own'] })).status, 201);

	const incoming = await sim.call('POST', '/simulator/messages', { from: '8613800000000', body: '你好', senderName: 'Li Lei' });
	assert.equal(incoming.status, 201, JSON.stringify(incoming.data));
	const message = await hook.next('message');
	assert.ok(message.signed, 'signed with the webhook secret');
	assert.equal(message.data.messageId, incoming.data.id);
	assert.match(incoming.data.id, /^false_8613800000000@c\.us_3EB0[0-9A-F]+$/);
	assert.deepEqual(
		[message.data.chatId, message.data.fromPhone, message.data.senderName, message.data.body, message.data.fromMe],
		['8613800000000@c.us', '8613800000000', 'Li Lei', '你好', false],
	);

	const sent = await sim.call('POST', '/send', { to: message.data.chatId, text: '您好，请问有什么可以帮您？' });
	assert.equal(sent.status, 200, JSON.stringify(sent.data));
	const own = await hook.next('message.own');
	assert.deepEqual([own.data.messageId, own.data.sentByGateway, own.data.body], [sent.data.messageId, true, '您好，请问有什么可以帮您？']);
	const media = await sim.call('POST', '/send', { to: '8613800000000@c.us', media: { base64: Buffer.from('%PDF-1.4').toString('base64'), mimetype: 'application/pdf', filename: 'menu.pdf' }, caption: 'menu' });
	assert.equal(media.status, 200);
	const log = (await sim.call('GET', '/simulator/sent')).data.sent;
	assert.deepEqual(
		log.map((s: any) => [s.id, s.chatId, s.text, s.caption, s.media]),
		[
			[sent.data.messageId, '8613800000000@c.us', '您好，请问有什么可以帮您？', undefined, undefined],
			[media.data.messageId, '8613800000000@c.us', undefined, 'menu', { mimetype: 'application/pdf', filename: 'menu.pdf', bytes: 8 }],
		],
	);
	assert.ok(!Number.isNaN(Date.parse(log[0].at)));
	assert.deepEqual((await sim.call('DELETE', '/simulator/sent')).data, { cleared: 2 });
	assert.deepEqual((await sim.call('GET', '/simulator/sent')).data, { sent: [] });

	await hook.next('message.own'); // the media's echo
	const typed = await sim.call('POST', '/simulator/phone-messages', { to: '8613800000000', body: 'typed on the phone' });
	assert.equal(typed.status, 201);
	const phoneEcho = await hook.next('message.own');
	assert.deepEqual([phoneEcho.data.messageId, phoneEcho.data.sentByGateway, phoneEcho.data.fromMe], [typed.data.id, false, true]);
});

test('simulated: a linked-ID sender with and without a phone, a group message, numbers on WhatsApp or not', async (t) => {
	const sim = await simulated(t, dataFolder(), { simulatedLinked: true });
	await waitForState(sim.gateway.session, 'READY');
	const hook = await receiver(t, sim.config.webhookSecret);
	await sim.call('POST', '/webhooks', { url: hook.url, events: ['message'] });

	await sim.call('POST', '/simulator/messages', { from: '20000000001@lid', body: 'a', phone: '8613700000001' });
	const lid = (await hook.next('message')).data;
	assert.deepEqual([lid.from, lid.fromLid, lid.fromPhone], ['20000000001@lid', '20000000001@lid', '8613700000001']);
	await sim.call('POST', '/simulator/messages', { from: '20000000002@lid', body: 'b' });
	assert.equal((await hook.next('message')).data.fromPhone, null);
	const group = await sim.call('POST', '/simulator/messages', { from: '8613700000002', body: 'c', group: '120363000000000001@g.us' });
	const g = (await hook.next('message')).data;
	assert.deepEqual([g.messageId, g.chatId, g.isGroup, g.author, g.fromPhone], [group.data.id, '120363000000000001@g.us', true, '8613700000002@c.us', '8613700000002']);

	assert.equal((await sim.call('GET', '/contacts/15551234567')).data.exists, true);
	assert.equal((await sim.call('GET', '/contacts/15551230000')).data.exists, false);
	assert.equal((await sim.call('POST', '/send', { to: '+1 555 123 0000', text: 'x' })).status, 404);
	// A number that wrote to the shop is on WhatsApp, whatever it ends with.
	await sim.call('POST', '/simulator/messages', { from: '8613800000000', body: 'd' });
	assert.equal((await sim.call('GET', '/contacts/8613800000000')).data.exists, true);
});

test('simulated: inputs are checked (400 says what to fix), the API key is required, nothing comes in while the phone is not linked', async (t) => {
	const sim = await simulated(t, dataFolder());
	await waitForState(sim.gateway.session, 'QR');
	assert.equal((await sim.call('POST', '/simulator/messages', { from: '8613800000000', body: 'x' }, 'wrong-key-0123456789')).status, 401);
	const notLinked = await sim.call('POST', '/simulator/messages', { from: '8613800000000', body: 'x' });
	assert.equal(notLinked.status, 409);
	assert.match(notLinked.data.message, /POST \/simulator\/link/);
	assert.equal((await sim.call('POST', '/simulator/unlink')).status, 409);
	await sim.call('POST', '/simulator/link');

	const cases: Array<[unknown, RegExp]> = [
		[{ body: 'x' }, /"from" must be/],
		[{ from: 'abc', body: 'x' }, /"from" must be/],
		[{ from: '120363000000000001@g.us', body: 'x' }, /"from" must be/],
		[{ from: '8613800000000' }, /"body" must be the message text/],
		[{ from: '8613800000000', body: 'x'.repeat(70_000) }, /"body" must be the message text, 1 to 65536/],
		[{ from: '8613800000000', body: 'x', phone: '8613700000001' }, /"phone" is only for a sender given as "…@lid"/],
		[{ from: '1@lid', body: 'x', phone: 'abc' }, /"phone" must be/],
		[{ from: '8613800000000', body: 'x', group: '123@c.us' }, /"group" must be a group chat ID/],
	];
	for (const [body, message] of cases) {
		const r = await sim.call('POST', '/simulator/messages', body);
		assert.equal(r.status, 400, JSON.stringify(body));
		assert.match(r.data.message, message);
	}
	assert.equal((await sim.call('POST', '/simulator/phone-messages', { to: 'nobody', body: 'x' })).status, 400);
	assert.equal((await sim.call('POST', '/simulator/messages', { from: '8613800000000', body: 'x'.repeat(400_000) })).status, 413);
	assert.match((await sim.call('POST', '/simulator/fail', { reason: 'bored' })).data.message, /"reason" must be one of: cannot_reach_whatsapp_web/);
});

test('simulated login: QR codes until /simulator/link → READY; a restart on the same data folder is READY with no QR; after POST /logout a restart shows a QR again', async (t) => {
	const dataDir = dataFolder();
	const first = await simulated(t, dataDir);
	await waitForState(first.gateway.session, 'QR');
	assert.match((await first.call('GET', '/qr?format=raw')).data, /^SIMULATED-QR,1,[\w-]+$/);
	const linked = await first.call('POST', '/simulator/link');
	assert.equal(linked.status, 200);
	assert.deepEqual([linked.data.state, linked.data.me], ['READY', { id: '15550000000@c.us', phone: '15550000000', name: 'Sandbox Shop' }]);
	assert.equal((await first.call('POST', '/simulator/link')).status, 409);
	await first.close();

	const second = await simulated(t, dataDir);
	const seen = states(second.gateway);
	await waitForState(second.gateway.session, 'READY');
	assert.deepEqual(seen, ['STARTING', 'AUTHENTICATING', 'READY']);
	assert.equal((await second.call('POST', '/logout')).status, 200);
	await waitForState(second.gateway.session, 'QR');
	await second.close();

	const third = await simulated(t, dataDir);
	await waitForState(third.gateway.session, 'QR');
	// A pairing code links as well as the QR code does.
	const code = await third.call('POST', '/pairing-code', { phone: '+1 555 000 0000' });
	assert.match(code.data.code, /^[1-9A-HJ-NP-TV-Z]{8}$/);
	assert.equal(third.gateway.session.status().state, 'PAIRING_CODE');
	assert.equal((await third.call('POST', '/simulator/link')).data.state, 'READY');
});

test('simulated: the phone removes the device → FAILED logged_out and the login is gone; a driven failure shows its reason until cleared', async (t) => {
	const dataDir = dataFolder();
	const sim = await simulated(t, dataDir, { simulatedLinked: true });
	await waitForState(sim.gateway.session, 'READY');
	const marker = path.join(dataDir, 'auth', 'session-default', 'simulated-login.json');
	assert.ok(existsSync(marker));
	const unlinked = await sim.call('POST', '/simulator/unlink');
	assert.deepEqual([unlinked.data.state, unlinked.data.reason], ['FAILED', 'logged_out']);
	assert.ok(!existsSync(marker), 'the saved login is deleted');
	await sim.close();

	const again = await simulated(t, dataDir, { simulatedLinked: true });
	await waitForState(again.gateway.session, 'READY');
	for (const reason of ['cannot_reach_whatsapp_web', 'profile_locked', 'whatsapp_web_incompatible', 'browser_launch_failed']) {
		const failed = await again.call('POST', '/simulator/fail', { reason });
		assert.deepEqual([failed.data.state, failed.data.reason], ['FAILED', reason]);
	}
	const recovered = await again.call('DELETE', '/simulator/fail');
	assert.equal(recovered.data.state, 'READY', 'the saved login survives a start failure');
	const dropped = await again.call('POST', '/simulator/fail', { reason: 'timeout' });
	assert.deepEqual([dropped.data.state, dropped.data.reason], ['FAILED', 'timeout']);
	await again.call('DELETE', '/simulator/fail');
	const refused = await again.call('POST', '/simulator/fail', { reason: 'auth_failure' });
	assert.deepEqual([refused.data.state, refused.data.reason], ['FAILED', 'auth_failure']);
	assert.equal((await again.call('DELETE', '/simulator/fail')).data.state, 'QR', 'a refused login is deleted: a new QR code');
});

test('simulated client: a new QR code at every interval until linked, then none', async () => {
	const phone = new SimulatedWhatsApp({ qrIntervalMs: 5 });
	const qrs: string[] = [];
	let enough: () => void = () => {};
	const nothing = () => {};
	const client = phone.createClient({
		authDir: dataFolder(),
		clientId: 'default',
		chromiumPath: '/nonexistent',
		handlers: {
			qr: (qr) => {
				qrs.push(qr);
				if (qrs.length === 3) enough();
			},
			code: nothing, authenticated: nothing, authFailure: nothing, ready: nothing, disconnected: nothing, browserClosed: nothing, message: nothing, ownMessage: nothing, ack: nothing,
		},
	});
	const three = new Promise<void>((r) => (enough = r));
	await client.initialize();
	assert.equal(qrs.length, 0, 'initialize() resolves before the first QR code, as whatsapp-web.js does');
	await three;
	assert.deepEqual(qrs.map((q) => q.split(',')[1]), ['1', '2', '3']);
	assert.equal(new Set(qrs).size, 3);
	phone.current!.link();
	const count = qrs.length;
	await new Promise((r) => setTimeout(r, 30));
	assert.equal(qrs.length, count, 'no QR code after linking');
	await client.destroy();
});

test('the /simulator routes exist only in simulated mode', async (t) => {
	const config = testConfig(dataFolder(), { chromiumPath: '/nonexistent/chromium' });
	const gateway = await launchGateway(config, () => {});
	t.after(() => gateway.close());
	const base = `http://127.0.0.1:${(gateway.server.address() as AddressInfo).port}`;
	const r = await fetch(`${base}/simulator/link`, { method: 'POST', headers: { 'x-api-key': config.apiKey } });
	assert.equal(r.status, 404);
	assert.equal(gateway.simulator, null);
});

test('webhook retry timings come from the configuration (a receiver failing 3 times is served within the guard, not after the 1 s default backoff)', { timeout: 2_500 }, async (t) => {
	const sim = await simulated(t, dataFolder(), { simulatedLinked: true, webhookRetryBaseMs: 5, webhookRetryMaxMs: 20 });
	await waitForState(sim.gateway.session, 'READY');
	let answers = 0;
	const hook = await receiver(t, sim.config.webhookSecret, () => (++answers <= 3 ? 503 : 200));
	await sim.call('POST', '/webhooks', { url: hook.url, events: ['message'] });
	await sim.call('POST', '/simulator/messages', { from: '8613800000000', body: 'retry me' });
	assert.equal((await hook.next('message')).data.body, 'retry me');
	assert.equal(answers, 4);
});

test('`node dist/src/main.js --client simulated --simulated-linked` starts READY without loading whatsapp-web.js or puppeteer, and stops on SIGTERM', { timeout: 30_000 }, async (t) => {
	const dir = dataFolder();
	// Refuses the browser stack: if main() imported it, the gateway would exit with this error.
	const guard = path.join(dir, 'no-browser.js');
	writeFileSync(
		guard,
		`const Module = require('node:module'); const load = Module._load;
Module._load = function (request, ...rest) { if (/^(whatsapp-web\\.js|puppeteer)/.test(request)) throw new Error('loaded ' + request); return load.call(this, request, ...rest); };`,
	);
	const apiKey = 'spawn-test-api-key-0123';
	const child = spawn(
		process.execPath,
		['--require', guard, path.join(__dirname, '..', 'src', 'main.js'), '--client', 'simulated', '--simulated-linked', '--port', '0', '--data-dir', path.join(dir, 'data')],
		{ env: { ...process.env, GATEWAY_API_KEY: apiKey, GATEWAY_WEBHOOK_SECRET: 'spawn-test-secret-0123456' }, stdio: ['ignore', 'pipe', 'pipe'] },
	);
	const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
	t.after(() => {
		if (child.exitCode === null) child.kill('SIGKILL');
	});
	let output = '';
	child.stderr.on('data', (c: Buffer) => (output += c.toString()));
	const port = await new Promise<number>((resolve, reject) => {
		child.stdout.on('data', (c: Buffer) => {
			output += c.toString();
			const m = /gateway on http:\/\/127\.0\.0\.1:(\d+)/.exec(output);
			if (m && /WhatsApp is simulated/.test(output)) resolve(Number(m[1]));
		});
		void exited.then((code) => reject(new Error(`the gateway exited (${code}): ${output}`)));
	});
	let status: { state?: string; me?: { name: string } } = {};
	for (let i = 0; i < 100 && status.state !== 'READY'; i++) {
		status = (await (await fetch(`http://127.0.0.1:${port}/status`, { headers: { 'x-api-key': apiKey } })).json()) as typeof status;
		if (status.state !== 'READY') await new Promise((r) => setTimeout(r, 20));
	}
	assert.equal(status.state, 'READY', output);
	assert.equal(status.me?.name, 'Sandbox Shop');
	child.kill('SIGTERM');
	assert.equal(await exited, 0, output);
});
