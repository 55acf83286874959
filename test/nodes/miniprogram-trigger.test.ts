/**
 * The WeChat Mini Program Trigger's webhook() on n8n-core's real WebhookContext: the URL check, pushes in safe
 * mode (XML and JSON) turned into one item per template entry, and what it refuses. Requests are signed and
 * encrypted by test/fakes/miniprogram/push.ts with node:crypto, never with the product's code.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';

import { callWebhook, cleanupHarness, recordN8nLogs } from './harness';
import {
	newPushSecrets,
	safePush as signedPush,
	sha1Sorted,
	subscribeEvent as eventAt,
	type PushFormat as Format,
	type SubscribeEntry as Entry,
} from '../fakes/miniprogram/push';

const secrets = newPushSecrets();
const credentials = { weChatMiniProgramPushApi: { ...secrets } };
const nowSeconds = () => Math.floor(Date.now() / 1000);

const safePush = (plaintext: string, format: Format, options: Parameters<typeof signedPush>[3] = {}) =>
	signedPush(secrets, plaintext, format, options);

/** Each event a CreateTime of its own, so the retry memory tells them apart. */
let createTime = 1_700_000_000;
const subscribeEvent = (event: string, openid: string, entries: Entry[], format: Format) =>
	eventAt(event, openid, entries, format, ++createTime);

function post(
	request: { query: Record<string, string>; body: string; format: Format },
	extra: { parameters?: Record<string, unknown>; workflowId?: string; credentials?: typeof credentials } = {},
) {
	return callWebhook({
		nodeType: 'weChatMiniProgramTrigger',
		parameters: {
			events: ['subscribe_msg_popup_event', 'subscribe_msg_change_event', 'subscribe_msg_sent_event', 'other'],
			options: {},
			...(extra.parameters ?? {}),
		},
		credentials: extra.credentials ?? credentials,
		webhookName: 'default',
		method: 'POST',
		query: request.query,
		body: request.body,
		headers: { 'content-type': request.format === 'json' ? 'application/json' : 'text/xml' },
		workflowId: extra.workflowId,
	});
}

function urlCheck(query: Record<string, string>, extra: { options?: Record<string, number>; credentials?: typeof credentials } = {}) {
	return callWebhook({
		nodeType: 'weChatMiniProgramTrigger',
		parameters: { events: ['subscribe_msg_popup_event'], options: extra.options ?? {} },
		credentials: extra.credentials ?? credentials,
		webhookName: 'setup',
		method: 'GET',
		query,
	});
}

const GENERIC_REFUSAL: Record<number, string> = { 400: 'Bad Request', 403: 'Forbidden', 413: 'Payload Too Large' };

function assertRefused(result: Awaited<ReturnType<typeof post>>, status: number): void {
	assert.equal(result.res.statusCode, status);
	assert.equal(result.res.body, GENERIC_REFUSAL[status]);
	assert.equal(result.response.workflowData, undefined, 'no execution');
}

