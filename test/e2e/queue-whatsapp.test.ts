/**
 * The "WhatsApp auto reply (queue mode)" template on the set `npm run start:queue` runs: two webhook processes,
 * two workers each taking one job at a time, the real WhatsApp Web gateway with its simulated WhatsApp, the fake
 * OpenAI-compatible model. What the customer sees is what went out through the gateway's /send.
 *
 * - One gateway event delivered to both webhook processes at once (a repeat after a timeout, spread by the load
 *   balancer): each process remembers only the event ids it saw, so both start an execution; the template's
 *   first step claims the event in Redis, and the customer gets one reply.
 * - A customer asks for a person; while that execution is still telling the team (its send waits in a slow
 *   forwarder in front of the gateway), the customer's next message runs on the other worker and stays silent:
 *   the pause was written to the queue's Redis before the team was told.
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';

import { readBody, serveOnLoopback, sleep, type LoopbackServer } from '../fakes/loopback';
import { startFakeOpenAi, type FakeOpenAi } from '../fakes/openai';
import { GatewayProcess } from './gateway';
import { AUTO_REPLY_OUTPUT, readWorkflow, waitForWebhook, type ExecutionSummary } from './harness';
import { type QueueN8nInstance, startN8nQueue } from './harness-queue';

const template = readWorkflow('whatsapp-auto-reply-queue.json');
const TRIGGER = 'WhatsApp Web Trigger';
const webhookId = String(template.nodes.find((n) => n.name === TRIGGER)?.webhookId);
const TEAM = '8613911113333';
const HAND_OFF_TEXT = 'Thanks, a colleague will answer you here shortly.';
const PRICES = /^Prices depend on the product/;
/** How long the team's notification takes, while the customer writes again. */
const SLOW_NOTIFY_MS = 4000;

/**
 * The gateway's API as Notify Team reaches it: every request waits `latencyMs` before it is passed on, so the
 * hand-off execution is still telling the team when the customer writes again. `seen` counts the requests.
 */
async function startSlowForwarder(target: () => string): Promise<LoopbackServer & { latencyMs: number; seen: number }> {
	const state = { latencyMs: 0, seen: 0 };
	const server = await serveOnLoopback('slow gateway forwarder', async (req, res) => {
		state.seen += 1;
		const body = await readBody(req, 1_000_000);
		await sleep(state.latencyMs);
		const headers: Record<string, string> = {};
		for (const name of ['content-type', 'x-api-key']) {
			const value = req.headers[name];
			if (typeof value === 'string') headers[name] = value;
		}
		const answer = await fetch(`${target()}${req.url ?? '/'}`, {
			method: req.method,
			headers,
			body: req.method === 'GET' || req.method === 'HEAD' ? undefined : body.data,
		});
		const text = await answer.text();
		res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' });
		res.end(text);
	});
	return Object.assign(state, { url: server.url, port: server.port, close: server.close });
}

async function until(what: string, predicate: () => boolean | Promise<boolean>, timeoutMs = 60_000): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	while (!(await predicate())) {
		if (Date.now() > deadline) throw new Error(`still not true after ${timeoutMs} ms: ${what}`);
		await sleep(200);
	}
}

