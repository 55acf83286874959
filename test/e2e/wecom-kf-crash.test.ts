/**
 * The WeChat Customer Service template (微信客服) in a real n8n that dies in the middle of its work: executions
 * that overlap, one of them waiting for the AI, one whose reply WeCom has accepted but not yet confirmed, a
 * later one that ends and saves, then SIGKILL of the n8n process and a start on the same user folder. Every
 * customer message must be answered and none lost, counted at the source (the fake WeCom's kfAttempts).
 * A graceful stop, beside it, must hand out nothing again.
 *
 * Each test starts from a running n8n and leaves one running; no test needs another to have run.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';

import { startFakeOpenAi } from '../fakes/openai';
import { startFakeWeComApi } from '../fakes/wecom';
import { encryptedCallback, kfEventXml, newSecrets, urlVerification, withQuery } from '../fakes/wecom/callback';
import {
	createTemplateCredentials,
	importTemplate,
	type N8nInstance,
	startN8n,
	waitForWebhook,
	readTemplate,
} from './harness';

const { template, webhookId } = readTemplate('wecom-kf-bot.json');
const KF = 'wkFAKEKF0001';
const SEND = '/cgi-bin/kf/send_msg';
/** Customer text with this mark waits in the fake model until the test lets it answer. */
const SLOW = '#slow';

interface PulledItem {
	msgid?: string;
	external_userid?: string;
	redelivered?: boolean;
}

/** The Message ID the template gives its reply to a customer message (Send Reply → Message ID). */
const replyIdOf = (msgid: string) => createHash('md5').update(`reply:${msgid}`).digest('hex');

async function until(what: string, predicate: () => boolean | Promise<boolean>, timeoutMs = 60_000): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	while (!(await predicate())) {
		if (Date.now() > deadline) throw new Error(`still not true after ${timeoutMs} ms: ${what}`);
		await new Promise((r) => setTimeout(r, 100));
	}
}

