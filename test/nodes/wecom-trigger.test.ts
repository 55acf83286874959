/**
 * The WeCom Trigger's webhook() on n8n-core's real WebhookContext: what it answers itself (URL echo,
 * refusals), what it hands to n8n (items + the "success" answer n8n sends after storing the execution), and
 * how it treats WeCom's retries.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';

import { callWebhook, cleanupHarness } from './harness';
import {
	encryptedCallback,
	newSecrets,
	textMessageXml,
	urlVerification,
} from '../fakes/wecom/callback';

const secrets = newSecrets('ww_trigger_corp');
const credentials = { weComCallbackApi: { ...secrets } };
let seq = 5_000_000_000_000_000_000n;
const nextMsgId = () => String(++seq);

function post(xml: string, extra: { parameters?: Record<string, unknown>; workflowId?: string; query?: Record<string, string>; body?: string } = {}) {
	const signed = encryptedCallback(secrets, xml, { agentId: '1000002' });
	return callWebhook({
		nodeType: 'weComTrigger',
		parameters: { messageTypes: ['text', 'event'], events: [], options: {}, ...(extra.parameters ?? {}) },
		credentials,
		webhookName: 'default',
		method: 'POST',
		query: extra.query ?? signed.query,
		body: extra.body ?? signed.body,
		workflowId: extra.workflowId,
	});
}

const text = (content: string, msgId = nextMsgId()) =>
	textMessageXml({ corpId: secrets.corpId, fromUser: 'zhangsan', content, msgId });

describe('WeCom Trigger (in-process, real WebhookContext)', () => {
	after(() => cleanupHarness());

	it('answers the URL check with the decrypted echostr itself, as plain text, and starts nothing', async () => {
		const { response, res } = await callWebhook({
			nodeType: 'weComTrigger',
			parameters: { messageTypes: ['text'], options: {} },
			credentials,
			webhookName: 'setup',
			method: 'GET',
			query: urlVerification(secrets, '1616140317555161061'),
		});
		assert.equal(res.statusCode, 200);
		assert.equal(res.body, '1616140317555161061');
		assert.match(String(res.contentType), /text\/plain/);
		assert.deepEqual(response, { noWebhookResponse: true });
	});

	it('verifies the official doc-90968 URL check vector', async () => {
		const { res } = await callWebhook({
			nodeType: 'weComTrigger',
			parameters: { messageTypes: ['text'], options: {} },
			credentials: {
				weComCallbackApi: {
					corpId: 'wx5823bf96d3bd56c7',
					token: 'QDG6eK',
					encodingAesKey: 'jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C',
				},
			},
			webhookName: 'setup',
			method: 'GET',
			query: {
				msg_signature: '5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3',
				timestamp: '1409659589',
				nonce: '263014780',
				echostr: 'P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ==',
			},
		});
		assert.equal(res.statusCode, 200);
		assert.equal(res.body, '1616140317555161061');
	});

	it('turns a text callback into one item with WeCom\'s tag names, answered "success" by n8n', async () => {
		const msgId = nextMsgId();
		const { response, res } = await post(text('你好 <b>&', msgId));
		assert.equal(res.headersSent, false, 'the trigger must leave the answer to n8n');
		assert.equal(response.webhookResponse, 'success');
		const items = response.workflowData?.[0] ?? [];
		assert.equal(items.length, 1);
		assert.deepEqual(Object.keys(items[0].json), [
			'ToUserName',
			'FromUserName',
			'CreateTime',
			'MsgType',
			'Content',
			'MsgId',
			'AgentID',
		]);
		assert.equal(items[0].json.Content, '你好 <b>&');
		assert.equal(items[0].json.MsgId, msgId, 'a 64-bit MsgId keeps every digit');
		assert.equal(items[0].json.FromUserName, 'zhangsan');
	});

	it('keeps nested elements of events (SendPicsInfo → PicList → item)', async () => {
		const xml =
			`<xml><ToUserName><![CDATA[${secrets.corpId}]]></ToUserName><FromUserName><![CDATA[lisi]]></FromUserName>` +
			'<CreateTime>1408090816</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[pic_photo_or_album]]></Event>' +
			'<EventKey><![CDATA[6]]></EventKey><SendPicsInfo><Count>2</Count><PicList><item><PicMd5Sum><![CDATA[a]]></PicMd5Sum></item>' +
			'<item><PicMd5Sum><![CDATA[b]]></PicMd5Sum></item></PicList></SendPicsInfo><AgentID>1</AgentID></xml>';
		const { response } = await post(xml);
		const json = response.workflowData?.[0][0].json as Record<string, any>;
		assert.equal(json.Event, 'pic_photo_or_album');
		assert.deepEqual(json.SendPicsInfo.PicList.item, [{ PicMd5Sum: 'a' }, { PicMd5Sum: 'b' }]);
	});

	for (const [name, mutate, status] of [
		['a wrong signature', (q: Record<string, string>) => ({ ...q, msg_signature: 'f'.repeat(40) }), 403],
		['a missing signature', (q: Record<string, string>) => ({ timestamp: q.timestamp, nonce: q.nonce }), 400],
	] as const) {
		it(`refuses ${name} with ${status} and starts no execution`, async () => {
			const signed = encryptedCallback(secrets, text('x'), { agentId: '1' });
			const { response, res } = await post('', { query: mutate(signed.query), body: signed.body });
			assert.equal(res.statusCode, status);
			assert.equal(response.workflowData, undefined);
			assert.doesNotMatch(String(res.body), new RegExp(secrets.token));
		});
	}

	it('refuses a callback encrypted for another corp (receive ID) with 403', async () => {
		const other = { ...secrets, corpId: 'ww_other_corp' };
		const signed = encryptedCallback(other, text('x'));
		const { response, res } = await post('', { query: signed.query, body: signed.body });
		assert.equal(res.statusCode, 403);
		assert.equal(response.workflowData, undefined);
		assert.doesNotMatch(String(res.body), /ww_trigger_corp|ww_other_corp/);
	});

	it('refuses malformed bodies and oversized bodies with a 4xx', async () => {
		const signed = encryptedCallback(secrets, text('x'));
		for (const body of ['not xml', '<xml><Encrypt><![CDATA[%%%]]></Encrypt></xml>', '<xml></xml>']) {
			const { response, res } = await post('', { query: signed.query, body });
			assert.ok(res.statusCode >= 400 && res.statusCode < 500, `${body} → ${res.statusCode}`);
			assert.equal(response.workflowData, undefined);
		}
		const { res } = await post('', { query: signed.query, body: `<xml>${' '.repeat(70 * 1024)}</xml>` });
		assert.equal(res.statusCode, 413);
	});

	it('refuses a decrypted payload that is not well-formed XML', async () => {
		const { response, res } = await post('<xml><MsgType>text</MsgType><Content>unclosed</xml>');
		assert.equal(res.statusCode, 400);
		assert.equal(response.workflowData, undefined);
	});

	it('refuses a stale timestamp when the replay window is set', async () => {
		const signed = encryptedCallback(secrets, text('old'), { timestamp: String(Math.floor(Date.now() / 1000) - 3600) });
		const { res } = await post('', {
			query: signed.query,
			body: signed.body,
			parameters: { options: { maxClockSkewSeconds: 300 } },
		});
		assert.equal(res.statusCode, 403);
	});

	it('acknowledges filtered-out message types and events without an execution', async () => {
		const image =
			`<xml><ToUserName>${secrets.corpId}</ToUserName><FromUserName>a</FromUserName><CreateTime>1</CreateTime>` +
			'<MsgType>image</MsgType><PicUrl>http://x</PicUrl><MediaId>m</MediaId><MsgId>1</MsgId><AgentID>1</AgentID></xml>';
		const first = await post(image, { parameters: { messageTypes: ['text'] } });
		assert.equal(first.res.statusCode, 200);
		assert.equal(first.res.body, 'success');
		assert.equal(first.response.workflowData, undefined);

		const subscribe =
			`<xml><ToUserName>${secrets.corpId}</ToUserName><FromUserName>a</FromUserName><CreateTime>1</CreateTime>` +
			'<MsgType>event</MsgType><Event>subscribe</Event><AgentID>1</AgentID></xml>';
		const filtered = await post(subscribe, { parameters: { messageTypes: ['event'], events: ['click'] } });
		assert.equal(filtered.response.workflowData, undefined);
		assert.equal(filtered.res.body, 'success');
		const passed = await post(subscribe, { parameters: { messageTypes: ['event'], events: ['subscribe'] } });
		assert.equal(passed.response.workflowData?.[0].length, 1);
	});

	describe('WeCom\'s retries', () => {
		it('a retry while the first delivery is being stored gets 503; after it is stored, "success" without a run', async () => {
			const workflowId = 'wf-retry-1';
			const xml = text('retry');
			const first = await post(xml, { workflowId });
			assert.equal(first.response.workflowData?.[0].length, 1);

			const whilePending = await post(xml, { workflowId });
			assert.equal(whilePending.res.statusCode, 503);
			assert.equal(whilePending.response.workflowData, undefined);

			first.res.finish(200); // n8n stored the execution and answered
			const afterStored = await post(xml, { workflowId });
			assert.equal(afterStored.res.statusCode, 200);
			assert.equal(afterStored.res.body, 'success');
			assert.equal(afterStored.response.workflowData, undefined);
		});

		it('when n8n answered the first delivery with an error, the retry runs', async () => {
			const workflowId = 'wf-retry-2';
			const xml = text('db was busy');
			const first = await post(xml, { workflowId });
			first.res.finish(500);
			const retry = await post(xml, { workflowId });
			assert.equal(retry.response.workflowData?.[0].length, 1);
		});

		it('events without MsgId are matched by their whole payload, so two events in one second both run', async () => {
			const workflowId = 'wf-retry-3';
			const event = (user: string) =>
				`<xml><ToUserName>${secrets.corpId}</ToUserName><FromUserName>${user}</FromUserName><CreateTime>1700000000</CreateTime>` +
				'<MsgType>event</MsgType><Event>enter_agent</Event><AgentID>1</AgentID></xml>';
			const a = await post(event('a'), { workflowId });
			a.res.finish(200);
			const b = await post(event('b'), { workflowId });
			b.res.finish(200);
			assert.equal(a.response.workflowData?.[0].length, 1);
			assert.equal(b.response.workflowData?.[0].length, 1);
			const again = await post(event('a'), { workflowId });
			assert.equal(again.response.workflowData, undefined);
		});

		it('different workflows do not share retry memory, and deduplication can be turned off', async () => {
			const xml = text('same message, two workflows');
			const one = await post(xml, { workflowId: 'wf-a' });
			one.res.finish(200);
			const two = await post(xml, { workflowId: 'wf-b' });
			assert.equal(two.response.workflowData?.[0].length, 1);
			two.res.finish(200);
			const off = await post(xml, { workflowId: 'wf-a', parameters: { options: { deduplicate: false } } });
			assert.equal(off.response.workflowData?.[0].length, 1);
		});
	});
});
