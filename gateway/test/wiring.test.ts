// The gateway as `npm start` wires it: a webhook registered through the HTTP API receives the session's
// events, signed with the webhook secret. The session runs on the fake client; the receiver is on loopback.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { startGateway, webhookParts } from '../src/main';
import { verifySignature } from '../src/webhooks';
import { fakeFactory } from './fakeClient';
import { testConfig, waitForState } from './helpers';

const API_KEY = 'wiring-test-key-0123456';
const SECRET = 'wiring-test-secret-012345';

test('an incoming message reaches a webhook registered through /webhooks, signed; a message sent through /send is flagged sentByGateway', async (t) => {
	const received: Array<{ headers: Record<string, string | string[] | undefined>; body: string }> = [];
	let arrived: () => void = () => {};
	const receiver = createServer((req, res) => {
		let body = '';
		req.on('data', (c: Buffer) => (body += c.toString()));
		req.on('end', () => {
			received.push({ headers: req.headers, body });
			res.end('ok');
			arrived();
		});
	});
	await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
	t.after(() => new Promise<void>((r) => receiver.close(() => r())));
	const receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;

	const config = testConfig(mkdtempSync(path.join(tmpdir(), 'gw-wiring-')), {
		apiKey: API_KEY, webhookSecret: SECRET, chromiumPath: '/nonexistent', maxMediaBytes: 1000, mediaTimeoutMs: 1000, sendTimeoutMs: 5000,
	});
	const fake = fakeFactory();
	const webhooks = webhookParts(config);
	const gateway = await startGateway(config, { createClient: fake.factory, log: () => {}, ...webhooks });
	t.after(async () => {
		await gateway.close();
		await webhooks.events.idle();
		webhooks.events.close();
		rmSync(config.dataDir, { recursive: true, force: true });
	});
	const base = `http://127.0.0.1:${(gateway.server.address() as AddressInfo).port}`;
	const call = (method: string, url: string, body?: unknown) =>
		fetch(`${base}${url}`, {
			method,
			headers: { 'x-api-key': API_KEY, 'content-type': 'application/json' },
			body: body === undefined ? undefined : JSON.stringify(body),
		});

	const registered = await call('POST', '/webhooks', { url: receiverUrl, events: ['message', 'message.own'] });
	assert.equal(registered.status, 201, await registered.text());

	await waitForState(gateway.session, 'STARTING').catch(() => undefined);
	for (let i = 0; i < 100 && fake.clients.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
	const client = fake.clients[0];
	client.emitQr();
	client.completePairing();
	await waitForState(gateway.session, 'READY');

	const waitFor = async (count: number) => {
		while (received.length < count) await new Promise<void>((r) => (arrived = r));
	};
	client.receive({ id: 'false_8613800000000@c.us_IN1', body: '你好' });
	await waitFor(1);
	const first = received[0];
	const timestamp = String(first.headers['x-gateway-timestamp']);
	assert.ok(verifySignature(SECRET, timestamp, first.body, String(first.headers['x-gateway-signature'])), 'signed with the webhook secret');
	const event = JSON.parse(first.body) as { type: string; data: { body: string; chatId: string; fromMe: boolean } };
	assert.equal(event.type, 'message');
	assert.equal(event.data.body, '你好');
	assert.equal(event.data.chatId, '8613800000000@c.us');

	const sent = await call('POST', '/send', { to: '8613800000000@c.us', text: '您好' });
	assert.equal(sent.status, 200, await sent.text());
	await waitFor(2);
	const own = JSON.parse(received[1].body) as { type: string; data: { sentByGateway: boolean; body: string } };
	assert.equal(own.type, 'message.own');
	assert.equal(own.data.sentByGateway, true);
	assert.equal(own.data.body, '您好');
});
