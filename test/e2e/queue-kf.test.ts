/**
 * The template "WeChat Customer Service bot (queue mode)" on n8n's distributed engine: Postgres, Redis, main,
 * two webhook processes and two workers (the set `npm run start:queue` runs). Every kf callback is delivered
 * twice, once straight to each webhook process, so two executions on two workers pull the same messages at
 * once; the claims in Redis let each customer message be answered exactly once (the fake WeCom counts the
 * send_msg calls per customer). Then the worker running a message is killed (SIGKILL, its whole process
 * group) while send_msg hangs: n8n does not run that execution again, and the message is answered once, by
 * the other worker, after its lease. And AutoReply's hand-off: a customer asks for a human, and while that
 * execution is still in its slow last step, the customer's next message runs on the other worker and stays
 * silent, because the pause is in Redis, written before anything was sent.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';

import { startFakeOpenAi } from '../fakes/openai';
import { startFakeWeComApi } from '../fakes/wecom';
import { encryptedCallback, kfEventXml, newSecrets, urlVerification, withQuery } from '../fakes/wecom/callback';
import { AUTO_REPLY_OUTPUT, createTemplateCredentials, readTemplate, waitForWebhook } from './harness';
import { type QueueN8nInstance, startN8nQueue } from './harness-queue';

const { template, webhookId } = readTemplate('wecom-kf-bot-queue.json');
const KF = 'wkFAKEKF0001';
const CUSTOMERS = 24;
/** Short, so that the killed worker's message comes back within the test. */
const LEASE_SECONDS = 15;
/** How long the fake WeCom takes to answer the hand-off's session move (well inside the lease). */
const SLOW_TRANSFER_MS = 8_000;