describe('queue mode: WhatsApp auto reply on two webhook processes and two workers', () => {
	const gatewayFolder = mkdtempSync(path.join(tmpdir(), 'kefu-qwa-gateway-'));
	const gateway = new GatewayProcess({
		dataDir: path.join(gatewayFolder, 'data'),
		logFile: path.join(gatewayFolder, 'gateway.log'),
		env: { GATEWAY_SEND_INTERVAL_MS: '0', GATEWAY_SEND_JITTER_MS: '0', GATEWAY_WEBHOOK_RETRY_MAX_MS: '5000' },
	});
	let slow: Awaited<ReturnType<typeof startSlowForwarder>>;
	let n8n: QueueN8nInstance | undefined;
	let openai: FakeOpenAi;
	let workflowId: string;
	/** Each webhook process's own address for the trigger (not the balancer). */
	let direct: string[];

	const chatOf = (phone: string) => `${phone}@c.us`;
	const sentTo = async (phone: string) => (await gateway.sent()).filter((m) => m.chatId === chatOf(phone));

	before(async () => {
		openai = await startFakeOpenAi();
		await gateway.start();
		slow = await startSlowForwarder(() => gateway.url);
		// One job at a time per worker: a second execution while the first runs must go to the other worker.
		n8n = await startN8nQueue({ workers: 2, webhooks: 2, env: { N8N_CONCURRENCY_PRODUCTION_LIMIT: '1' } });
		const gatewayApi = { apiKey: gateway.apiKey, webhookSecret: gateway.webhookSecret };
		const whatsApp = await n8n.createCredential('whatsAppWebGatewayApi', 'WhatsApp Web Gateway', { baseUrl: gateway.url, ...gatewayApi });
		const slowWhatsApp = await n8n.createCredential('whatsAppWebGatewayApi', 'WhatsApp Web Gateway (slow)', { baseUrl: slow.url, ...gatewayApi });
		const model = await n8n.createCredential('openAiApi', 'Fake OpenAI', { apiKey: 'sk-fake', url: openai.url });
		// The one credential the queue-mode template adds: the queue's own Redis.
		const redis = await n8n.createCredential('redis', 'Queue Redis', {
			host: '127.0.0.1',
			port: n8n.set.plan.ports.redis,
			password: readFileSync(path.join(n8n.folder, 'redis-password'), 'utf8').trim(),
			database: 0,
		});
		const byNode: Record<string, Record<string, { id: string; name: string }>> = {};
		for (const node of template.nodes) {
			if (node.name === 'Notify Team') byNode[node.name] = { whatsAppWebGatewayApi: slowWhatsApp };
			else if (node.type.startsWith('n8n-nodes-kefu.whatsAppWeb')) byNode[node.name] = { whatsAppWebGatewayApi: whatsApp };
			else if (node.type === '@n8n/n8n-nodes-langchain.lmChatOpenAi') byNode[node.name] = { openAiApi: model };
			else if (node.type === 'n8n-nodes-base.redis') byNode[node.name] = { redis };
		}
		// What an admin fills in before publishing (the Read Me says so): the team's number.
		const nodes = template.nodes.map((node) =>
			node.name === 'Notify Team' ? { ...node, parameters: { ...node.parameters, to: TEAM } } : node,
		);
		({ id: workflowId } = await n8n.importWorkflow({ ...template, nodes }, byNode));
		await n8n.publish(workflowId);
		// Publishing (on main) registered the load balancer's address with the gateway.
		await until('the trigger registered with the gateway', async () => (await gateway.webhooks()).some((w) => w.url === n8n!.webhookUrl(webhookId)));
		direct = n8n.directWebhookUrls(webhookId);
		assert.equal(direct.length, 2);
		// Each webhook process serves the trigger (an unsigned POST is refused, not unknown).
		for (const url of direct) await waitForWebhook(url, { method: 'POST' });
	});

	after(async () => {
		await n8n?.stop();
		await gateway.stop();
		await slow?.close();
		await openai?.close();
		if (process.env.KEFU_E2E_KEEP !== '1') rmSync(gatewayFolder, { recursive: true, force: true });
		else console.log(`gateway data and log kept: ${gatewayFolder}`);
	});

	async function routeOf(execution: ExecutionSummary): Promise<{ output: number; autoReply: Record<string, unknown> }> {
		const items = await n8n!.nodeItems(execution.id, 'AutoReply');
		assert.equal(items.length, 1, `execution ${execution.id}: AutoReply gave ${items.length} items`);
		return { output: items[0].output, autoReply: items[0].json.autoReply as Record<string, unknown> };
	}

	it('one gateway event delivered to both webhook processes at once gets one reply', async () => {
		const customer = '8613800000701';
		const known = await n8n!.executionIds(workflowId);
		// The gateway's delivery, signed with the webhook secret as the gateway signs it (docs/whatsapp-gateway-api.md).
		const timestamp = Math.floor(Date.now() / 1000);
		const id = `evt_queue_${timestamp}`;
		const body = JSON.stringify({
			id,
			type: 'message',
			timestamp,
			session: 'default',
			data: { messageId: `false_${chatOf(customer)}_Q1`, chatId: chatOf(customer), from: chatOf(customer), fromPhone: customer, fromLid: null, senderName: 'Li Na', isGroup: false, author: null, type: 'chat', body: 'how much is the red one?', hasMedia: false, timestamp, fromMe: false, sentByGateway: false },
		});
		const headers = {
			'content-type': 'application/json',
			'x-gateway-event-id': id,
			'x-gateway-timestamp': String(timestamp),
			'x-gateway-signature': `sha256=${createHmac('sha256', gateway.webhookSecret).update(`${timestamp}.${body}`).digest('hex')}`,
		};
		const answers = await Promise.all(direct.map(async (url) => (await fetch(url, { method: 'POST', headers, body })).status));
		// Both took it: neither process had seen the event id.
		assert.deepEqual(answers, [200, 200]);
		await n8n!.waitForExecutions(workflowId, known.size + 2, 120_000);
		const executions = await n8n!.settledExecutionsSince(workflowId, known);
		assert.equal(executions.length, 2);
		for (const execution of executions) assert.equal(execution.status, 'success', `execution ${execution.id} ended ${execution.status}`);
		const replies = await sentTo(customer);
		assert.equal(replies.length, 1, `the customer got ${replies.length} replies`);
		assert.match(String(replies[0].text), PRICES);
		// The second execution stopped at First Delivery.
		const routed = await Promise.all(executions.map(async (e) => (await n8n!.nodeItems(e.id, 'AutoReply')).length));
		assert.deepEqual([...routed].sort(), [0, 1], 'AutoReply ran in both executions');
	});

	it('the next message, run on the other worker while the hand-off still tells the team, stays silent', async () => {
		const customer = '8613800000702';
		const known = await n8n!.executionIds(workflowId);
		slow.latencyMs = SLOW_NOTIFY_MS;
		const seenBefore = slow.seen;
		await gateway.customerSays(customer, 'I want to talk to a human', 'Zhao Lei');
		// The hand-off execution is telling the team: its state writes ran before.
		await until('Notify Team reached the gateway', () => slow.seen > seenBefore);
		await gateway.customerSays(customer, 'how much is it?', 'Zhao Lei');
		await n8n!.waitForExecutions(workflowId, known.size + 2, 120_000);
		const executions = await n8n!.settledExecutionsSince(workflowId, known);
		slow.latencyMs = 0;
		assert.equal(executions.length, 2);
		const [handOff, next] = [...executions].sort((a, b) => Number(a.id) - Number(b.id));
		for (const execution of [handOff, next]) assert.equal(execution.status, 'success', `execution ${execution.id} ended ${execution.status}`);

		const first = await routeOf(handOff);
		assert.equal(first.output, AUTO_REPLY_OUTPUT.handOff);
		assert.deepEqual(
			(first.autoReply.stateWrites as Array<Record<string, unknown>>).map(({ operation, key }) => [operation, key]),
			[['set', `kefu:ar:pause:wa:${chatOf(customer)}`]],
		);
		const second = await routeOf(next);
		assert.deepEqual([second.output, second.autoReply.reason], [AUTO_REPLY_OUTPUT.silent, 'withHuman']);
		assert.equal(second.autoReply.pausedUntil, first.autoReply.pausedUntil);

		// Two workers, and the two executions overlapped: the second ended before the first.
		n8n!.assertOverlappedOnTwoWorkers(handOff, next);

		// The team was told once; the customer heard the hand-off text and nothing else.
		await until('the hand-off text', async () => (await sentTo(customer)).length > 0);
		assert.deepEqual((await sentTo(customer)).map((m) => m.text), [HAND_OFF_TEXT]);
		const team = await sentTo(TEAM);
		assert.equal(team.length, 1);
		assert.match(String(team[0].text), /^\[Hand-off\] Zhao Lei \(\+8613800000702\) wants a person\. Last message: I want to talk to a human$/);
	});
});
