/**
 * The shipped template "WeChat Customer Service bot" (微信客服) in a real n8n, against the loopback fake
 * of WeCom's kf API and a fake OpenAI-compatible model: a kf_msg_or_event callback reaches the WeCom
 * Trigger, Pull Messages fetches the customer's messages with kf/sync_msg, AutoReply routes them, and
 * the answers go back through kf/send_msg. Also: hand-off to a human, many callbacks at once with
 * retries, paging with has_more, and the cursor across an n8n restart.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';

import { startFakeOpenAi } from '../fakes/openai';
import { startFakeWeComApi } from '../fakes/wecom';
import { encryptedCallback, kfEventXml, newSecrets, urlVerification, withQuery } from '../fakes/wecom/callback';
import {
	AUTO_REPLY_OUTPUT,
	assertRoutedSilent,
	createTemplateCredentials,
	importTemplate,
	type N8nInstance,
	startN8n,
	waitForWebhook,
	readTemplate,
} from './harness';

const { template, webhookId } = readTemplate('wecom-kf-bot.json');
const KF = 'wkFAKEKF0001';

describe('template: WeChat Customer Service bot (real n8n)', () => {
	const secrets = newSecrets('ww_fake_corp');
	const userFolder = mkdtempSync(path.join(tmpdir(), 'kefu-kf-e2e-'));
	let n8n: N8nInstance;
	let wecom: Awaited<ReturnType<typeof startFakeWeComApi>>;
	let openai: Awaited<ReturnType<typeof startFakeOpenAi>>;
	let workflowId: string;
	let credentials: Awaited<ReturnType<typeof createTemplateCredentials>>;
	let url: string;

	const signedCallback = (token: string) =>
		encryptedCallback(secrets, kfEventXml({ corpId: secrets.corpId, token, openKfId: KF }), { agentId: '' });
	const deliver = async (signed: ReturnType<typeof signedCallback>) =>
		await fetch(withQuery(url, signed.query), {
			method: 'POST',
			headers: { 'content-type': 'text/xml' },
			body: signed.body,
		});
	/** A customer writes; WeCom announces it with a callback; returns the customer's msgid. */
	const customerSays = async (customer: string, content: string) => {
		const { msgid, token } = wecom.kfCustomerSends(KF, customer, { msgtype: 'text', text: { content } });
		const res = await deliver(signedCallback(token));
		assert.equal(res.status, 200);
		assert.equal(await res.text(), 'success');
		return msgid;
	};
	/** The message `msgid` went to AutoReply's Silent output for `reason` in the executions since `known`. */
	const assertSilent = async (known: Set<string>, msgid: string, reason: string, id = workflowId) =>
		await assertRoutedSilent(n8n, await n8n.settledExecutionsSince(id, known), (json) => json.msgid === msgid, reason);
	const sentTo = (customer: string) => wecom.kfSent.filter((m) => m.external_userid === customer);
	const textOf = (m: { body: Record<string, unknown> }) => String((m.body.text as { content?: string })?.content ?? '');

	const start = async () => {
		n8n = await startN8n({ userFolder });
		url = n8n.webhookUrl(webhookId);
	};

	before(async () => {
		wecom = await startFakeWeComApi({ corpId: secrets.corpId, apps: [{ agentId: 1000002, secret: 'fake-secret' }] });
		openai = await startFakeOpenAi();
		await start();
		credentials = await createTemplateCredentials(n8n, { secrets, weComUrl: wecom.url, openAiUrl: openai.url });
		({ id: workflowId } = await importTemplate(n8n, template, credentials));
		await n8n.publish(workflowId);
		await waitForWebhook(withQuery(url, urlVerification(secrets, 'warm-up')));
	});

	after(async () => {
		await n8n?.stop({ keepUserFolder: true });
		await wecom?.close();
		await openai?.close();
		if (process.env.KEFU_E2E_KEEP !== '1') rmSync(userFolder, { recursive: true, force: true });
	});

	it('a keyword, an FAQ question and anything else are answered by the rule, the FAQ and the AI', async () => {
		const aiBefore = openai.requests.length;
		await customerSays('wm_keyword', '请问价格是多少');
		await customerSays('wm_faq', '东西不想要了可以退吗？');
		await customerSays('wm_ai', '你们的产品可以寄到国外吗');
		await wecom.waitFor(() => ['wm_keyword', 'wm_faq', 'wm_ai'].every((c) => sentTo(c).length >= 1), 60_000);
		assert.match(textOf(sentTo('wm_keyword')[0]), /价格/);
		assert.match(textOf(sentTo('wm_faq')[0]), /7 ?天/);
		assert.match(textOf(sentTo('wm_ai')[0]), /AI answer to: .*寄到国外/);
		assert.equal(sentTo('wm_ai')[0].body.open_kfid, KF);
		// Only the unanswered question reached the model, with the FAQ candidates in its prompt.
		assert.equal(openai.requests.length, aiBefore + 1);
		const prompt = JSON.stringify(openai.requests.at(-1)?.body);
		const faqQuestions = (template.nodes.find((n) => n.name === 'AutoReply')?.parameters as {
			faq: { entry: Array<{ question: string }> };
		}).faq.entry.map((e) => e.question);
		assert.ok(
			faqQuestions.some((q) => prompt.includes(`Q: ${q}`)),
			`no FAQ candidate in the AI prompt: ${prompt.slice(0, 600)}`,
		);
		await n8n.settledExecutions(workflowId);
		for (const c of ['wm_keyword', 'wm_faq', 'wm_ai']) assert.equal(sentTo(c).length, 1, c);
	});

	it('a picture gets a request to write instead, without the AI', async () => {
		const aiBefore = openai.requests.length;
		const { token } = wecom.kfCustomerSends(KF, 'wm_picture', { msgtype: 'image', image: { media_id: 'MEDIA_ID_OF_A_PHOTO' } });
		assert.equal((await deliver(signedCallback(token))).status, 200);
		await wecom.waitFor(() => sentTo('wm_picture').length >= 1, 30_000);
		assert.match(textOf(sentTo('wm_picture')[0]), /只能看懂文字/);
		assert.equal(openai.requests.length, aiBefore);
	});

	it('a customer entering the session gets the welcome message through its welcome_code', async () => {
		const { token, code } = wecom.kfEvent(KF, 'wm_welcome', { event_type: 'enter_session', welcome: true });
		assert.ok(code, 'the fake issued no welcome_code');
		assert.equal((await deliver(signedCallback(token))).status, 200);
		await wecom.waitFor(() => sentTo('wm_welcome').length >= 1, 30_000);
		const [welcome] = sentTo('wm_welcome');
		assert.equal(welcome.via, 'send_msg_on_event');
		assert.equal(welcome.codeKind, 'welcome');
		assert.match(textOf(welcome), /欢迎/);
	});

	it('"转人工" says so, moves the session to the queue, and the bot stays silent afterwards', async () => {
		const aiBefore = openai.requests.length;
		await customerSays('wm_human', '转人工');
		await wecom.waitFor(() => wecom.kfSessionState(KF, 'wm_human').service_state === 2, 30_000);
		await n8n.settledExecutions(workflowId);
		assert.equal(sentTo('wm_human').length, 1);
		assert.match(textOf(sentTo('wm_human')[0]), /人工/);
		const known = await n8n.executionIds(workflowId);
		const msgid = await customerSays('wm_human', '价格是多少？还在吗');
		await assertSilent(known, msgid, 'withHuman');
		assert.equal(sentTo('wm_human').length, 1, 'the bot answered a conversation that is with a human');
		assert.equal(openai.requests.length, aiBefore);
	});

	it('when the servicer ends the session, the customer\'s next message gets the bot again', async () => {
		await customerSays('wm_back', '人工客服');
		await wecom.waitFor(() => wecom.kfSessionState(KF, 'wm_back').service_state === 2, 30_000);
		wecom.setKfSessionState(KF, 'wm_back', 3, 'zhangsan');
		wecom.kfServicerSends(KF, 'wm_back', 'zhangsan', { msgtype: 'text', text: { content: '您好，我是客服小张' } });
		const ended = wecom.kfEvent(KF, 'wm_back', { event_type: 'session_status_change', change_type: 3 });
		assert.equal((await deliver(signedCallback(ended.token))).status, 200);
		await n8n.settledExecutions(workflowId);
		assert.equal(wecom.kfSessionState(KF, 'wm_back').service_state, 4);
		const before = sentTo('wm_back').length;
		await customerSays('wm_back', '请问价格多少');
		await wecom.waitFor(() => sentTo('wm_back').length > before, 30_000);
		assert.match(textOf(sentTo('wm_back').at(-1) as (typeof wecom.kfSent)[number]), /价格/);
	});

	it('when the AI fails, the customer is told and handed to a human', async () => {
		openai.failNext(20, 500);
		try {
			await customerSays('wm_ai_down', '你们的会员有什么权益和等级');
			await wecom.waitFor(() => wecom.kfSessionState(KF, 'wm_ai_down').service_state === 2, 60_000);
			await n8n.settledExecutions(workflowId);
			assert.equal(sentTo('wm_ai_down').length, 1);
			assert.match(textOf(sentTo('wm_ai_down')[0]), /人工客服.*转接/);
		} finally {
			openai.failNext(0);
		}
		const aiBefore = openai.requests.length;
		const known = await n8n.executionIds(workflowId);
		const msgid = await customerSays('wm_ai_down', '有人吗');
		await assertSilent(known, msgid, 'withHuman');
		assert.equal(sentTo('wm_ai_down').length, 1, 'the bot spoke after handing off');
		assert.equal(openai.requests.length, aiBefore);
	});

	it('when the AI says it cannot help ([HANDOFF]), the customer is handed to a human, never shown the marker', async () => {
		openai.setReply((request) => (request.lastUserText.includes('投诉') ? '[HANDOFF]' : `AI answer to: ${request.lastUserText}`));
		try {
			await customerSays('wm_complaint', '上次买的东西质量太差了，我要投诉');
			await wecom.waitFor(() => wecom.kfSessionState(KF, 'wm_complaint').service_state === 2, 60_000);
			await n8n.settledExecutions(workflowId);
		} finally {
			openai.setReply((request) => `AI answer to: ${request.lastUserText}`);
		}
		assert.equal(sentTo('wm_complaint').length, 1);
		assert.match(textOf(sentTo('wm_complaint')[0]), /人工客服.*转接/);
		assert.doesNotMatch(textOf(sentTo('wm_complaint')[0]), /HANDOFF/);
	});

	it('20 customers at once, every callback delivered twice: each message answered exactly once', async () => {
		const customers = Array.from({ length: 20 }, (_, i) => `wm_burst_${i}`);
		// The price question is a keyword; the others match nothing and go to the AI.
		const toAi = customers.filter((_, i) => i % 2 === 1);
		const known = await n8n.executionIds(workflowId);
		const aiBefore = openai.requests.length;
		const attemptsBefore = wecom.kfAttempts.length;
		const written = customers.map((c, i) => {
			const { token } = wecom.kfCustomerSends(KF, c, {
				msgtype: 'text',
				text: { content: i % 2 === 0 ? '价格多少' : `burst question ${i}` },
			});
			return signedCallback(token);
		});
		const answers = await Promise.all([...written, ...written].map((signed) => deliver(signed)));
		for (const res of answers) assert.equal(res.status === 200 || res.status === 503, true, `status ${res.status}`);
		// A 503 (first delivery still being stored) is retried by WeCom; do what WeCom does.
		for (const [i, res] of answers.entries()) {
			if (res.status === 503) assert.equal((await deliver(written[i % written.length])).status, 200);
		}
		await wecom.waitFor(() => customers.every((c) => sentTo(c).length >= 1), 90_000);
		const runs = await n8n.settledExecutionsSince(workflowId, known, 3_000, 120_000);
		for (const c of customers) assert.equal(sentTo(c).length, 1, `${c} got ${sentTo(c).length} answers`);

		// At the source. A message pulled twice would show here, even where the fake refused its second
		// reply (a reused Message ID) and no second answer reached the customer.
		for (const run of runs) assert.equal(run.status, 'success', `execution ${run.id} ended ${run.status}`);
		const attempts = wecom.kfAttempts.slice(attemptsBefore);
		assert.deepEqual(
			attempts.filter((a) => a.errcode === 40058).map((a) => a.external_userid),
			[],
			'sends refused as a reused Message ID',
		);
		for (const c of customers) {
			const accepted = attempts.filter((a) => a.external_userid === c && a.path === '/cgi-bin/kf/send_msg' && a.errcode === 0);
			assert.equal(accepted.length, 1, `${c}: ${accepted.length} replies accepted`);
		}
		// AutoReply saw each message once, and exactly the unmatched ones reached the AI, once each.
		const routed: Array<{ output: number; customer: string }> = [];
		for (const run of runs) {
			for (const { output, json } of await n8n.nodeItems(run.id, 'AutoReply')) {
				routed.push({ output, customer: String(json.external_userid) });
			}
		}
		assert.deepEqual(routed.map((r) => r.customer).sort(), [...customers].sort(), 'messages routed');
		assert.deepEqual(
			routed.filter((r) => r.output === AUTO_REPLY_OUTPUT.noMatch).map((r) => r.customer).sort(),
			[...toAi].sort(),
		);
		assert.equal(openai.requests.length - aiBefore, toAi.length, 'AI calls');
	});

	it('a send that fails for one customer of a pull: the others are answered, that one is retried or handed to a human, nothing is pulled twice', async () => {
		const customers = ['wm_fail_1', 'wm_fail_2', 'wm_fail_3', 'wm_fail_4', 'wm_fail_5'];
		const SEND = '/cgi-bin/kf/send_msg';
		// wm_fail_2: WeCom busy once (the send's own retry answers it); wm_fail_4: busy on every send.
		wecom.injectKfFault(SEND, 'wm_fail_2', 'busy', 1);
		wecom.injectKfFault(SEND, 'wm_fail_4', 'busy', 'always');
		try {
			const known = new Set((await n8n.executions(workflowId)).map((e) => e.id));
			const attemptsBefore = wecom.kfAttempts.length;
			let token = '';
			const msgids = customers.map((c) => {
				const sent = wecom.kfCustomerSends(KF, c, { msgtype: 'text', text: { content: '请问价格是多少' } });
				token = sent.token;
				return sent.msgid;
			});
			// One callback announces all five: one pull, five items.
			const signed = signedCallback(token);
			assert.equal((await deliver(signed)).status, 200);
			await wecom.waitFor(
				() =>
					wecom.kfAttempts
						.slice(attemptsBefore)
						.some((a) => a.path === '/cgi-bin/kf/service_state/trans' && a.external_userid === 'wm_fail_4'),
				60_000,
			);
			const runs = (await n8n.settledExecutions(workflowId)).filter((e) => !known.has(e.id));
			// The same callback again (WeCom's retry) and a later one pull nothing new.
			assert.equal((await deliver(signed)).status, 200);
			const { token: later } = wecom.kfEvent(KF, 'wm_fail_6', { event_type: 'enter_session', welcome: false });
			assert.equal((await deliver(signedCallback(later))).status, 200);
			const all = (await n8n.settledExecutions(workflowId)).filter((e) => !known.has(e.id));

			// No execution stopped: the failure went down the error path, not through the workflow's end.
			for (const run of all) assert.equal(run.status, 'success', `execution ${run.id} ended ${run.status}`);
			assert.equal(runs.length, 1, 'one callback, one execution');
			// Every message was pulled exactly once, across all these executions.
			const pulled: string[] = [];
			for (const run of all) {
				for (const { json } of await n8n.nodeItems(run.id, 'Pull Messages')) pulled.push(String(json.msgid));
			}
			assert.deepEqual(
				pulled.filter((id) => msgids.includes(id)).sort(),
				[...msgids].sort(),
			);

			// At the source: what WeCom accepted for each customer.
			const attempts = wecom.kfAttempts.slice(attemptsBefore);
			const accepted = (c: string, path: string) =>
				attempts.filter((a) => a.external_userid === c && a.path === path && a.errcode === 0);
			for (const c of ['wm_fail_1', 'wm_fail_2', 'wm_fail_3', 'wm_fail_5']) {
				assert.equal(accepted(c, SEND).length, 1, `${c}: ${accepted(c, SEND).length} replies accepted`);
				assert.match(textOf(sentTo(c).at(-1)!), /价格/);
			}
			// wm_fail_2 needed a second attempt, with the same Message ID.
			const second = attempts.filter((a) => a.external_userid === 'wm_fail_2' && a.path === SEND);
			assert.equal(second.length, 2);
			assert.equal(second[0].msgid, second[1].msgid);
			// wm_fail_4: no reply got through (3 attempts), nor the hand-off text, but the session is in the
			// queue, where a servicer finds the customer.
			assert.equal(accepted('wm_fail_4', SEND).length, 0);
			assert.equal(attempts.filter((a) => a.external_userid === 'wm_fail_4' && a.path === SEND).length, 6);
			assert.equal(accepted('wm_fail_4', '/cgi-bin/kf/service_state/trans').length, 1);
			assert.equal(wecom.kfSessionState(KF, 'wm_fail_4').service_state, 2);
			// And no send was refused as a reused Message ID: nothing was answered twice.
			assert.equal(attempts.filter((a) => a.errcode === 40058).length, 0);
		} finally {
			wecom.injectKfFault(SEND, 'wm_fail_4', 'busy', 0);
		}
	});

	it('pages with has_more = 1 and an empty msg_list are followed to the end', async () => {
		wecom.setKfSyncPaging({ pageSize: 2, emptyPagesWithHasMore: 2 });
		try {
			const customers = ['wm_page_a', 'wm_page_b', 'wm_page_c', 'wm_page_d', 'wm_page_e'];
			let token = '';
			for (const c of customers) ({ token } = wecom.kfCustomerSends(KF, c, { msgtype: 'text', text: { content: '价格' } }));
			assert.equal((await deliver(signedCallback(token))).status, 200);
			await wecom.waitFor(() => customers.every((c) => sentTo(c).length >= 1), 60_000);
			await n8n.settledExecutions(workflowId);
			for (const c of customers) assert.equal(sentTo(c).length, 1, c);
		} finally {
			wecom.setKfSyncPaging({});
		}
	});

	it('the cursor survives an n8n restart: only the new message is answered after it', async () => {
		// A conversation handed to a human before the restart (its own customer, so the test runs alone).
		await customerSays('wm_restart_human', '转人工');
		await wecom.waitFor(() => wecom.kfSessionState(KF, 'wm_restart_human').service_state === 2, 30_000);
		await n8n.settledExecutions(workflowId);
		const before = wecom.kfSent.length;
		await n8n.stop({ keepUserFolder: true });
		// A message written while n8n is down is announced by a callback n8n never gets.
		wecom.kfCustomerSends(KF, 'wm_restart', { msgtype: 'text', text: { content: '价格？' } });
		await start();
		await waitForWebhook(withQuery(url, urlVerification(secrets, 'after-restart')));
		await customerSays('wm_restart_2', '价格呢');
		await wecom.waitFor(() => sentTo('wm_restart_2').length >= 1, 60_000);
		await n8n.settledExecutions(workflowId);
		// Exactly the two messages written since the last pull: nothing older comes back.
		assert.deepEqual(
			wecom.kfSent.slice(before).map((m) => m.external_userid).sort(),
			['wm_restart', 'wm_restart_2'],
		);

		// The hand-off made before the restart still holds: AutoReply routes the customer to Silent.
		const known = await n8n.executionIds(workflowId);
		const msgid = await customerSays('wm_restart_human', '价格多少');
		await assertSilent(known, msgid, 'withHuman');
		assert.equal(sentTo('wm_restart_human').length, 1, 'only the hand-off text');
	});

	it('out of business hours (turned on): the out-of-hours text once, and the conversation goes to the queue', async () => {
		// The reply is due once per local day: the test runs in a time zone where it is about noon now, so
		// no local midnight falls between its two messages, whenever it runs. Open 02:00–03:00 there.
		const offsetHours = 12 - new Date().getUTCHours();
		const timezone = offsetHours === 0 ? 'Etc/GMT' : `Etc/GMT${offsetHours > 0 ? '-' : '+'}${Math.abs(offsetHours)}`;
		// The same template with these business hours: a copy with its own id and webhook.
		const closed = structuredClone(template);
		closed.name = `${template.name} (out of hours)`;
		const closedWebhookId = '5b0e2c6a-8d0f-4c1e-9a57-3e2f7c1d0b99';
		for (const node of closed.nodes) {
			if (node.name === 'WeCom Trigger') node.webhookId = closedWebhookId;
			if (node.name === 'AutoReply') {
				Object.assign(node.parameters, {
					useBusinessHours: true,
					timezone,
					businessDays: ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'],
					openFrom: '02:00',
					openUntil: '03:00',
				});
			}
		}
		const { id: closedId } = await importTemplate(n8n, closed, credentials);
		await n8n.publish(closedId);
		try {
			const closedUrl = n8n.webhookUrl(closedWebhookId);
			await waitForWebhook(withQuery(closedUrl, urlVerification(secrets, 'closed')));

			// A second kf account, so this workflow's first pull sees none of the other tests' messages.
			const KF2 = 'wkFAKEKF0002';
			wecom.addKfAccount({ open_kfid: KF2, name: '夜间客服' });
			wecom.addKfServicer(KF2, { userid: 'lisi', status: 0 });
			const nightSays = async (content: string) => {
				const { token, msgid } = wecom.kfCustomerSends(KF2, 'wm_night', { msgtype: 'text', text: { content } });
				const signed = encryptedCallback(secrets, kfEventXml({ corpId: secrets.corpId, token, openKfId: KF2 }), { agentId: '' });
				const res = await fetch(withQuery(closedUrl, signed.query), {
					method: 'POST',
					headers: { 'content-type': 'text/xml' },
					body: signed.body,
				});
				assert.equal(res.status, 200);
				return msgid;
			};
			const aiBefore = openai.requests.length;
			await nightSays('转人工');
			await wecom.waitFor(() => wecom.kfSessionState(KF2, 'wm_night').service_state === 2, 30_000);
			await n8n.settledExecutions(closedId);
			const known = await n8n.executionIds(closedId);
			const msgid = await nightSays('价格多少');
			await assertSilent(known, msgid, 'outOfHoursAlreadyReplied', closedId);
			assert.equal(sentTo('wm_night').length, 1);
			assert.match(textOf(sentTo('wm_night')[0]), /非工作时间/);
			assert.equal(openai.requests.length, aiBefore);
		} finally {
			await n8n.api('POST', `/workflows/${closedId}/deactivate`);
		}
	});
});