describe('queue mode: kf messages answered exactly once across workers', { timeout: 8 * 60_000 }, () => {
	const secrets = newSecrets('ww_queue_kf_corp');
	let n8n: QueueN8nInstance | undefined;
	let wecom: Awaited<ReturnType<typeof startFakeWeComApi>>;
	let openai: Awaited<ReturnType<typeof startFakeOpenAi>>;
	let workflowId: string;
	/** Each webhook process's own address for the trigger (not the balancer). */
	let direct: string[];

	const signedCallback = (token: string) =>
		encryptedCallback(secrets, kfEventXml({ corpId: secrets.corpId, token, openKfId: KF }), { agentId: '' });
	/** One callback, delivered once to each of `urls` (every webhook process by default) at the same time, as
	 * WeCom's retry might. */
	const deliver = async (token: string, urls = direct) => {
		const signed = signedCallback(token);
		const answers = await Promise.all(
			urls.map(async (url) => {
				const res = await fetch(withQuery(url, signed.query), {
					method: 'POST',
					headers: { 'content-type': 'text/xml' },
					body: signed.body,
				});
				return `${res.status} ${await res.text()}`;
			}),
		);
		assert.deepEqual(answers, urls.map(() => '200 success'));
	};
	const sendsTo = (customer: string) =>
		wecom.kfAttempts.filter((a) => a.path === '/cgi-bin/kf/send_msg' && a.external_userid === customer);
	const startedExecutions = (name: string) =>
		[...n8n!.logOf(name).matchAll(/Worker started execution (\d+) \(job/g)].map((m) => m[1]);

	before(async () => {
		wecom = await startFakeWeComApi({ corpId: secrets.corpId, apps: [{ agentId: 1000002, secret: 'fake-secret' }] });
		openai = await startFakeOpenAi();
		// One job at a time per worker: a second execution while the first runs must go to the other worker.
		n8n = await startN8nQueue({ workers: 2, webhooks: 2, env: { N8N_CONCURRENCY_PRODUCTION_LIMIT: '1' } });
		const credentials = await createTemplateCredentials(n8n, { secrets, weComUrl: wecom.url, openAiUrl: openai.url });
		const redis = await n8n.createCredential('redis', "Redis (the queue's)", {
			host: '127.0.0.1',
			port: n8n.set.plan.ports.redis,
			password: readFileSync(path.join(n8n.set.plan.dir, 'redis-password'), 'utf8').trim(),
			database: 0,
		});
		const workflow = structuredClone(template);
		const byNode: Record<string, Record<string, { id: string; name: string }>> = {};
		for (const node of workflow.nodes) {
			if (node.type === 'n8n-nodes-base.redis') byNode[node.name] = { redis };
			if (node.type === 'n8n-nodes-kefu.weComTrigger') byNode[node.name] = { weComCallbackApi: credentials.callback };
			if (node.type === 'n8n-nodes-kefu.weCom') byNode[node.name] = { weComApi: credentials.api };
			if (node.type === '@n8n/n8n-nodes-langchain.lmChatOpenAi') byNode[node.name] = { openAiApi: credentials.model };
			if (node.name === 'Pull Messages') (node.parameters as Record<string, unknown>).claimLeaseSeconds = LEASE_SECONDS;
		}
		({ id: workflowId } = await n8n.importWorkflow(workflow, byNode));
		await n8n.publish(workflowId);
		direct = n8n.directWebhookUrls(webhookId);
		assert.equal(direct.length, 2);
		for (const url of direct) await waitForWebhook(withQuery(url, urlVerification(secrets, 'warm-up')));
	});

	after(async () => {
		await n8n?.stop();
		await wecom?.close();
		await openai?.close();
	});

	it(`${CUSTOMERS} customers, every callback delivered to both webhook processes: each message answered once`, async () => {
		const customers = Array.from({ length: CUSTOMERS }, (_, i) => `wm_q${i}`);
		await Promise.all(
			customers.map(async (customer) => {
				const { token } = wecom.kfCustomerSends(KF, customer, { msgtype: 'text', text: { content: '请问价格是多少' } });
				await deliver(token);
			}),
		);
		await n8n!.waitForExecutions(workflowId, CUSTOMERS * 2, 4 * 60_000);
		await n8n!.settledExecutions(workflowId, 3_000, 4 * 60_000);
		const counts = Object.fromEntries(customers.map((c) => [c, sendsTo(c).length]));
		assert.deepEqual(counts, Object.fromEntries(customers.map((c) => [c, 1])));
		// Both workers took part, so the claims, not one process's memory, kept the second copies out.
		assert.ok(startedExecutions('worker-1').length > 0 && startedExecutions('worker-2').length > 0);
	});

	it('a hand-off made on one worker holds on the other while its execution still runs', async () => {
		const customer = 'wm_handoff';
		const trans = () => wecom.kfAttempts.filter((a) => a.path === '/cgi-bin/kf/service_state/trans' && a.external_userid === customer);
		// The hand-off execution's last WeCom call (the session into the servicers' queue) answers slowly.
		wecom.injectKfFault('/cgi-bin/kf/service_state/trans', customer, { delayMs: SLOW_TRANSFER_MS });
		const known = await n8n!.executionIds(workflowId);
		const handOff = wecom.kfCustomerSends(KF, customer, { msgtype: 'text', text: { content: '人工' } });
		await deliver(handOff.token, [direct[0]]);
		// The hand-off text went out and the session move hangs: that execution is still running.
		// Polled: the fake's waitFor looks again only when it has answered a request, and this one answers late.
		for (const deadline = Date.now() + 60_000; trans().length === 0; ) {
			assert.ok(Date.now() < deadline, 'the hand-off execution never moved the session');
			await new Promise((resolve) => setTimeout(resolve, 100));
		}
		const next = wecom.kfCustomerSends(KF, customer, { msgtype: 'text', text: { content: '请问价格是多少' } });
		await deliver(next.token, [direct[1]]);
		await n8n!.waitForExecutions(workflowId, known.size + 1, 60_000);
		const executions = await n8n!.settledExecutionsSince(workflowId, known, 3_000, 120_000);
		assert.equal(executions.length, 2, 'one execution per callback');
		for (const execution of executions) assert.equal(execution.status, 'success', `execution ${execution.id} ended ${execution.status}`);

		/** The AutoReply node's item for one message of an execution (an execution routes every message it pulled). */
		const routed = async (msgid: string) => {
			for (const execution of executions) {
				const item = (await n8n!.nodeItems(execution.id, 'AutoReply')).find((i) => i.json.msgid === msgid);
				if (item) return { execution, output: item.output, autoReply: item.json.autoReply as Record<string, unknown> };
			}
			assert.fail(`no execution routed ${msgid}`);
		};
		const first = await routed(handOff.msgid);
		const second = await routed(next.msgid);
		assert.notEqual(first.execution.id, second.execution.id);
		assert.deepEqual([second.output, second.autoReply.reason], [AUTO_REPLY_OUTPUT.silent, 'withHuman'], 'the next message was not left to the human');
		assert.equal(first.output, AUTO_REPLY_OUTPUT.handOff);
		assert.deepEqual(
			(first.autoReply.stateWrites as Array<Record<string, unknown>>).map(({ operation, key }) => [operation, key]),
			[['set', `kefu:ar:pause:${KF}:${customer}`]],
		);
		// Nothing was sent for the next message: the one send is the hand-off text.
		assert.equal(sendsTo(customer).length, 1, 'send_msg calls for the customer');
		assert.equal(trans().length, 1);

		// On two workers, and the two executions overlapped: the second ended while the first still ran.
		n8n!.assertOverlappedOnTwoWorkers(first.execution, second.execution);
	});

	it('a worker killed while it answers: the other worker answers the message once, after the lease', async () => {
		const customer = 'wm_killed';
		wecom.injectKfFault('/cgi-bin/kf/send_msg', customer, 'stall');
		const before = { 'worker-1': startedExecutions('worker-1').length, 'worker-2': startedExecutions('worker-2').length };
		const { msgid, token } = wecom.kfCustomerSends(KF, customer, { msgtype: 'text', text: { content: '请问价格是多少' } });
		await deliver(token);
		await wecom.waitFor(() => sendsTo(customer).length >= 1, 60_000);
		// The execution that got the claim hangs in send_msg: find its worker and kill it with its runners.
		const busy = (['worker-1', 'worker-2'] as const).filter((name) => startedExecutions(name).length > before[name]);
		assert.ok(busy.length >= 1, 'no worker started an execution');
		// With both copies on one worker, killing it kills both; with one on each, the one that hangs is the
		// claimant, and the other execution (no claim) ended already.
		const killed = await claimant(busy);
		process.kill(-killed.child.pid!, 'SIGKILL');
		const killedAt = Date.now();
		assert.equal(sendsTo(customer).length, 1);
		// Nothing answers it before its lease is over; the next callback (any message of the account) then
		// hands it out again, on the worker left.
		await new Promise((resolve) => setTimeout(resolve, Math.max(0, LEASE_SECONDS * 1000 + 1_000 - (Date.now() - killedAt))));
		const other = wecom.kfCustomerSends(KF, 'wm_after_kill', { msgtype: 'text', text: { content: '请问价格是多少' } });
		await deliver(other.token);
		await wecom.waitFor(() => sendsTo(customer).filter((a) => a.errcode === 0).length >= 1, 90_000);
		await wecom.waitFor(() => sendsTo('wm_after_kill').length >= 1, 90_000);
		await new Promise((resolve) => setTimeout(resolve, 5_000));
		const answered = wecom.kfSent.filter((m) => m.external_userid === customer);
		assert.equal(answered.length, 1, `answers to ${msgid}: ${answered.length}`);
		assert.equal(sendsTo(customer).length, 2, 'one hung call on the killed worker, one answer after the lease');
		assert.equal(wecom.kfSent.filter((m) => m.external_userid === 'wm_after_kill').length, 1);
	});

	/** Of two workers that each started an execution for the callback, the one whose execution is still running. */
	async function claimant(names: readonly string[]) {
		const running = new Set((await n8n!.executions(workflowId)).filter((e) => e.status === 'running').map((e) => String(e.id)));
		const name = names.find((n) => startedExecutions(n).some((id) => running.has(id))) ?? names[0];
		return n8n!.set.n8n.find((p) => p.name === name)!;
	}
});
