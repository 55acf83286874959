/**
 * The WeCom Trigger's webhook() on n8n-core's real WebhookContext: what it answers itself (URL echo,
 * refusals), what it hands to n8n (items + the "success" answer n8n sends after storing the execution), and
 * how it treats WeCom's retries.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { callWebhook, cleanupHarness, recordN8nLogs, type LogEntry } from './harness';
import {
	encryptedCallback,
	newEncodingAesKey,
	newSecrets,
	textMessageXml,
	urlVerification,
} from '../fakes/wecom/callback';

const secrets = newSecrets('ww_trigger_corp');
const credentials = { weComCallbackApi: { ...secrets } };
let seq = 5_000_000_000_000_000_000n;
const nextMsgId = () => String(++seq);

function post(
	xml: string,
	extra: {
		parameters?: Record<string, unknown>;
		workflowId?: string;
		query?: Record<string, string>;
		body?: string;
		credentials?: typeof credentials;
	} = {},
) {
	const signed = encryptedCallback(secrets, xml, { agentId: '1000002' });
	return callWebhook({
		nodeType: 'weComTrigger',
		parameters: { messageTypes: ['text', 'event'], events: [], options: {}, ...(extra.parameters ?? {}) },
		credentials: extra.credentials ?? credentials,
		webhookName: 'default',
		method: 'POST',
		query: extra.query ?? signed.query,
		body: extra.body ?? signed.body,
		workflowId: extra.workflowId,
	});
}

function urlCheck(query: Record<string, string>, extra: { options?: Record<string, number>; credentials?: typeof credentials } = {}) {
	return callWebhook({
		nodeType: 'weComTrigger',
		parameters: { messageTypes: ['text'], options: extra.options ?? {} },
		credentials: extra.credentials ?? credentials,
		webhookName: 'setup',
		method: 'GET',
		query,
	});
}

/** What every refusal says to the caller: the status line's own words, nothing about the cause. */
const GENERIC_REFUSAL: Record<number, string> = {
	400: 'Bad Request',
	403: 'Forbidden',
	413: 'Payload Too Large',
	503: 'Service Unavailable',
};

