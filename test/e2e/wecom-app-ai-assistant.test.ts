/**
 * The shipped template "WeCom app AI assistant" in a real n8n: an encrypted callback from the (fake) WeCom
 * servers reaches the WeCom Trigger, AutoReply answers keywords and FAQ questions itself, the built-in AI
 * Agent asks a (fake) OpenAI-compatible model for the rest, and the WeCom node sends the answer to the
 * user through the (fake) WeCom API.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { startFakeOpenAi } from '../fakes/openai';
import { startFakeWeComApi } from '../fakes/wecom';
import {
	encryptedCallback,
	newSecrets,
	textMessageXml,
	urlVerification,
	withQuery,
} from '../fakes/wecom/callback';
import {
	assertRoutedSilent,
	createTemplateCredentials,
	importTemplate,
	type N8nInstance,
	startN8n,
	waitForWebhook,
	readTemplate,
} from './harness';

const { template, webhookId } = readTemplate('wecom-app-ai-assistant.json');
// As the Read Me asks the operator: the colleague who takes hand-offs.
const COLLEAGUE = 'duty-colleague';
for (const node of template.nodes) if (node.name === 'Notify Colleague') node.parameters.toUser = COLLEAGUE;
/** A user ID WeCom does not know (the colleague left): message/send answers 81013. */
const GONE_COLLEAGUE = 'left-the-company';

