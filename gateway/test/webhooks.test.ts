// The webhook dispatcher against loopback receivers: signing, retries on a hand-driven clock, what 4xx,
// 5xx and 429 mean, a receiver that is down and comes back, restarts (graceful and SIGKILL) from disk,
// deduplication and a full queue.
import { spawn } from 'node:child_process';
import { appendFileSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
	backoffMs,
	parseRetryAfter,
	signPayload,
	verifySignature,
	webhookRoutes,
	WebhookDispatcher,
	type GatewayEvent,
	type Scheduler,
	type WebhookDispatcherOptions,
} from '../src/webhooks/index.js';

const SECRET = 'test-webhook-secret';

interface Received {
	headers: http.IncomingHttpHeaders;
	raw: string;
	event: GatewayEvent & { data: { i?: number } };
}

type Answer = { status: number; headers?: Record<string, string> };

/** A loopback receiver that records every request and answers what `answer` says (200 by default). */
async function startReceiver(port = 0, answer: (n: number) => Answer = () => ({ status: 200 })) {
	const received: Received[] = [];
	const server = http.createServer((req, res) => {
		const chunks: Buffer[] = [];
		req.on('data', (chunk: Buffer) => chunks.push(chunk));
		req.on('end', () => {
			const raw = Buffer.concat(chunks).toString('utf8');
			received.push({ headers: req.headers, raw, event: JSON.parse(raw) });
			const { status, headers } = answer(received.length);
			res.writeHead(status, headers).end();
		});
	});
	await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
	const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhook/abc/webhook`;
	const close = () => new Promise<void>((resolve) => server.close(() => resolve()));
	server.keepAliveTimeout = 100;
	return { received, url, port: (server.address() as AddressInfo).port, close: async () => (server.closeAllConnections(), close()) };
}

/** Timers that fire only when the test says so, recording the delay each was set for. */
class HandClock implements Scheduler {
	t = 1_764_500_000_000;
	pending: Array<{ ms: number; fn: () => void }> = [];
	delays: number[] = [];
	now(): number {
		return this.t;
	}
	schedule(ms: number, fn: () => void): () => void {
		const timer = { ms, fn };
		this.pending.push(timer);
		this.delays.push(ms);
		return () => (this.pending = this.pending.filter((other) => other !== timer));
	}
	fireAll(): void {
		const due = this.pending.splice(0);
		for (const timer of due) {
			this.t += timer.ms;
			timer.fn();
		}
	}
}

/** Waits for real I/O (loopback HTTP); the deadline only turns a hang into a failure. */
async function until(condition: () => boolean, what: string): Promise<void> {
	const deadline = Date.now() + 10_000;
	while (!condition()) {
		if (Date.now() > deadline) assert.fail(`gave up waiting for ${what}`);
		await new Promise((resolve) => setTimeout(resolve, 5));
	}
}

const folders: string[] = [];
const dispatchers: WebhookDispatcher[] = [];
afterEach(() => {
	for (const dispatcher of dispatchers.splice(0)) dispatcher.close();
	for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
});

function tempFolder(): string {
	const folder = mkdtempSync(path.join(tmpdir(), 'gw-webhooks-'));
	folders.push(folder);
	return folder;
}

function dispatcher(options: Partial<WebhookDispatcherOptions> & { dataFolder: string }) {
	const warnings: string[] = [];
	// One request in flight per webhook unless a test says otherwise, so arrival order is delivery order.
	const made = new WebhookDispatcher({
		secret: SECRET,
		random: () => 0.5,
		inFlightPerWebhook: 1,
		logger: { warn: (m) => warnings.push(m) },
		...options,
	});
	dispatchers.push(made);
	return { dispatcher: made, warnings };
}

const message = (i: number) => ({ messageId: `false_8613800000000@c.us_${i}`, chatId: '8613800000000@c.us', body: `hello ${i}`, i });

describe('signature', () => {
	const now = 1_764_500_000;
	const body = '{"id":"evt_1","type":"message"}';
	const header = signPayload(SECRET, now, body);

	it('is sha256= and the hex HMAC of "<timestamp>.<raw body>"', () => {
		assert.match(header, /^sha256=[0-9a-f]{64}$/);
		assert.equal(verifySignature(SECRET, now, body, header, now), true);
		assert.equal(verifySignature(SECRET, String(now), Buffer.from(body), header, now + 299), true);
	});

	it('refuses another body, secret or timestamp, a missing or cut header, and a timestamp over 300 s away', () => {
		assert.equal(verifySignature(SECRET, now, body + ' ', header, now), false);
		assert.equal(verifySignature('other', now, body, header, now), false);
		assert.equal(verifySignature(SECRET, now + 1, body, header, now), false);
		assert.equal(verifySignature(SECRET, now, body, undefined, now), false);
		assert.equal(verifySignature(SECRET, now, body, header.slice(0, -1), now), false);
		assert.equal(verifySignature(SECRET, now, body, header, now + 301), false);
		assert.equal(verifySignature(SECRET, now, body, header, now - 301), false);
		assert.equal(verifySignature(SECRET, 'x', body, header, now), false);
	});
});

describe('backoff and Retry-After', () => {
	it('doubles from the base with half the step random, up to the cap', () => {
		assert.equal(
			backoffMs(1, 1000, 300_000, () => 0),
			500,
		);
		assert.equal(
			backoffMs(1, 1000, 300_000, () => 1),
			1000,
		);
		assert.equal(
			backoffMs(4, 1000, 300_000, () => 0.5),
			6000,
		);
		assert.equal(
			backoffMs(30, 1000, 300_000, () => 1),
			300_000,
		);
	});

	it('reads seconds and HTTP dates', () => {
		assert.equal(parseRetryAfter('7', 0), 7000);
		assert.equal(parseRetryAfter(new Date(60_000).toUTCString(), 0), 60_000);
		assert.equal(parseRetryAfter('soon', 0), undefined);
		assert.equal(parseRetryAfter(undefined, 0), undefined);
	});
});

describe('delivery', () => {
	it('POSTs the contract body with event ID, timestamp and a signature the receiver can verify', async () => {
		const receiver = await startReceiver();
		const clock = new HandClock();
		const { dispatcher: d } = dispatcher({ dataFolder: tempFolder(), scheduler: clock });
		d.register(receiver.url, ['message']);
		d.publish('message', message(1), 'm1');
		d.publish('session.state', { state: 'READY' });
		await d.idle();
		await receiver.close();

		assert.equal(receiver.received.length, 1, 'only the type the registration wants');
		const [{ headers, raw, event }] = receiver.received;
		assert.match(event.id, /^evt_[0-9A-HJKMNP-TV-Z]{26}$/);
		assert.deepEqual(
			{ ...event, id: undefined },
			{ id: undefined, type: 'message', timestamp: 1_764_500_000, session: 'default', data: message(1) },
		);
		assert.equal(headers['content-type'], 'application/json');
		assert.equal(headers['x-gateway-event-id'], event.id);
		assert.equal(headers['x-gateway-timestamp'], '1764500000');
		assert.equal(
			verifySignature(SECRET, headers['x-gateway-timestamp'] as string, raw, headers['x-gateway-signature'] as string, 1_764_500_010),
			true,
		);
	});

	it('retries 5xx with exponential backoff and jitter, then delivers the same event once', async () => {
		const receiver = await startReceiver(0, (n) => ({ status: n <= 3 ? 503 : 200 }));
		const clock = new HandClock();
		const { dispatcher: d } = dispatcher({ dataFolder: tempFolder(), scheduler: clock });
		d.register(receiver.url);
		d.publish('message', message(1), 'm1');
		for (let attempt = 1; attempt <= 3; attempt++) {
			await until(() => clock.pending.length === 1, `retry ${attempt} to be scheduled`);
			clock.fireAll();
		}
		await d.idle();
		await receiver.close();
		// random() = 0.5: three quarters of 1 s, 2 s, 4 s.
		assert.deepEqual(clock.delays, [750, 1500, 3000]);
		assert.equal(receiver.received.length, 4);
		assert.equal(new Set(receiver.received.map((r) => r.event.id)).size, 1);
		assert.deepEqual(d.stats().delivered, 1);
	});

	it('drops an event refused with 4xx (logged, not retried) and goes on; retries 408 and 404 (n8n starting)', async () => {
		const receiver = await startReceiver(0, (n) => ({ status: [400, 408, 404, 200, 200][n - 1] }));
		const clock = new HandClock();
		const { dispatcher: d, warnings } = dispatcher({ dataFolder: tempFolder(), scheduler: clock });
		d.register(receiver.url);
		d.publish('message', message(1), 'm1');
		d.publish('message', message(2), 'm2');
		await until(() => clock.pending.length === 1, 'the 408 retry');
		clock.fireAll();
		await until(() => clock.pending.length === 1, 'the 404 retry');
		clock.fireAll();
		await d.idle();
		await receiver.close();
		assert.deepEqual(
			receiver.received.map((r) => r.event.data.i),
			[1, 2, 2, 2],
		);
		assert.equal(d.stats().droppedRefused, 1);
		assert.equal(warnings.length, 1);
		assert.match(warnings[0], /HTTP 400.*not retried/);
		assert.ok(!warnings[0].includes('/webhook/abc'), 'the webhook path stays out of the log');
	});

	it('waits as long as a 429 Retry-After says', async () => {
		const receiver = await startReceiver(0, (n) => (n === 1 ? { status: 429, headers: { 'Retry-After': '7' } } : { status: 200 }));
		const clock = new HandClock();
		const { dispatcher: d } = dispatcher({ dataFolder: tempFolder(), scheduler: clock });
		d.register(receiver.url);
		d.publish('message', message(1), 'm1');
		await until(() => clock.pending.length === 1, 'the 429 retry');
		assert.deepEqual(clock.delays, [7000]);
		clock.fireAll();
		await d.idle();
		await receiver.close();
		assert.equal(receiver.received.length, 2);
	});

	it('loses nothing while the receiver is down, and delivers in order once it is back', async () => {
		const probe = await startReceiver();
		await probe.close();
		const clock = new HandClock();
		const { dispatcher: d } = dispatcher({ dataFolder: tempFolder(), scheduler: clock });
		d.register(probe.url);
		for (let i = 0; i < 20; i++) d.publish('message', message(i), `m${i}`);
		await until(() => clock.pending.length === 1, 'a retry after connection refused');
		clock.fireAll();
		await until(() => clock.pending.length === 1, 'a second retry');
		const receiver = await startReceiver(probe.port);
		clock.fireAll();
		await d.idle();
		await receiver.close();
		assert.deepEqual(
			receiver.received.map((r) => r.event.data.i),
			[...Array(20).keys()],
		);
		assert.deepEqual(d.stats().pending, { [d.list()[0].id]: 0 });
	});

	it('with several requests in flight, backs off once per failed round and still delivers each event once', async () => {
		const probe = await startReceiver();
		await probe.close();
		const clock = new HandClock();
		const { dispatcher: d } = dispatcher({ dataFolder: tempFolder(), scheduler: clock, inFlightPerWebhook: 4 });
		d.register(probe.url);
		for (let i = 0; i < 40; i++) d.publish('message', message(i), `m${i}`);
		await until(() => clock.pending.length === 1, 'one retry for the four refused connections');
		const receiver = await startReceiver(probe.port, (n) => ({ status: n <= 2 ? 503 : 200 }));
		clock.fireAll();
		await until(() => clock.pending.length === 1, 'one retry after the 503s');
		clock.fireAll();
		await d.idle();
		await receiver.close();
		assert.deepEqual(clock.delays, [750, 1500]);
		const delivered = receiver.received.slice(2).map((r) => r.event.data.i);
		assert.deepEqual(
			[...delivered].sort((a, b) => (a ?? 0) - (b ?? 0)),
			[...Array(40).keys()],
		);
		assert.equal(d.stats().delivered, 40);
	});
});

describe('on disk', () => {
	it('delivers after a restart what was queued before it, once, in order', async () => {
		const folder = tempFolder();
		const probe = await startReceiver();
		await probe.close();
		const first = dispatcher({ dataFolder: folder, scheduler: new HandClock() }).dispatcher;
		first.register(probe.url);
		for (let i = 0; i < 10; i++) first.publish('message', message(i), `m${i}`);
		first.close();

		const receiver = await startReceiver(probe.port);
		const second = dispatcher({ dataFolder: folder, scheduler: new HandClock() }).dispatcher;
		await second.idle();
		second.close();
		const third = dispatcher({ dataFolder: folder, scheduler: new HandClock() }).dispatcher;
		await third.idle();
		await receiver.close();
		assert.deepEqual(
			receiver.received.map((r) => r.event.data.i),
			[...Array(10).keys()],
		);
		assert.deepEqual(
			third.list().map((w) => w.url),
			[probe.url],
		);
	});

	it('loses no event publish() returned for when the gateway is killed with SIGKILL', async () => {
		const folder = tempFolder();
		const probe = await startReceiver();
		await probe.close();
		const setup = dispatcher({ dataFolder: folder }).dispatcher;
		setup.register(probe.url);
		setup.close();

		// The compiled dispatcher, next to this compiled test.
		const modulePath = path.join(path.dirname(process.argv[1]), '../src/webhooks/index.js');
		const child = spawn(
			process.execPath,
			[
				'-e',
				`const { WebhookDispatcher } = require(${JSON.stringify(modulePath)});
				const d = new WebhookDispatcher({ dataFolder: ${JSON.stringify(folder)}, secret: 's', logger: { warn() {} } });
				let i = 0;
				(function more() {
					for (let n = 0; n < 50; n++, i++) { d.publish('message', { i }, 'm' + i); process.stdout.write(i + '\\n'); }
					setImmediate(more);
				})();`,
			],
			{ stdio: ['ignore', 'pipe', 'inherit'] },
		);
		let output = '';
		child.stdout.on('data', (chunk: Buffer) => {
			output += chunk.toString();
			if (output.split('\n').length > 500) child.kill('SIGKILL');
		});
		await new Promise((resolve) => child.on('exit', resolve));
		const acknowledged = output
			.split('\n')
			.filter((line) => /^\d+$/.test(line))
			.map(Number);
		assert.ok(acknowledged.length >= 500);

		const receiver = await startReceiver(probe.port);
		const after = dispatcher({ dataFolder: folder }).dispatcher;
		await after.idle();
		await receiver.close();
		const delivered = receiver.received.map((r) => r.event.data.i as number);
		assert.equal(new Set(delivered).size, delivered.length, 'nothing twice');
		assert.deepEqual(
			delivered,
			[...delivered].sort((a, b) => a - b),
			'in order',
		);
		for (const i of acknowledged) assert.ok(delivered.includes(i), `event ${i} was acknowledged, so it must arrive`);
	});

	it('ignores a last line cut short by a kill, and appends after it safely', async () => {
		const folder = tempFolder();
		const probe = await startReceiver();
		await probe.close();
		const first = dispatcher({ dataFolder: folder, scheduler: new HandClock() }).dispatcher;
		const { registration } = first.register(probe.url);
		for (let i = 0; i < 3; i++) first.publish('message', message(i), `m${i}`);
		first.close();
		appendFileSync(path.join(folder, 'webhooks', 'queue', registration.id, 'events.log'), '+4 {"id":"evt_cut');

		const second = dispatcher({ dataFolder: folder, scheduler: new HandClock() }).dispatcher;
		second.publish('message', message(3), 'm3');
		second.close();
		const receiver = await startReceiver(probe.port);
		const third = dispatcher({ dataFolder: folder, scheduler: new HandClock() }).dispatcher;
		await third.idle();
		await receiver.close();
		assert.deepEqual(
			receiver.received.map((r) => r.event.data.i),
			[0, 1, 2, 3],
		);
	});

	it('rewrites its log when delivered lines pile up, and a restart then sends nothing again', async () => {
		const folder = tempFolder();
		const receiver = await startReceiver();
		const first = dispatcher({ dataFolder: folder, scheduler: new HandClock() }).dispatcher;
		const { registration } = first.register(receiver.url);
		for (let i = 0; i < 1_500; i++) first.publish('message', message(i), `m${i}`);
		await first.idle();
		first.close();
		const log = path.join(folder, 'webhooks', 'queue', registration.id, 'events.log');
		assert.ok(statSync(log).size < 1_500 * 100, `compacted, not every event and its ack (${statSync(log).size} bytes)`);
		const second = dispatcher({ dataFolder: folder, scheduler: new HandClock() }).dispatcher;
		await second.idle();
		await receiver.close();
		assert.equal(receiver.received.length, 1_500);
		assert.equal(statSync(log).size, 0);
	});

	it('keeps the registration but forgets its queue when it is deleted', async () => {
		const folder = tempFolder();
		const { dispatcher: d } = dispatcher({ dataFolder: folder, scheduler: new HandClock() });
		const { registration } = d.register('http://127.0.0.1:9/none');
		d.publish('message', message(1));
		assert.equal(d.unregister(registration.id), true);
		assert.deepEqual(readdirSync(path.join(folder, 'webhooks', 'queue')), []);
		assert.deepEqual(d.list(), []);
	});
});

describe('deduplication', () => {
	it('sends a message ID once per type, also after a restart', async () => {
		const folder = tempFolder();
		const receiver = await startReceiver();
		const first = dispatcher({ dataFolder: folder, scheduler: new HandClock() }).dispatcher;
		first.register(receiver.url);
		first.publish('message', message(1), 'id-1');
		first.publish('message', message(1), 'id-1');
		first.publish('message.own', message(1), 'id-1');
		await first.idle();
		first.close();
		const second = dispatcher({ dataFolder: folder, scheduler: new HandClock() }).dispatcher;
		second.publish('message', message(1), 'id-1');
		second.publish('message', message(2), 'id-2');
		await second.idle();
		await receiver.close();
		assert.deepEqual(
			receiver.received.map((r) => [r.event.type, r.event.data.i]),
			[
				['message', 1],
				['message.own', 1],
				['message', 2],
			],
		);
		assert.equal(first.stats().deduplicated, 1);
		assert.equal(second.stats().deduplicated, 1);
	});

	it('remembers a bounded number of IDs', async () => {
		const receiver = await startReceiver();
		const { dispatcher: d } = dispatcher({ dataFolder: tempFolder(), scheduler: new HandClock(), dedupCapacity: 3 });
		d.register(receiver.url);
		for (const key of ['a', 'b', 'c', 'd', 'a']) d.publish('message', { key }, key);
		await d.idle();
		await receiver.close();
		assert.equal(receiver.received.length, 5, '"a" fell out of the window of 3');
	});
});

describe('a full queue', () => {
	it('drops the oldest events with a counted warning and keeps the newest in order', async () => {
		const probe = await startReceiver();
		await probe.close();
		const clock = new HandClock();
		const { dispatcher: d, warnings } = dispatcher({ dataFolder: tempFolder(), scheduler: clock, queueCapacity: 5 });
		d.register(probe.url);
		d.publish('message', message(0), 'm0');
		await until(() => clock.pending.length === 1, 'the first retry');
		for (let i = 1; i < 8; i++) d.publish('message', message(i), `m${i}`);
		assert.equal(d.stats().droppedQueueFull, 3);
		assert.equal(warnings.length, 1);
		assert.match(warnings[0], /full \(5 events\): dropping the oldest; 1 dropped/);
		const receiver = await startReceiver(probe.port);
		clock.fireAll();
		await d.idle();
		await receiver.close();
		assert.deepEqual(
			receiver.received.map((r) => r.event.data.i),
			[3, 4, 5, 6, 7],
		);
	});
});

describe('/webhooks routes', () => {
	async function api() {
		const { dispatcher: d } = dispatcher({ dataFolder: tempFolder(), scheduler: new HandClock() });
		const route = webhookRoutes(d);
		const server = http.createServer(async (req, res) => {
			if (!(await route(req, res, new URL(req.url ?? '/', 'http://x')))) res.writeHead(418).end();
		});
		await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
		const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
		const call = async (method: string, pathname: string, body?: unknown) => {
			const response = await fetch(base + pathname, {
				method,
				body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
			});
			const text = await response.text();
			return { status: response.status, body: text ? JSON.parse(text) : undefined };
		};
		return { call, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
	}

	it('registers, updates the same URL, lists and deletes', async () => {
		const { call, close } = await api();
		const url = 'http://127.0.0.1:5678/webhook/1/webhook';
		const created = await call('POST', '/webhooks', { url, events: ['message'] });
		assert.equal(created.status, 201);
		assert.match(created.body.id, /^wh_/);
		assert.deepEqual(created.body.events, ['message']);
		const again = await call('POST', '/webhooks', { url, events: ['message', 'message.own'] });
		assert.equal(again.status, 200);
		assert.equal(again.body.id, created.body.id);
		assert.deepEqual(again.body.events, ['message', 'message.own']);
		const all = await call('POST', '/webhooks', { url: 'https://n8n.example/webhook/2/webhook' });
		assert.deepEqual(all.body.events, ['message', 'message.own', 'message.ack', 'session.state']);
		assert.deepEqual(
			(await call('GET', '/webhooks')).body.webhooks.map((w: { id: string }) => w.id),
			[created.body.id, all.body.id],
		);
		assert.equal((await call('DELETE', `/webhooks/${created.body.id}`)).status, 204);
		assert.equal((await call('DELETE', `/webhooks/${created.body.id}`)).status, 404);
		assert.equal((await call('GET', '/status')).status, 418, 'other paths are left to the server');
		await close();
	});

	it('says what is wrong with a bad registration', async () => {
		const { call, close } = await api();
		assert.deepEqual((await call('POST', '/webhooks', 'nope')).body.error, 'bad_request');
		assert.match((await call('POST', '/webhooks', { url: 'ftp://x/y' })).body.message, /http:\/\/ or https:\/\//);
		assert.match(
			(await call('POST', '/webhooks', { url: 'http://x/y', events: ['messages'] })).body.message,
			/message, message.own, message.ack, session.state/,
		);
		assert.equal((await call('POST', '/webhooks', { url: 'http://x/' + 'y'.repeat(20_000) })).status, 413);
		assert.equal((await call('PUT', '/webhooks')).status, 405);
		await close();
	});
});