describe('kf template: a crash in the middle of executions (real n8n, SIGKILL and restart)', () => {
	const secrets = newSecrets('ww_fake_corp');
	const userFolder = mkdtempSync(path.join(tmpdir(), 'kefu-kf-crash-'));
	let n8n: N8nInstance;
	let wecom: Awaited<ReturnType<typeof startFakeWeComApi>>;
	let openai: Awaited<ReturnType<typeof startFakeOpenAi>>;
	let workflowId: string;
	let url: string;
	/** Lets every model call held by SLOW answer. */
	let releaseModel: () => void = () => undefined;

	const holdSlowModelCalls = () => {
		const held = new Promise<void>((resolve) => (releaseModel = resolve));
		openai.setReply(async (request) => {
			if (request.lastUserText.includes(SLOW)) await held;
			return `AI answer to: ${request.lastUserText}`;
		});
	};
	const modelCallsFor = (text: string) =>
		openai.requests.filter((r) => r.path === '/v1/chat/completions' && JSON.stringify(r.body).includes(text)).length;

	/** A customer writes and WeCom announces it with a callback, which n8n acknowledges once it stored the execution. */
	const customerSays = async (customer: string, content: string): Promise<string> => {
		const { msgid, token } = wecom.kfCustomerSends(KF, customer, { msgtype: 'text', text: { content } });
		const signed = encryptedCallback(secrets, kfEventXml({ corpId: secrets.corpId, token, openKfId: KF }), { agentId: '' });
		const res = await fetch(withQuery(url, signed.query), {
			method: 'POST',
			headers: { 'content-type': 'text/xml' },
			body: signed.body,
		});
		assert.equal(res.status, 200);
		assert.equal(await res.text(), 'success');
		return msgid;
	};
	/** kf/send_msg calls for this customer that WeCom carried out (the customer saw them). */
	const accepted = (customer: string) =>
		wecom.kfAttempts.filter((a) => a.path === SEND && a.external_userid === customer && a.errcode === 0);
	/** Replies to this customer message that WeCom carried out. */
	const repliesTo = (msgid: string) => wecom.kfAttempts.filter((a) => a.msgid === replyIdOf(msgid) && a.errcode === 0);
	const contentOf = (msgid: string | undefined) =>
		String((wecom.kfSent.find((m) => m.msgid === msgid)?.body.text as { content?: string } | undefined)?.content ?? '');

	const start = async () => {
		n8n = await startN8n({ userFolder });
		url = n8n.webhookUrl(webhookId);
		await waitForWebhook(withQuery(url, urlVerification(secrets, 'ready')));
	};
	const ensureRunning = async () => {
		if (n8n.pid === undefined || !(await fetch(`${n8n.baseUrl}/healthz`).then((r) => r.ok, () => false))) await start();
	};

	/** The workflow's executions still running (n8n's API lists only finished ones unless asked). */
	const running = async () =>
		(
			await n8n.api<{ data: Array<{ id: string }> }>(
				'GET',
				`/executions?${new URLSearchParams({ workflowId, status: 'running', limit: '250' }).toString()}`,
			)
		).data;
	/** Ids of the workflow's executions so far, finished or not (what came before a step). */
	const executionIds = async () =>
		new Set([...(await n8n.executions(workflowId)), ...(await running())].map((e) => e.id));
	/** Executions not in `known`, once none of them runs and their number stayed the same for 1.5 s. */
	const settledSince = async (known: Set<string>) => {
		let last = -1;
		let stableSince = Date.now();
		for (const deadline = Date.now() + 120_000; ; ) {
			const fresh = (await n8n.executions(workflowId)).filter((e) => !known.has(e.id));
			const busy = (await running()).some((e) => !known.has(e.id));
			if (fresh.length !== last || busy) {
				last = fresh.length;
				stableSince = Date.now();
			} else if (Date.now() - stableSince >= 1_500) {
				return fresh;
			}
			if (Date.now() > deadline) throw new Error('the executions did not settle in 120 s');
			await new Promise((r) => setTimeout(r, 250));
		}
	};
	/** What Pull Messages handed out in these executions. */
	const pulledIn = async (executions: Array<{ id: string }>): Promise<PulledItem[]> => {
		const items: PulledItem[] = [];
		for (const { id } of executions) {
			const run = await n8n.execution(id);
			const tasks = (run.data?.resultData.runData['Pull Messages'] ?? []) as Array<{
				data?: { main?: Array<Array<{ json: PulledItem }> | null> };
			}>;
			for (const task of tasks) for (const item of task.data?.main?.[0] ?? []) items.push(item.json);
		}
		return items;
	};

	before(async () => {
		wecom = await startFakeWeComApi({ corpId: secrets.corpId, apps: [{ agentId: 1000002, secret: 'fake-secret' }] });
		openai = await startFakeOpenAi();
		n8n = await startN8n({ userFolder });
		url = n8n.webhookUrl(webhookId);
		const credentials = await createTemplateCredentials(n8n, { secrets, weComUrl: wecom.url, openAiUrl: openai.url });
		({ id: workflowId } = await importTemplate(n8n, template, credentials));
		await n8n.publish(workflowId);
		await waitForWebhook(withQuery(url, urlVerification(secrets, 'warm-up')));
		// A first message, so that the workflow has a cursor before the tests (a first pull skips old history).
		await customerSays('wm_first', '价格多少');
		await until('the first customer is answered', () => accepted('wm_first').length === 1);
		await settledSince(new Set());
	});

	after(async () => {
		releaseModel();
		await n8n?.stop({ keepUserFolder: true });
		await wecom?.close();
		await openai?.close();
		if (process.env.KEFU_E2E_KEEP !== '1') rmSync(userFolder, { recursive: true, force: true });
	});

	it('SIGKILL while executions are in flight and a later one has saved: after the restart every message is answered, none is lost', async () => {
		await ensureRunning();
		holdSlowModelCalls();
		const waiting = 'wm_crash_waiting'; // its execution waits for the model: nothing sent yet
		const sent = 'wm_crash_sent'; // its reply reached WeCom, whose answer never comes back
		const later = 'wm_crash_later'; // pulled after both, answered, its execution ended and saved
		const next = 'wm_crash_next'; // writes after the restart
		try {
			const waitingMsgid = await customerSays(waiting, `${SLOW} 你们的产品可以寄到国外吗`);
			await until('the waiting customer reached the model', () => modelCallsFor('寄到国外') >= 1);

			wecom.injectKfFault(SEND, sent, 'stall-after', 'always');
			const sentMsgid = await customerSays(sent, '价格多少');
			await until('the reply to the second customer reached WeCom', () => accepted(sent).length === 1);

			const known = await executionIds();
			const laterMsgid = await customerSays(later, '请问价格');
			await until('the later customer is answered', () => accepted(later).length === 1);
			await until('the later execution has ended (and n8n saved its static data)', async () =>
				(await n8n.executions(workflowId)).some((e) => !known.has(e.id) && e.status === 'success'),
			);
			// Both earlier executions are still in flight: the crash comes in the middle of them.
			assert.equal(accepted(waiting).length, 0, 'the waiting customer was answered before the crash');
			assert.equal(
				wecom.kfAttempts.filter((a) => a.external_userid === sent).length,
				1,
				'the second customer’s send was already retried: the crash would come too late',
			);

			const beforeRestart = await executionIds();
			await n8n.kill('SIGKILL');
			releaseModel();
			wecom.injectKfFault(SEND, sent, 'busy', 0);
			const attemptsBefore = wecom.kfAttempts.length;
			await start();

			const nextMsgid = await customerSays(next, '价格呢');
			await until('the next customer is answered', () => accepted(next).length === 1);
			await until(
				'the waiting customer is answered after the restart (its message was lost)',
				() => accepted(waiting).length >= 1,
			);
			const fresh = await settledSince(beforeRestart);

			// At the source: each message got exactly one reply; nobody was answered twice.
			const messages = { [waiting]: waitingMsgid, [sent]: sentMsgid, [later]: laterMsgid, [next]: nextMsgid };
			for (const [customer, msgid] of Object.entries(messages)) {
				assert.equal(repliesTo(msgid).length, 1, `${customer}: ${repliesTo(msgid).length} replies accepted`);
			}
			assert.match(contentOf(repliesTo(waitingMsgid)[0].msgid), /AI answer to: .*寄到国外/);
			assert.equal(accepted(waiting).length, 1);
			assert.equal(accepted(next).length, 1);
			// The reply that had reached WeCom before the crash came again, and WeCom refused the copy (same
			// Message ID): the template then hands the customer to a person, who sees the conversation.
			const afterRestart = wecom.kfAttempts.slice(attemptsBefore);
			assert.ok(
				afterRestart.some((a) => a.external_userid === sent && a.path === SEND && a.errcode === 40058),
				'the repeated reply was not refused as a reused Message ID',
			);
			assert.equal(wecom.kfSessionState(KF, sent).service_state, 2, 'the customer whose reply came again is not with a person');
			assert.equal(afterRestart.filter((a) => a.external_userid === later).length, 0, 'the later customer was answered again');

			// What Pull Messages handed out after the restart: the two messages in flight, marked, then the new one.
			for (const run of fresh) assert.equal(run.status, 'success', `execution ${run.id} ended ${run.status}`);
			const pulled = await pulledIn(fresh);
			const byMsgid = new Map(pulled.map((item) => [item.msgid, item]));
			assert.equal(byMsgid.get(waitingMsgid)?.redelivered, true, 'the waiting message was not handed out again');
			assert.equal(byMsgid.get(sentMsgid)?.redelivered, true, 'the sent message was not handed out again');
			assert.equal(byMsgid.get(nextMsgid)?.redelivered, undefined);
			assert.equal(byMsgid.has(laterMsgid), false, 'a message whose execution had ended came again');
			assert.equal(pulled.length, new Set(pulled.map((item) => item.msgid)).size, 'a message was handed out twice');
		} finally {
			releaseModel();
			wecom.injectKfFault(SEND, sent, 'busy', 0);
		}
	});

	it('a graceful stop while executions wait for the model: they finish together, and after the restart nothing comes again', async () => {
		await ensureRunning();
		holdSlowModelCalls();
		const slow = ['wm_graceful_slow_1', 'wm_graceful_slow_2', 'wm_graceful_slow_3'];
		const fast = 'wm_graceful_fast';
		const next = 'wm_graceful_next';
		try {
			// Three executions, each waiting for the model with its own message.
			for (const [i, customer] of slow.entries()) {
				await customerSays(customer, `${SLOW} 第${i + 1}个问题：你们支持开发票吗`);
				await until(`slow customer ${i + 1} reached the model`, () => modelCallsFor(`第${i + 1}个问题`) >= 1);
			}
			const known = await executionIds();
			await customerSays(fast, '价格多少钱');
			await until('the fast customer is answered', () => accepted(fast).length === 1);
			await until('the fast execution has ended', async () =>
				(await n8n.executions(workflowId)).some((e) => !known.has(e.id) && e.status === 'success'),
			);

			// SIGTERM: n8n waits for running executions before it exits. The model answers all three at
			// once, so their executions end (and n8n saves each) within moments of each other.
			const beforeRestart = await executionIds();
			const stopped = n8n.kill('SIGTERM');
			releaseModel();
			await stopped;
			for (const customer of slow) assert.equal(accepted(customer).length, 1, `${customer}: not answered during the graceful stop`);
			const attemptsBefore = wecom.kfAttempts.length;
			await start();

			const nextMsgid = await customerSays(next, '价格是多少');
			await until('the next customer is answered', () => accepted(next).length === 1);
			const fresh = await settledSince(beforeRestart);
			const pulled = await pulledIn(fresh);
			assert.deepEqual(
				pulled.map((item) => [item.external_userid, item.msgid, item.redelivered]),
				[[next, nextMsgid, undefined]],
				'after a graceful stop, only the new message is handed out',
			);
			assert.deepEqual(
				wecom.kfAttempts.slice(attemptsBefore).map((a) => [a.external_userid, a.errcode]),
				[[next, 0]],
			);
			for (const customer of [...slow, fast, next]) assert.equal(accepted(customer).length, 1, customer);
		} finally {
			releaseModel();
		}
	});
});
