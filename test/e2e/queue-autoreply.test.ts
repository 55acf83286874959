/**
 * AutoReply's hand-off on n8n's distributed engine: the "WeCom app AI assistant (queue mode)" template on the
 * set `npm run start:queue` runs (two workers, each taking one job at a time so that two executions at once
 * run on both). A customer asks for a human; while that execution is still telling the colleague (the fake
 * WeCom answers slowly), the customer's next message runs on the other worker and must stay silent: the
 * pause was written to the queue's Redis before the slow step, and the other worker read it there.
 * And WeCom's retry of a callback that lands on the other webhook process (each process remembers only the
 * retries it saw itself): the template's first step claims the callback in Redis, so the user gets one reply.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';

import { startFakeOpenAi } from '../fakes/openai';
import { startFakeWeComApi } from '../fakes/wecom';
import { encryptedCallback, newSecrets, textMessageXml, urlVerification, withQuery } from '../fakes/wecom/callback';
import { AUTO_REPLY_OUTPUT, createTemplateCredentials, importTemplate, readTemplate, waitForWebhook, type ExecutionSummary } from './harness';
import { type QueueN8nInstance, startN8nQueue } from './harness-queue';

const { template, webhookId } = readTemplate('wecom-app-ai-assistant-queue.json');

/** How long the fake WeCom takes to answer while the first execution tells the colleague. */
const SLOW_WECOM_MS = 4000;

describe('queue mode: a hand-off made on one worker holds on the other', () => {
	const secrets = newSecrets('ww_queue_ar');
	let n8n: QueueN8nInstance | undefined;
	let wecom: Awaited<ReturnType<typeof startFakeWeComApi>>;
	let openai: Awaited<ReturnType<typeof startFakeOpenAi>>;
	let workflowId: string;
	/** Each webhook process's own address for the trigger (not the balancer). */
	let direct: string[];

	before(async () => {
		wecom = await startFakeWeComApi({ corpId: secrets.corpId, apps: [{ agentId: 1000002, secret: 'fake-secret' }] });
		openai = await startFakeOpenAi();
		// One job at a time per worker: a second execution while the first runs must go to the other worker.
		// Two webhook processes: a retry can reach the one that did not see the first delivery.
		n8n = await startN8nQueue({ workers: 2, webhooks: 2, env: { N8N_CONCURRENCY_PRODUCTION_LIMIT: '1' } });
		// The one credential the queue-mode template adds: the queue's own Redis.
		const redis = {
			host: '127.0.0.1',
			port: n8n.set.plan.ports.redis,
			password: readFileSync(path.join(n8n.folder, 'redis-password'), 'utf8').trim(),
		};
		const credentials = await createTemplateCredentials(n8n, { secrets, weComUrl: wecom.url, openAiUrl: openai.url, redis });
		({ id: workflowId } = await importTemplate(n8n, template, credentials));
		await n8n.publish(workflowId);
		direct = n8n.directWebhookUrls(webhookId);
		assert.equal(direct.length, 2);
		for (const url of direct) await waitForWebhook(withQuery(url, urlVerification(secrets, 'ready')));
	});

	after(async () => {
		await n8n?.stop();
		await wecom?.close();
		await openai?.close();
	});

	/** One callback from `fromUser`, delivered to each of `urls` (the balancer by default) at the same time. */
	async function send(content: string, msgId: string, options: { fromUser?: string; urls?: string[] } = {}): Promise<void> {
		const xml = textMessageXml({ corpId: secrets.corpId, fromUser: options.fromUser ?? 'lisi', content, msgId });
		const signed = encryptedCallback(secrets, xml, { agentId: '1000002' });
		const answers = await Promise.all(
			(options.urls ?? [n8n!.webhookUrl(webhookId)]).map(async (url) => {
				const res = await fetch(withQuery(url, signed.query), {
					method: 'POST',
					headers: { 'content-type': 'text/xml' },
					body: signed.body,
				});
				return `${res.status} ${await res.text()}`;
			}),
		);
		for (const answer of answers) assert.equal(answer, '200 success');
	}

	async function routeOf(execution: ExecutionSummary): Promise<{ output: number; autoReply: Record<string, unknown> }> {
		const items = await n8n!.nodeItems(execution.id, 'AutoReply');
		assert.equal(items.length, 1, `execution ${execution.id}: AutoReply gave ${items.length} items`);
		return { output: items[0].output, autoReply: items[0].json.autoReply as Record<string, unknown> };
	}

	it('the next message, run on the other worker while the hand-off is still running, stays silent', async () => {
		wecom.setLatency(SLOW_WECOM_MS);
		await send('转人工', '7400000000000000101');
		// The hand-off execution has reached the colleague notification: its state writes came first.
		await wecom.waitFor((api) => api.requests.some((r) => r.path === '/cgi-bin/gettoken' || r.path === '/cgi-bin/message/send'), 60_000);
		await send('报销怎么弄？', '7400000000000000102');
		const executions = await n8n!.waitForExecutions(workflowId, 2, 120_000);
		wecom.setLatency(0);
		const [handOff, next] = [...executions].sort((a, b) => Number(a.id) - Number(b.id));
		for (const execution of [handOff, next]) assert.equal(execution.status, 'success', `execution ${execution.id} ended ${execution.status}`);

		const first = await routeOf(handOff);
		assert.equal(first.output, AUTO_REPLY_OUTPUT.handOff);
		assert.deepEqual(
			(first.autoReply.stateWrites as Array<Record<string, unknown>>).map(({ operation, key }) => [operation, key]),
			[['set', 'kefu:ar:pause:1000002:lisi']],
		);
		const second = await routeOf(next);
		assert.deepEqual([second.output, second.autoReply.reason], [AUTO_REPLY_OUTPUT.silent, 'withHuman']);
		assert.equal(second.autoReply.pausedUntil, first.autoReply.pausedUntil);

		// Two workers, and the two executions overlapped: the second ended before the first.
		n8n!.assertOverlappedOnTwoWorkers(handOff, next);

		// The customer heard the hand-off text once, and nothing for the second message.
		const toCustomer = wecom.sentMessages.filter((m) => m.body.touser === 'lisi');
		assert.deepEqual(
			toCustomer.map((m) => (m.body.text as { content?: string } | undefined)?.content),
			['好的，已通知同事，他们会尽快在企业微信里联系您。'],
		);
	});

	it('a callback delivered to both webhook processes (a retry on the other one) gets one reply', async () => {
		const known = await n8n!.executionIds(workflowId);
		await send('报销怎么弄？', '7400000000000000201', { fromUser: 'wangwu', urls: direct });
		// Both deliveries were taken: each webhook process started an execution of its own.
		await n8n!.waitForExecutions(workflowId, known.size + 2, 120_000);
		const executions = await n8n!.settledExecutionsSince(workflowId, known);
		assert.equal(executions.length, 2);
		for (const execution of executions) assert.equal(execution.status, 'success', `execution ${execution.id} ended ${execution.status}`);
		const toUser = wecom.sentMessages.filter((m) => m.body.touser === 'wangwu');
		assert.deepEqual(
			toUser.map((m) => (m.body.text as { content?: string } | undefined)?.content),
			['报销流程：在 工作台 → 审批 → 报销 提交申请，附上发票照片；财务每周三、周五处理。'],
			'the user got the reply once',
		);
	});
});