function assertGenericRefusal(res: { statusCode: number; body?: string }, status: number): void {
	assert.equal(res.statusCode, status);
	assert.equal(res.body, GENERIC_REFUSAL[status]);
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

const text = (content: string, msgId = nextMsgId()) =>
	textMessageXml({ corpId: secrets.corpId, fromUser: 'zhangsan', content, msgId });

/**
 * n8n answers the first delivery after the event loop's next turn: by then a retry started just before has
 * usually reached the retry memory and waits there (its way is promises only), so the test sees the wait. Had
 * it not, the verdict is the same.
 */
async function answerLater(answer: () => void): Promise<void> {
	await new Promise((resolve) => setImmediate(resolve));
	answer();
}

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

	describe('the official doc-90968 URL check vector', () => {
		const vector = {
			credentials: {
				weComCallbackApi: {
					corpId: 'wx5823bf96d3bd56c7',
					token: 'QDG6eK',
					encodingAesKey: 'jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C',
				},
			},
			query: {
				msg_signature: '5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3',
				timestamp: '1409659589',
				nonce: '263014780',
				echostr: 'P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ==',
			},
		};

		it('is verified and answered when the timestamp age check is off', async () => {
			const { res } = await urlCheck(vector.query, { credentials: vector.credentials, options: { maxClockSkewSeconds: 0 } });
			assert.equal(res.statusCode, 200);
			assert.equal(res.body, '1616140317555161061');
		});

		it('is refused by default: its timestamp is from 2014, so today it can only be a replay', async () => {
			const { res } = await urlCheck(vector.query, { credentials: vector.credentials });
			assertGenericRefusal(res, 403);
		});
	});

	it('refuses a signed POST\'s Encrypt replayed as a URL check, and shows none of the message', async () => {
		const signed = encryptedCallback(secrets, text('我的手机号是 13800000000'), { agentId: '1000002' });
		const { response, res } = await urlCheck({ ...signed.query, echostr: signed.encrypted });
		assertGenericRefusal(res, 403);
		assert.equal(response.workflowData, undefined);
		assert.doesNotMatch(String(res.body), /13800000000|<xml|zhangsan/);
	});

	it('answers URL checks whose echo is any short token of letters, digits and - . _ ~', async () => {
		for (const echo of ['1616140317555161061', '7205136330722672511', '1', 'warm-up', 'a.b_c~d', 'x'.repeat(128)]) {
			const { res } = await urlCheck(urlVerification(secrets, echo));
			assert.equal(res.statusCode, 200, echo);
			assert.equal(res.body, echo);
		}
		for (const echo of ['<xml/>', '{"a":1}', 'two words', 'line\n', 'x'.repeat(129), '']) {
			const { res } = await urlCheck(urlVerification(secrets, echo));
			assert.ok(res.statusCode === 403 || res.statusCode === 400, `${JSON.stringify(echo)} → ${res.statusCode}`);
			assert.notEqual(res.body, echo);
		}
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
			assertGenericRefusal(res, status);
			assert.equal(response.workflowData, undefined);
		});
	}

	it('refuses a callback encrypted for another corp (receive ID) with 403', async () => {
		const other = { ...secrets, corpId: 'ww_other_corp' };
		const signed = encryptedCallback(other, text('x'));
		const { response, res } = await post('', { query: signed.query, body: signed.body });
		assertGenericRefusal(res, 403);
		assert.equal(response.workflowData, undefined);
	});

	it('refuses malformed bodies and oversized bodies with a 4xx', async () => {
		const signed = encryptedCallback(secrets, text('x'));
		for (const body of ['not xml', '<xml><Encrypt><![CDATA[%%%]]></Encrypt></xml>', '<xml></xml>']) {
			const { response, res } = await post('', { query: signed.query, body });
			assert.ok(res.statusCode >= 400 && res.statusCode < 500, `${body} → ${res.statusCode}`);
			assertGenericRefusal(res, res.statusCode);
			assert.equal(response.workflowData, undefined);
		}
		const { res } = await post('', { query: signed.query, body: `<xml>${' '.repeat(70 * 1024)}</xml>` });
		assertGenericRefusal(res, 413);
	});

	it('refuses a decrypted payload that is not well-formed XML', async () => {
		const { response, res } = await post('<xml><MsgType>text</MsgType><Content>unclosed</xml>');
		assertGenericRefusal(res, 400);
		assert.equal(response.workflowData, undefined);
	});

	it('refuses a stale timestamp when the replay window is set', async () => {
		const signed = encryptedCallback(secrets, text('old'), { timestamp: String(nowSeconds() - 3600) });
		const { res } = await post('', {
			query: signed.query,
			body: signed.body,
			parameters: { options: { maxClockSkewSeconds: 300 } },
		});
		assertGenericRefusal(res, 403);
	});

	it('refuses by default a callback signed an hour ago (older than the retry memory), and allows clock skew', async () => {
		const captured = encryptedCallback(secrets, text('captured an hour ago'), { timestamp: String(nowSeconds() - 3600) });
		const replayed = await post('', { query: captured.query, body: captured.body });
		assertGenericRefusal(replayed.res, 403);
		assert.equal(replayed.response.workflowData, undefined);

		for (const skew of [-240, 240]) {
			const signed = encryptedCallback(secrets, text(`clock ${skew}`), { timestamp: String(nowSeconds() + skew) });
			const { response } = await post('', { query: signed.query, body: signed.body });
			assert.equal(response.workflowData?.[0].length, 1, `a timestamp ${skew} s away runs`);
		}

		const off = await post('', { query: captured.query, body: captured.body, parameters: { options: { maxClockSkewSeconds: 0 } } });
		assert.equal(off.response.workflowData?.[0].length, 1, '0 turns the check off');
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
		it('a retry while the first delivery is being stored waits for n8n\'s answer: stored, "success" without a run', async () => {
			const workflowId = 'wf-retry-1';
			const xml = text('retry');
			const first = await post(xml, { workflowId });
			assert.equal(first.response.workflowData?.[0].length, 1);

			const whilePending = post(xml, { workflowId });
			await answerLater(() => first.res.finish(200)); // n8n stored the execution and answered
			const retry = await whilePending;
			assert.equal(retry.res.statusCode, 200);
			assert.equal(retry.res.body, 'success');
			assert.equal(retry.response.workflowData, undefined);

			const afterStored = await post(xml, { workflowId });
			assert.equal(afterStored.res.body, 'success');
			assert.equal(afterStored.response.workflowData, undefined);
		});

		it('WeCom hung up before n8n answered, then n8n failed to store the first execution: the retry runs', async () => {
			const workflowId = 'wf-retry-hangup-failed';
			const xml = text('WeCom gave up after 5 s');
			const first = await post(xml, { workflowId });
			first.res.abort(); // WeCom closes the connection after 5 s without an answer (doc 90930)
			const retry = post(xml, { workflowId });
			// n8n still ends the first response, on a connection that is gone: its database refused the execution.
			await answerLater(() => first.res.finish(500));
			const { response, res } = await retry;
			assert.equal(res.headersSent, false, 'the retry is answered by n8n, after it is stored');
			assert.equal(response.workflowData?.[0].length, 1, 'the retry runs: the first delivery never ran');
		});

		it('WeCom hung up before n8n answered, then n8n stored the first execution: the retry is acknowledged', async () => {
			const workflowId = 'wf-retry-hangup-stored';
			const xml = text('slow but stored');
			const first = await post(xml, { workflowId });
			first.res.abort();
			const retry = post(xml, { workflowId });
			await answerLater(() => first.res.finish(200));
			const { response, res } = await retry;
			assert.equal(res.body, 'success');
			assert.equal(response.workflowData, undefined);
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
	describe('what an unauthenticated caller learns, and what the operator does', () => {
		let logs: LogEntry[];
		before(async () => {
			logs = await recordN8nLogs();
		});

		const malformedKey = () => ({
			weComCallbackApi: { ...secrets, encodingAesKey: newEncodingAesKey().slice(0, 42) },
		});

		it('a malformed EncodingAESKey: the caller gets a generic refusal, the log says what to fix', async () => {
			const broken = malformedKey();
			logs.length = 0;
			const { res, response } = await post(text('hello'), { credentials: broken, workflowId: 'wf-bad-key' });
			assertGenericRefusal(res, 400);
			assert.equal(response.workflowData, undefined);
			assert.doesNotMatch(String(res.body), /42|43|EncodingAESKey/);
			const logged = JSON.stringify(logs);
			assert.match(logged, /invalidAesKey/);
			assert.match(logged, /42 characters/);
			assert.match(logged, /wf-bad-key/);
			for (const secret of [secrets.token, broken.weComCallbackApi.encodingAesKey]) assert.ok(!logged.includes(secret));
		});

		it('the receive ID and signature details stay in the log', async () => {
			logs.length = 0;
			const other = encryptedCallback({ ...secrets, corpId: 'ww_other_corp' }, text('x'));
			const mismatch = await post('', { query: other.query, body: other.body });
			assertGenericRefusal(mismatch.res, 403);
			const forged = encryptedCallback({ ...secrets, token: 'not-the-token' }, text('x'));
			const bad = await post('', { query: forged.query, body: forged.body });
			assertGenericRefusal(bad.res, 403);
			const logged = JSON.stringify(logs);
			assert.match(logged, /receiveIdMismatch/);
			assert.match(logged, /invalidSignature/);
			assert.ok(!logged.includes(secrets.token) && !logged.includes(secrets.encodingAesKey));
		});

		it('forged requests against a malformed key cost no credential read each', async () => {
			const broken = malformedKey();
			const forger = { ...secrets, token: 'not-the-token' };
			let reads = 0;
			const statuses: number[] = [];
			for (let i = 0; i < 5; i++) {
				const forged = encryptedCallback(forger, text(`forged ${i}`));
				const { res, credentialReads } = await post('', { query: forged.query, body: forged.body, credentials: broken });
				statuses.push(res.statusCode);
				reads += credentialReads;
			}
			assert.equal(reads, 1, 'one read, then the cached verdict');
			assert.deepEqual(statuses, [403, 403, 403, 403, 403], 'the signature is judged before the key');
		});
	});
});
