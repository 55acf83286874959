/**
 * The WhatsApp auto reply template (workflows/whatsapp-auto-reply.json) in a real n8n, fed by the real
 * WhatsApp Web gateway (gateway/) running its simulated WhatsApp, with the fake OpenAI-compatible model.
 * Every reply is counted where the customer would see it: what went out through the gateway's /send.
 *
 * Each test starts from a running n8n and gateway and leaves both running; customers are numbered per test,
 * so no test depends on another one's messages.
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';

import { startFakeOpenAi, type FakeOpenAi } from '../fakes/openai';
import { GatewayProcess } from './gateway';
import { assertRoutedSilent, type N8nInstance, readWorkflow, startN8n } from './harness';

const template = readWorkflow('whatsapp-auto-reply.json');
const TRIGGER = 'WhatsApp Web Trigger';
const webhookId = String(template.nodes.find((n) => n.name === TRIGGER)?.webhookId);
const TEAM = '8613911112222';
const PRICES = /^Prices depend on the product/;
/** Customer text with this mark waits in the fake model until the test lets it answer. */
const HOLD = '#hold';

async function until(what: string, predicate: () => boolean | Promise<boolean>, timeoutMs = 60_000): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	while (!(await predicate())) {
		if (Date.now() > deadline) throw new Error(`still not true after ${timeoutMs} ms: ${what}`);
		await new Promise((r) => setTimeout(r, 200));
	}
}