describe('WeChat Mini Program Trigger (in-process, real WebhookContext)', () => {
	after(() => cleanupHarness());

	describe('URL check', () => {
		it('answers echostr as it came when the signature over Token, timestamp and nonce is right', async () => {
			const timestamp = String(nowSeconds());
			const nonce = '1514711492';
			const { response, res } = await urlCheck({
				signature: sha1Sorted(secrets.token, timestamp, nonce),
				echostr: '4375120948345356249',
				timestamp,
				nonce,
			});
			assert.equal(res.statusCode, 200);
			assert.equal(res.body, '4375120948345356249');
			assert.match(String(res.contentType), /text\/plain/);
			assert.deepEqual(response, { noWebhookResponse: true });
		});

		it("passes the message push doc's own example (Token AAAAA) once the timestamp age check is off", async () => {
			const query = {
				signature: 'f464b24fc39322e44b38aa78f5edd27bd1441696',
				echostr: '4375120948345356249',
				timestamp: '1714036504',
				nonce: '1514711492',
			};
			const vector = { weChatMiniProgramPushApi: { ...secrets, token: 'AAAAA' } };
			const off = await urlCheck(query, { credentials: vector, options: { maxClockSkewSeconds: 0 } });
			assert.equal(off.res.body, '4375120948345356249');
			const byDefault = await urlCheck(query, { credentials: vector });
			assert.equal(byDefault.res.statusCode, 403, 'a 2024 timestamp today can only be a replay');
		});

		it('refuses a wrong signature, and echoes nothing but a short token even when signed', async () => {
			const timestamp = String(nowSeconds());
			const forged = await urlCheck({ signature: 'f'.repeat(40), echostr: '1', timestamp, nonce: '1' });
			assert.equal(forged.res.statusCode, 403);
			// WeChat does not sign echostr: anyone holding a signed query could otherwise make the URL answer any text.
			const signed = { signature: sha1Sorted(secrets.token, timestamp, '7'), timestamp, nonce: '7' };
			const reflected = await urlCheck({ ...signed, echostr: '<script>alert(1)</script>' });
			assert.equal(reflected.res.statusCode, 403);
			assert.doesNotMatch(String(reflected.res.body), /script/);
			const missing = await urlCheck(signed);
			assert.equal(missing.res.statusCode, 400);
		});
	});

	for (const format of ['xml', 'json'] as const) {
		describe(`safe mode, ${format.toUpperCase()}`, () => {
			it('a popup event with several templates gives one item per template, answered "success" by n8n', async () => {
				const plaintext = subscribeEvent(
					'subscribe_msg_popup_event',
					'oAlice',
					[
						{ TemplateId: 'tplBooking', SubscribeStatusString: 'accept', PopupScene: '0' },
						{ TemplateId: 'tplReminder', SubscribeStatusString: 'reject', PopupScene: '0' },
						{ TemplateId: 'tplNews', SubscribeStatusString: 'accept', PopupScene: '0' },
					],
					format,
				);
				const { response, res } = await post(safePush(plaintext, format));
				assert.equal(res.headersSent, false, 'the trigger leaves the answer to n8n');
				assert.equal(response.webhookResponse, 'success');
				const items = (response.workflowData?.[0] ?? []).map((item) => item.json);
				assert.deepEqual(
					items.map(({ event, openid, templateId, status, popupScene }) => ({ event, openid, templateId, status, popupScene })),
					[
						{ event: 'subscribe_msg_popup_event', openid: 'oAlice', templateId: 'tplBooking', status: 'accept', popupScene: '0' },
						{ event: 'subscribe_msg_popup_event', openid: 'oAlice', templateId: 'tplReminder', status: 'reject', popupScene: '0' },
						{ event: 'subscribe_msg_popup_event', openid: 'oAlice', templateId: 'tplNews', status: 'accept', popupScene: '0' },
					],
				);
				assert.equal(items[0].createTime, createTime);
			});

			it('a popup event with one template (a JSON List that is an object) gives one item', async () => {
				const plaintext = subscribeEvent(
					'subscribe_msg_popup_event',
					'oBob',
					[{ TemplateId: 'tplBooking', SubscribeStatusString: 'accept', PopupScene: '0' }],
					format,
				);
				const { response } = await post(safePush(plaintext, format));
				const items = response.workflowData?.[0] ?? [];
				assert.equal(items.length, 1);
				assert.equal(items[0].json.templateId, 'tplBooking');
				assert.equal(items[0].json.status, 'accept');
			});

			it('a change event gives the template and its new status', async () => {
				const plaintext = subscribeEvent(
					'subscribe_msg_change_event',
					'oCarol',
					[{ TemplateId: 'tplBooking', SubscribeStatusString: 'reject' }],
					format,
				);
				const { response } = await post(safePush(plaintext, format));
				assert.deepEqual(
					(response.workflowData?.[0] ?? []).map(({ json }) => [json.event, json.openid, json.templateId, json.status]),
					[['subscribe_msg_change_event', 'oCarol', 'tplBooking', 'reject']],
				);
			});

			it('a sent event gives the send result, its 64-bit MsgID with every digit', async () => {
				const plaintext = subscribeEvent(
					'subscribe_msg_sent_event',
					'oDave',
					[{ TemplateId: 'tplBooking', MsgID: '1700827132819554304', ErrorCode: '0', ErrorStatus: 'success' }],
					format,
				).replace('"MsgID":"1700827132819554304"', '"MsgID":1700827132819554304'); // JSON sends it as a number
				const { response } = await post(safePush(plaintext, format));
				const [item] = (response.workflowData?.[0] ?? []).map(({ json }) => json);
				assert.equal(item.event, 'subscribe_msg_sent_event');
				assert.equal(item.openid, 'oDave');
				assert.equal(item.templateId, 'tplBooking');
				assert.equal(item.status, 'success');
				assert.equal(item.errorCode, 0);
				assert.equal(item.msgId, '1700827132819554304');
			});
		});
	}

	it("opens the message push doc's own safe-mode JSON example (App ID wxba5fad812f8e6fb9) as an other event", async () => {
		const vector = {
			weChatMiniProgramPushApi: {
				appId: 'wxba5fad812f8e6fb9',
				token: 'AAAAA',
				encodingAesKey: 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
			},
		};
		const query = {
			signature: '6c5c811b55cc85e0e1b54100749188c20beb3f5d',
			timestamp: '1714112445',
			nonce: '415670741',
			openid: 'o9AgO5Kd5ggOC-bXrbNODIiE3bGY',
			encrypt_type: 'aes',
			msg_signature: '046e02f8204d34f8ba5fa3b1db94908f3df2e9b3',
		};
		const body = JSON.stringify({
			ToUserName: 'gh_97417a04a28d',
			Encrypt:
				'+qdx1OKCy+5JPCBFWw70tm0fJGb2Jmeia4FCB7kao+/Q5c/ohsOzQHi8khUOb05JCpj0JB4RvQMkUyus8TPxLKJGQqcvZqzDpVzazhZv6JsXUnnR8XGT740XgXZUXQ7vJVnAG+tE8NUd4yFyjPy7GgiaviNrlCTj+l5kdfMuFUPpRSrfMZuMcp3Fn2Pede2IuQrKEYwKSqFIZoNqJ4M8EajAsjLY2km32IIjdf8YL/P50F7mStwntrA2cPDrM1kb6mOcfBgRtWygb3VIYnSeOBrebufAlr7F9mFUPAJGj04=',
		});
		const { response } = await post(
			{ query, body, format: 'json' },
			{ credentials: vector, parameters: { events: ['other'], options: { maxClockSkewSeconds: 0 } } },
		);
		assert.deepEqual(response.workflowData?.[0][0].json, {
			ToUserName: 'gh_97417a04a28d',
			FromUserName: 'o9AgO5Kd5ggOC-bXrbNODIiE3bGY',
			CreateTime: 1714112445,
			MsgType: 'event',
			Event: 'debug_demo',
			debug_str: 'hello world',
		});
	});

	it('events left out by the filter are acknowledged without an execution', async () => {
		const popup = subscribeEvent('subscribe_msg_popup_event', 'oEve', [{ TemplateId: 't', SubscribeStatusString: 'accept' }], 'xml');
		const filtered = await post(safePush(popup, 'xml'), { parameters: { events: ['subscribe_msg_sent_event'] } });
		assert.equal(filtered.res.statusCode, 200);
		assert.equal(filtered.res.body, 'success');
		assert.equal(filtered.response.workflowData, undefined);

		const text =
			'<xml><ToUserName>gh_0123456789ab</ToUserName><FromUserName>oEve</FromUserName><CreateTime>1</CreateTime>' +
			'<MsgType>text</MsgType><Content>你好</Content><MsgId>42</MsgId></xml>';
		const dropped = await post(safePush(text, 'xml'), { parameters: { events: ['subscribe_msg_popup_event'] } });
		assert.equal(dropped.response.workflowData, undefined);
		const passed = await post(safePush(text, 'xml'), { parameters: { events: ['other'] } });
		assert.equal(passed.response.workflowData?.[0][0].json.Content, '你好');
	});

	it('a retry of the same popup event is not counted twice', async () => {
		const workflowId = 'wf-mp-retry';
		const popup = subscribeEvent('subscribe_msg_popup_event', 'oFrank', [{ TemplateId: 't', SubscribeStatusString: 'accept' }], 'json');
		const first = await post(safePush(popup, 'json'), { workflowId });
		assert.equal(first.response.workflowData?.[0].length, 1);
		first.res.finish(200); // n8n stored the execution and answered
		const retry = await post(safePush(popup, 'json'), { workflowId });
		assert.equal(retry.res.body, 'success');
		assert.equal(retry.response.workflowData, undefined);
	});

	describe('refused: a bare status and no execution', () => {
		const popup = () =>
			subscribeEvent('subscribe_msg_popup_event', 'oMallory', [{ TemplateId: 't', SubscribeStatusString: 'accept' }], 'json');

		it('a forged msg_signature', async () => {
			const request = safePush(popup(), 'json');
			assertRefused(await post({ ...request, query: { ...request.query, msg_signature: 'f'.repeat(40) } }), 403);
			assertRefused(await post(safePush(popup(), 'json', { token: 'notTheToken' })), 403);
		});

		it('a stale timestamp (an hour old), though right in every other way', async () => {
			assertRefused(await post(safePush(popup(), 'json', { timestamp: String(nowSeconds() - 3600) })), 403);
		});

		it('a push encrypted for another App ID', async () => {
			assertRefused(await post(safePush(popup(), 'json', { appId: 'wxffffffffffffffff' })), 403);
			assertRefused(await post(safePush(popup(), 'xml', { appId: '' })), 403);
		});

		it('an oversized body', async () => {
			const request = safePush(popup(), 'json');
			assertRefused(await post({ ...request, body: `{"Encrypt":"${'A'.repeat(70 * 1024)}"}` }), 413);
		});

		it('malformed bodies and plaintexts', async () => {
			const request = safePush(popup(), 'json');
			for (const body of ['{"Encrypt":', '[]', '{}', 'not xml', '<xml></xml>']) {
				const result = await post({ ...request, body });
				assert.ok(result.res.statusCode === 400, `${body} → ${result.res.statusCode}`);
				assertRefused(result, 400);
			}
			assertRefused(await post(safePush('{"MsgType": "event", ', 'json')), 400);
		});

		it('a plain-mode push (no encrypt_type=aes) unless the option allows it; then only with its signature', async () => {
			const timestamp = String(nowSeconds());
			const nonce = '99';
			const plain = { query: { signature: sha1Sorted(secrets.token, timestamp, nonce), timestamp, nonce }, body: popup(), format: 'json' as const };
			assertRefused(await post(plain), 400);
			const allowed = await post(plain, { parameters: { options: { allowPlainMode: true, deduplicate: false } } });
			assert.equal(allowed.response.workflowData?.[0][0].json.templateId, 't');
			const forged = { ...plain, query: { ...plain.query, signature: 'f'.repeat(40) } };
			assertRefused(await post(forged, { parameters: { options: { allowPlainMode: true } } }), 403);
		});
	});

	it("the log says what to fix in the mini-program's words, and never holds the Token or key", async () => {
		const logs = await recordN8nLogs();
		const popup = subscribeEvent('subscribe_msg_popup_event', 'oLog', [{ TemplateId: 't', SubscribeStatusString: 'accept' }], 'xml');
		await post(safePush(popup, 'xml', { token: 'notTheToken' }), { workflowId: 'wf-mp-log' });
		await post(safePush(popup, 'xml', { appId: 'wxffffffffffffffff' }), { workflowId: 'wf-mp-log' });
		const logged = JSON.stringify(logs);
		assert.match(logged, /WeChat Mini Program Trigger refused a callback \(invalidSignature\)/);
		assert.match(logged, /receiveIdMismatch/);
		assert.match(logged, /push settings/);
		assert.doesNotMatch(logged, /WeCom/);
		assert.ok(!logged.includes(secrets.token) && !logged.includes(secrets.encodingAesKey));
	});
});