describe('template: WeCom app AI assistant (real n8n)', () => {
	const secrets = newSecrets('ww_fake_corp');
	let n8n: N8nInstance;
	let wecom: Awaited<ReturnType<typeof startFakeWeComApi>>;
	let openai: Awaited<ReturnType<typeof startFakeOpenAi>>;
	let workflowId: string;
	let url: string;
	let msgSeq = 7_300_000_000_000_000_000n;

	const post = async (xml: string) => {
		const signed = encryptedCallback(secrets, xml, { agentId: '1000002' });
		return await fetch(withQuery(url, signed.query), {
			method: 'POST',
			headers: { 'content-type': 'text/xml' },
			body: signed.body,
		});
	};
	const message = (fromUser: string, content: string, msgId = String(++msgSeq)) =>
		textMessageXml({ corpId: secrets.corpId, fromUser, content, msgId });

	before(async () => {
		wecom = await startFakeWeComApi({
			corpId: secrets.corpId,
			apps: [{ agentId: 1000002, secret: 'fake-secret' }],
			unknownUsers: [GONE_COLLEAGUE],
		});
		openai = await startFakeOpenAi();
		n8n = await startN8n();
		const credentials = await createTemplateCredentials(n8n, { secrets, weComUrl: wecom.url, openAiUrl: openai.url });
		({ id: workflowId } = await importTemplate(n8n, template, credentials));
		await n8n.publish(workflowId);
		url = n8n.webhookUrl(webhookId);
		await waitForWebhook(withQuery(url, urlVerification(secrets, 'warm-up')));
	});

	after(async () => {
		await n8n?.stop();
		await wecom?.close();
		await openai?.close();
	});

	it('answers WeCom\'s URL check with the plaintext echostr, no quotes or newline', async () => {
		const res = await fetch(withQuery(url, urlVerification(secrets, '1616140317555161061')));
		assert.equal(res.status, 200);
		assert.equal(await res.text(), '1616140317555161061');
	});

	it('sends exactly one reply with the AI answer to the user who wrote', async () => {
		const before = wecom.sentMessages.length;
		const res = await post(message('zhangsan', '你们几点上班？'));
		assert.equal(res.status, 200);
		assert.equal(await res.text(), 'success');
		await wecom.waitFor(() => wecom.sentMessages.length >= before + 1, 30_000);
		const sent = wecom.sentMessages[before];
		assert.equal(sent.body.touser, 'zhangsan');
		assert.equal(sent.body.msgtype, 'text');
		assert.equal(sent.body.agentid, 1000002);
		assert.match(String((sent.body.text as { content: string }).content), /AI answer to: .*你们几点上班？/);
		const lastPrompt = JSON.stringify(openai.requests.at(-1)?.body);
		assert.match(lastPrompt, /你们几点上班？/);
	});

	it('the same callback delivered 3 times yields one execution and one reply', async () => {
		const before = wecom.sentMessages.length;
		const execsBefore = (await n8n.settledExecutions(workflowId)).length;
		const signed = encryptedCallback(secrets, message('lisi', 'retry me'), { agentId: '1000002' });
		const deliver = () =>
			fetch(withQuery(url, signed.query), { method: 'POST', headers: { 'content-type': 'text/xml' }, body: signed.body });
		const first = await deliver();
		assert.equal(first.status, 200);
		for (let i = 0; i < 2; i++) {
			const retry = await deliver();
			assert.equal(retry.status, 200);
			assert.equal(await retry.text(), 'success');
		}
		await wecom.waitFor(() => wecom.sentMessages.length >= before + 1, 30_000);
		// A wrongly started second run would show itself before the executions settle.
		assert.equal((await n8n.settledExecutions(workflowId)).length, execsBefore + 1);
		assert.equal(wecom.sentMessages.length, before + 1);
	});

	it('a forged callback is refused and starts no execution', async () => {
		const execsBefore = (await n8n.settledExecutions(workflowId)).length;
		const forger = { ...secrets, token: 'not-the-token' };
		const signed = encryptedCallback(forger, message('mallory', 'pay me'), { agentId: '1000002' });
		const res = await fetch(withQuery(url, signed.query), {
			method: 'POST',
			headers: { 'content-type': 'text/xml' },
			body: signed.body,
		});
		assert.equal(res.status, 403);
		const bad = await fetch(withQuery(url, { msg_signature: 'x', timestamp: '1', nonce: '1' }), {
			method: 'POST',
			headers: { 'content-type': 'text/xml' },
			body: '<xml><Encrypt>',
		});
		assert.ok(bad.status >= 400 && bad.status < 500, `malformed body answered ${bad.status}`);
		assert.equal((await n8n.settledExecutions(workflowId)).length, execsBefore);
	});

	it('when the AI fails, the user still gets a polite fallback text', async () => {
		const before = wecom.sentMessages.length;
		openai.failNext(20, 500);
		try {
			const res = await post(message('wangwu', '下周的团建在哪里？'));
			assert.equal(res.status, 200);
			await wecom.waitFor(() => wecom.sentMessages.length >= before + 1, 60_000);
		} finally {
			openai.failNext(0);
		}
		const sent = wecom.sentMessages[before];
		assert.equal(sent.body.touser, 'wangwu');
		assert.match(String((sent.body.text as { content: string }).content), /抱歉/);
	});

	it('keywords and FAQ questions are answered without the AI', async () => {
		const before = wecom.sentMessages.length;
		const aiBefore = openai.requests.length;
		await post(message('zhaoliu', '报销怎么弄'));
		await post(message('sunqi', '我想请年假，要怎么操作'));
		await wecom.waitFor(() => wecom.sentMessages.length >= before + 2, 30_000);
		await n8n.settledExecutions(workflowId);
		const byUser = new Map(wecom.sentMessages.slice(before).map((m) => [m.body.touser, m.content ?? '']));
		assert.match(String(byUser.get('zhaoliu')), /报销流程/);
		assert.match(String(byUser.get('sunqi')), /请假/);
		assert.equal(openai.requests.length, aiBefore);
	});

	it('"人工" notifies the colleague, gets the hand-off text once, then the bot stays silent for that user', async () => {
		const before = wecom.sentMessages.length;
		await post(message('zhouba', '人工'));
		await wecom.waitFor(() => wecom.sentMessages.length >= before + 2, 30_000);
		const [notice, reply] = wecom.sentMessages.slice(before);
		assert.equal(notice.body.touser, COLLEAGUE);
		assert.match(String(notice.content), /【转人工】zhouba .*人工/);
		assert.equal(reply.body.touser, 'zhouba');
		assert.match(String(reply.content), /已通知同事/);
		const known = await n8n.executionIds(workflowId);
		const msgId = String(++msgSeq);
		assert.equal((await post(message('zhouba', '在吗？报销怎么弄', msgId))).status, 200);
		const runs = await n8n.settledExecutionsSince(workflowId, known);
		await assertRoutedSilent(n8n, runs, (json) => json.MsgId === msgId, 'withHuman');
		assert.equal(wecom.sentMessages.filter((m) => m.body.touser === 'zhouba').length, 1);
	});

	it('when the colleague cannot be told (81013), the user hears so instead of "已通知同事"', async () => {
		// A second copy of the template, as an operator whose To User is out of date would have it.
		const copy = structuredClone(template);
		const hookId = 'c0ffee00-0000-4000-8000-00000000e013';
		for (const node of copy.nodes) {
			if (node.name === 'Notify Colleague') node.parameters.toUser = GONE_COLLEAGUE;
			if (node.webhookId) node.webhookId = hookId;
		}
		copy.name = `${template.name} (colleague gone)`;
		const credentials = await createTemplateCredentials(n8n, { secrets, weComUrl: wecom.url, openAiUrl: openai.url });
		const { id } = await importTemplate(n8n, copy, credentials);
		await n8n.publish(id);
		const copyUrl = n8n.webhookUrl(hookId);
		await waitForWebhook(withQuery(copyUrl, urlVerification(secrets, 'warm-up')));

		const before = wecom.sentMessages.length;
		const signed = encryptedCallback(secrets, message('zhengshi', '人工'), { agentId: '1000002' });
		const res = await fetch(withQuery(copyUrl, signed.query), { method: 'POST', headers: { 'content-type': 'text/xml' }, body: signed.body });
		assert.equal(res.status, 200);
		await wecom.waitFor(() => wecom.sentMessages.slice(before).some((m) => m.body.touser === 'zhengshi'), 30_000);
		const toUser = wecom.sentMessages.slice(before).filter((m) => m.body.touser === 'zhengshi');
		assert.equal(toUser.length, 1);
		assert.match(String(toUser[0].content), /没能通知到同事/);
		assert.doesNotMatch(String(toUser[0].content), /已通知同事/);
	});
});