describe('WhatsApp auto reply template: real n8n, real gateway with simulated WhatsApp', () => {
	const userFolder = mkdtempSync(path.join(tmpdir(), 'kefu-wa-n8n-'));
	const gatewayFolder = mkdtempSync(path.join(tmpdir(), 'kefu-wa-gateway-'));
	const gateway = new GatewayProcess({
		dataDir: path.join(gatewayFolder, 'data'),
		logFile: path.join(gatewayFolder, 'gateway.log'),
		// No spacing between sends (a real number keeps the default 2-5 s), and retries of a webhook at most
		// 5 s apart, so a test waits seconds, not minutes, after n8n is back (the default is up to 5 min).
		env: { GATEWAY_SEND_INTERVAL_MS: '0', GATEWAY_SEND_JITTER_MS: '0', GATEWAY_WEBHOOK_RETRY_MAX_MS: '5000' },
	});
	let n8n: N8nInstance;
	let openai: FakeOpenAi;
	let workflowId: string;
	let releaseModel: () => void = () => undefined;

	const chatOf = (phone: string) => `${phone}@c.us`;
	const sentTo = async (phone: string) => (await gateway.sent()).filter((m) => m.chatId === chatOf(phone));
	const answered = async (phone: string, count = 1) => (await sentTo(phone)).length >= count;
	const settled = async (known: Set<string>) => await n8n.settledExecutionsSince(workflowId, known, 2_000, 180_000);
	const url = () => n8n.webhookUrl(webhookId);

	before(async () => {
		openai = await startFakeOpenAi();
		await gateway.start();
		n8n = await startN8n({ userFolder });
		const gatewayCredential = await n8n.createCredential('whatsAppWebGatewayApi', 'WhatsApp Web Gateway', {
			baseUrl: gateway.url,
			apiKey: gateway.apiKey,
			webhookSecret: gateway.webhookSecret,
		});
		const model = await n8n.createCredential('openAiApi', 'Fake OpenAI', { apiKey: 'sk-fake', url: openai.url });
		const byNode: Record<string, Record<string, { id: string; name: string }>> = {};
		for (const node of template.nodes) {
			if (node.type.startsWith('n8n-nodes-kefu.whatsAppWeb')) byNode[node.name] = { whatsAppWebGatewayApi: gatewayCredential };
			if (node.type === '@n8n/n8n-nodes-langchain.lmChatOpenAi') byNode[node.name] = { openAiApi: model };
		}
		// What an admin fills in before publishing (the Read Me says so): the team's number.
		const nodes = template.nodes.map((node) =>
			node.name === 'Notify Team' ? { ...node, parameters: { ...node.parameters, to: TEAM } } : node,
		);
		({ id: workflowId } = await n8n.importWorkflow({ ...template, nodes }, byNode));
		await n8n.publish(workflowId);
		// Publishing registered the trigger's URL with the gateway (webhookMethods.create).
		await until('the trigger registered with the gateway', async () => (await gateway.webhooks()).some((w) => w.url === url()));
	});

	after(async () => {
		releaseModel();
		await n8n?.stop({ keepUserFolder: true });
		await gateway.stop();
		await openai?.close();
		if (process.env.KEFU_E2E_KEEP !== '1') {
			rmSync(userFolder, { recursive: true, force: true });
			rmSync(gatewayFolder, { recursive: true, force: true });
		} else {
			console.log(`gateway data and log kept: ${gatewayFolder}`);
		}
	});

	it('publishing registers the trigger once, for the events it was set to', async () => {
		const mine = (await gateway.webhooks()).filter((w) => w.url === url());
		assert.equal(mine.length, 1);
		assert.deepEqual([...mine[0].events].sort(), ['message', 'message.own']);
	});

	it('a customer message gets exactly one reply through /send: keyword, and the AI on no match', async () => {
		const known = await n8n.executionIds(workflowId);
		await gateway.customerSays('8613800000101', 'How much does the blue one cost?');
		await gateway.customerSays('8613800000102', 'Do you have gift wrapping?');
		await until('both customers answered', async () => (await answered('8613800000101')) && (await answered('8613800000102')));
		const executions = await settled(known);

		const keyword = await sentTo('8613800000101');
		assert.equal(keyword.length, 1);
		assert.match(String(keyword[0].text), PRICES);
		const ai = await sentTo('8613800000102');
		assert.equal(ai.length, 1);
		assert.equal(ai[0].text, 'AI answer to: Do you have gift wrapping?');
		// Two customer messages, two executions: the bot's own sends (message.own, sentByGateway) start none.
		assert.equal(executions.length, 2);
		for (const execution of executions) assert.equal(execution.status, 'success');
	});

	it('a hand-off word notifies the team once, tells the customer, and the bot stays silent after', async () => {
		const customer = '8613800000201';
		const known = await n8n.executionIds(workflowId);
		const teamBefore = (await sentTo(TEAM)).length;
		await gateway.customerSays(customer, 'I want to talk to a human', 'Wang Fang');
		await until('the customer is told a colleague answers', () => answered(customer));
		await settled(known);
		const team = (await sentTo(TEAM)).slice(teamBefore);
		assert.equal(team.length, 1);
		assert.match(String(team[0].text), /^\[Hand-off\] Wang Fang \(\+8613800000201\) wants a person\. Last message: I want to talk to a human$/);
		assert.deepEqual((await sentTo(customer)).map((m) => m.text), ['Thanks, a colleague will answer you here shortly.']);

		const next = await n8n.executionIds(workflowId);
		await gateway.customerSays(customer, 'how much is it?');
		const later = await settled(next);
		assert.equal((await sentTo(customer)).length, 1, 'the bot answered a customer who is with a colleague');
		await assertRoutedSilent(n8n, later, (json) => json.text === 'how much is it?', 'withHuman');
	});

	it('a reply typed on the phone pauses the bot for that chat only', async () => {
		const customer = '8613800000301';
		const other = '8613800000302';
		const known = await n8n.executionIds(workflowId);
		await gateway.customerSays(customer, 'hello');
		await until('the greeting', () => answered(customer));
		await settled(known);

		const typed = await n8n.executionIds(workflowId);
		await gateway.phoneTypes(customer, 'Hi, this is Anna from the shop, I will help you myself.');
		const handedOff = await settled(typed);
		assert.equal(handedOff.length, 1, 'the message typed on the phone did not reach the workflow once');
		const paused = await n8n.nodeItems(handedOff[0].id, 'Human Is Answering');
		assert.equal(paused.length, 1);

		const after = await n8n.executionIds(workflowId);
		await gateway.customerSays(customer, 'what does it cost?');
		await gateway.customerSays(other, 'what does it cost?');
		await until('the other customer is answered', () => answered(other));
		const later = await settled(after);
		assert.equal((await sentTo(customer)).length, 1, 'the bot talked over the colleague');
		assert.match(String((await sentTo(other))[0].text), PRICES);
		await assertRoutedSilent(n8n, later, (json) => json.conversationId === chatOf(customer), 'withHuman');
	});

	it('a forged, stale or unsigned webhook is refused and starts no execution', async () => {
		const known = await n8n.executionIds(workflowId);
		const sentBefore = (await gateway.sent()).length;
		const post = async (secret: string | undefined, timestamp: number) => {
			const body = JSON.stringify({
				id: `evt_forged_${timestamp}`,
				type: 'message',
				timestamp,
				session: 'default',
				data: { messageId: `false_8613800000401@c.us_${timestamp}`, chatId: '8613800000401@c.us', from: '8613800000401@c.us', fromPhone: '8613800000401', fromLid: null, senderName: 'Mallory', isGroup: false, author: null, type: 'chat', body: 'price', hasMedia: false, timestamp, fromMe: false, sentByGateway: false },
			});
			const headers: Record<string, string> = { 'content-type': 'application/json', 'x-gateway-event-id': `evt_forged_${timestamp}`, 'x-gateway-timestamp': String(timestamp) };
			if (secret !== undefined) headers['x-gateway-signature'] = `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
			const res = await fetch(url(), { method: 'POST', headers, body });
			return { status: res.status, text: await res.text() };
		};
		const now = Math.floor(Date.now() / 1000);
		const forged = await post('not-the-webhook-secret-0123456789', now);
		const stale = await post(gateway.webhookSecret, now - 600);
		const unsigned = await post(undefined, now + 1);
		for (const answer of [forged, stale, unsigned]) {
			assert.equal(answer.status, 401);
			// Nothing a caller could use: not which check failed.
			assert.doesNotMatch(answer.text, /signature|timestamp|stale|secret/i);
		}
		// A correctly signed one, as a control: the same request shape is accepted.
		const genuine = await post(gateway.webhookSecret, now + 2);
		assert.equal(genuine.status, 200);
		await until('the genuine one is answered', () => answered('8613800000401'));
		const executions = await settled(known);
		assert.equal(executions.length, 1, 'a refused webhook started an execution');
		assert.equal((await gateway.sent()).length, sentBefore + 1);
	});

	it('n8n stopped for 60 s, the gateway killed and restarted meanwhile: what customers wrote is answered once each when n8n is back', async () => {
		const customers = ['8613800000501', '8613800000502', '8613800000503'];
		const known = await n8n.executionIds(workflowId);
		const ports = n8n.ports;
		await n8n.stop({ keepUserFolder: true });
		await gateway.customerSays(customers[0], 'how much?');
		await gateway.customerSays(customers[1], 'when are you open today?');
		await gateway.customerSays(customers[2], 'Can I pay by card?');
		// The events wait in the gateway's queue on disk, retried with backoff; a crash in the middle keeps them.
		await new Promise((r) => setTimeout(r, 30_000));
		await gateway.stop('SIGKILL');
		await gateway.start();
		await new Promise((r) => setTimeout(r, 30_000));
		for (const customer of customers) assert.equal((await sentTo(customer)).length, 0);

		n8n = await startN8n({ userFolder, ports });
		await until('every customer answered after the restart', async () => {
			for (const customer of customers) if (!(await answered(customer))) return false;
			return true;
		}, 120_000);
		const executions = await settled(known);
		for (const customer of customers) assert.equal((await sentTo(customer)).length, 1, `${customer} was not answered exactly once`);
		assert.equal(executions.length, customers.length);
		// n8n's start found its registration at the gateway and made no second one.
		assert.equal((await gateway.webhooks()).filter((w) => w.url === url()).length, 1);
	});

	it('the gateway killed while it delivers and started again: every message is answered once', async () => {
		const waiting = ['8613800000601', '8613800000602']; // their executions wait for the model during the crash
		// Written just before the crash: on their way to n8n, or n8n's answer on its way back, when it comes. Their
		// executions wait for the model too, so no reply is on its way to the gateway at the crash (a send cut off
		// by a crash may or may not have reached WhatsApp: the node does not send it again, docs/whatsapp.md).
		const queued = ['8613800000603', '8613800000604', '8613800000605'];
		const known = await n8n.executionIds(workflowId);
		const held = new Promise<void>((resolve) => (releaseModel = resolve));
		openai.setReply(async (request) => {
			if (request.lastUserText.includes(HOLD)) await held;
			return `AI answer to: ${request.lastUserText}`;
		});
		try {
			for (const customer of waiting) await gateway.customerSays(customer, `${HOLD} is the shop open on holidays?`);
			await until('both waiting customers reached the model', () =>
				openai.requests.filter((r) => r.path === '/v1/chat/completions' && JSON.stringify(r.body).includes(HOLD)).length >= waiting.length,
			);
			for (const customer of queued) await gateway.customerSays(customer, `${HOLD} do you deliver on Sundays?`);
			// At once, while those three are on their way to n8n (or n8n's answer to the gateway is).
			await gateway.stop('SIGKILL');
			await gateway.start();
			releaseModel();
			await until('every customer answered', async () => {
				for (const customer of [...waiting, ...queued]) if (!(await answered(customer))) return false;
				return true;
			}, 120_000);
			const executions = await settled(known);
			for (const customer of [...waiting, ...queued]) {
				assert.equal((await sentTo(customer)).length, 1, `${customer} was not answered exactly once`);
			}
			// A delivery n8n stored but the gateway never saw acknowledged comes again: the trigger knows its id.
			assert.equal(executions.length, waiting.length + queued.length);
		} finally {
			releaseModel();
			openai.setReply((request) => `AI answer to: ${request.lastUserText}`);
		}
	});
});
