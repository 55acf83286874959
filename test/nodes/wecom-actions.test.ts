/* eslint-disable @n8n/community-nodes/no-restricted-imports -- test code, never shipped */
/**
 * Every operation of the WeCom node, executed by n8n-core against the loopback fake WeCom API.
 * Needs `npm run build` first (the harness loads dist/ as n8n does).
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { after, before, beforeEach, describe, it } from 'node:test';

import type { IDataObject, INodeParameters } from 'n8n-workflow';

import { startFakeWeComApi, type FakeWeComApi } from '../fakes/wecom';
import { cleanupHarness, requireBuilt, runNode, type RunNodeOptions } from './harness';
import { everything } from '../support/errors';

type Transport = typeof import('../../nodes/WeCom/transport');
type Tokens = typeof import('../../nodes/WeCom/transport/tokens');
type CredentialModule = typeof import('../../credentials/WeComApi.credentials');

const CORP_ID = 'ww_test_corp_01';
const AGENT_ID = 1000002;
/** Random per run, so a leak test cannot pass by luck. */
const SECRET = randomBytes(20).toString('hex');

// A 1×1 PNG.
const PNG = Buffer.from(
	'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
	'base64',
);

let api: FakeWeComApi;
let transport: Transport;
let tokens: Tokens;

function credentials(overrides: IDataObject = {}) {
	return {
		weComApi: { corpId: CORP_ID, agentId: String(AGENT_ID), secret: SECRET, baseUrl: api.url, ...overrides },
	};
}

async function run(parameters: INodeParameters, options: Partial<RunNodeOptions> = {}) {
	return await runNode({ nodeType: 'weCom', parameters, credentials: credentials(), ...options });
}

function sendText(extra: INodeParameters = {}): INodeParameters {
	return { resource: 'message', operation: 'sendText', toUser: 'zhangsan', content: 'hello', ...extra };
}

function issuedTokens(): string[] {
	return api.requests.map((request) => request.query.access_token).filter((token): token is string => !!token);
}

before(async () => {
	api = await startFakeWeComApi({
		corpId: CORP_ID,
		apps: [{ agentId: AGENT_ID, secret: SECRET }],
		unknownUsers: ['ghost', 'phantom'],
	});
	transport = await requireBuilt<Transport>('dist/nodes/WeCom/transport/index.js');
	tokens = await requireBuilt<Tokens>('dist/nodes/WeCom/transport/tokens.js');
});

beforeEach(() => {
	api.reset();
	transport.resetWeComCaches();
});

after(async () => {
	await api.close();
	cleanupHarness();
});

describe('WeCom node: message', () => {
	it('sendText: one token for many items, one message per item, paired items', async () => {
		const { outputs, error } = await run(sendText({ toUser: '={{ $json.user }}', content: '=Hi {{ $json.user }}' }), {
			items: [{ user: 'zhangsan' }, { user: 'lisi' }, { user: 'wangwu' }],
		});
		assert.equal(error, undefined);
		assert.equal(api.tokenFetches, 1);
		assert.equal(api.sentMessages.length, 3);
		assert.deepEqual(
			api.sentMessages.map((message) => [message.body.touser, message.content, message.body.agentid]),
			[
				['zhangsan', 'Hi zhangsan', AGENT_ID],
				['lisi', 'Hi lisi', AGENT_ID],
				['wangwu', 'Hi wangwu', AGENT_ID],
			],
		);
		const items = outputs[0];
		assert.equal(items.length, 3);
		items.forEach((item, index) => {
			assert.deepEqual(item.pairedItem, { item: index });
			assert.equal(item.json.msgid, api.sentMessages[index].msgid);
			assert.equal(item.json.msgtype, 'text');
			assert.equal(item.json.errcode, undefined);
		});
	});

	it('sendText: recipients separated by comma or |, departments and tags, options', async () => {
		const { error } = await run(
			sendText({
				toUser: 'zhangsan, lisi',
				toParty: '2|3',
				toTag: '7',
				options: { safe: true, enableDuplicateCheck: true, duplicateCheckInterval: 600 },
			}),
		);
		assert.equal(error, undefined);
		const body = api.sentMessages[0].body;
		assert.equal(body.touser, 'zhangsan|lisi');
		assert.equal(body.toparty, '2|3');
		assert.equal(body.totag, '7');
		assert.equal(body.safe, 1);
		assert.equal(body.enable_duplicate_check, 1);
		assert.equal(body.duplicate_check_interval, 600);
	});

	it('refuses a message without any recipient before calling WeCom', async () => {
		const { error } = await run(sendText({ toUser: '' }));
		assert.ok(error);
		assert.match(error.message, /No recipient/);
		assert.equal(api.requests.length, 0);
	});

	it('a credential without Agent ID (a contacts-sync secret) refuses to send and says what the field is for', async () => {
		const { error } = await run(sendText(), { credentials: credentials({ agentId: '' }) });
		assert.ok(error);
		assert.match(error.message, /no Agent ID/);
		assert.equal(api.requests.filter((r) => r.path.includes('/message/send')).length, 0);
	});

	it('sendText: cuts content over 2048 bytes at a character boundary, or refuses it', async () => {
		const long = '客服'.repeat(500); // 3000 bytes
		const { outputs, error } = await run(sendText({ content: long }));
		assert.equal(error, undefined);
		const sent = String(api.sentMessages[0].content);
		assert.ok(Buffer.byteLength(sent, 'utf8') <= 2048);
		assert.equal(Buffer.byteLength(sent, 'utf8'), 2046, '682 whole characters of 3 bytes');
		assert.ok(long.startsWith(sent));
		assert.equal(outputs[0][0].json.truncated, true);
		assert.equal(outputs[0][0].json.originalBytes, 3000);

		const refused = await run(sendText({ content: long, truncate: false }));
		assert.ok(refused.error);
		assert.match(refused.error.message, /3000 bytes/);
		assert.equal(api.sentMessages.length, 1);
	});

	it('reports recipients WeCom could not reach without failing', async () => {
		const { outputs, error } = await run(sendText({ toUser: 'zhangsan|ghost' }));
		assert.equal(error, undefined);
		assert.equal(outputs[0][0].json.invaliduser, 'ghost');
		assert.equal(typeof outputs[0][0].json.msgid, 'string');
	});

	it('WeCom busy (-1) once: sent on the second attempt; with Retries 0 it fails at once', async () => {
		api.injectError('/cgi-bin/message/send', -1, 'system busy', 1);
		const { outputs, error } = await run(sendText());
		assert.equal(error, undefined);
		assert.equal(api.requests.filter((r) => r.path === '/cgi-bin/message/send').length, 2);
		assert.equal(api.sentMessages.length, 1);
		assert.equal(typeof outputs[0][0].json.msgid, 'string');

		api.injectError('/cgi-bin/message/send', -1, 'system busy', 1);
		const once = await run(sendText({ options: { retries: 0 } }));
		assert.match(String(once.error?.message), /^WeCom error -1/);
		assert.equal(api.sentMessages.length, 1);
	});

	it('no answer: sent again only with Duplicate Check on, which lets WeCom drop a copy', async () => {
		const saved = { ...transport.WECOM_TIMEOUTS };
		Object.assign(transport.WECOM_TIMEOUTS, { callMs: 300 });
		try {
			api.stall('/cgi-bin/message/send', 1);
			const unchecked = await run(sendText());
			assert.match(String(unchecked.error?.message), /did not answer/);
			assert.equal(api.requests.filter((r) => r.path === '/cgi-bin/message/send').length, 1);

			api.stall('/cgi-bin/message/send', 1);
			const checked = await run(sendText({ options: { enableDuplicateCheck: true } }));
			assert.equal(checked.error, undefined);
			assert.equal(api.requests.filter((r) => r.path === '/cgi-bin/message/send').length, 3);
			assert.equal((api.sentMessages.at(-1)?.body as IDataObject | undefined)?.enable_duplicate_check, 1);
		} finally {
			Object.assign(transport.WECOM_TIMEOUTS, saved);
		}
	});

	it('81013 (no valid recipient) is a NodeApiError with the platform hint', async () => {
		const { error } = await run(sendText({ toUser: 'ghost|phantom' }));
		assert.ok(error);
		assert.equal(error.name, 'NodeApiError');
		assert.match(error.message, /^WeCom error 81013: /);
		assert.match(String(error.description), /visible range/);
	});

	it('sendMarkdown', async () => {
		const { outputs, error } = await run({
			resource: 'message',
			operation: 'sendMarkdown',
			toUser: '@all',
			content: '**Ticket** <font color="warning">urgent</font>',
		});
		assert.equal(error, undefined);
		assert.equal(api.sentMessages[0].msgtype, 'markdown');
		assert.equal((api.sentMessages[0].body.markdown as IDataObject).content, '**Ticket** <font color="warning">urgent</font>');
		assert.equal(outputs[0][0].json.msgtype, 'markdown');
	});

	it('sendTextCard', async () => {
		const { error } = await run({
			resource: 'message',
			operation: 'sendTextCard',
			toUser: 'zhangsan',
			title: 'New lead',
			description: '<div class="gray">2026-11-22</div><div class="normal">Alice, 138…</div>',
			url: 'https://example.com/leads/1',
			btnTxt: '查看',
		});
		assert.equal(error, undefined);
		assert.deepEqual(api.sentMessages[0].body.textcard, {
			title: 'New lead',
			description: '<div class="gray">2026-11-22</div><div class="normal">Alice, 138…</div>',
			url: 'https://example.com/leads/1',
			btntxt: '查看',
		});

		const noScheme = await run({
			resource: 'message',
			operation: 'sendTextCard',
			toUser: 'zhangsan',
			title: 't',
			description: 'd',
			url: 'example.com',
		});
		assert.match(String(noScheme.error?.message), /http:\/\/ or https:\/\//);
	});

	it('sendNews with 1–8 articles', async () => {
		const { error } = await run({
			resource: 'message',
			operation: 'sendNews',
			toParty: '2',
			articles: {
				article: [
					{ title: 'First', description: 'Lead', url: 'https://example.com/1', picUrl: 'https://example.com/1.png' },
					{ title: 'Second', url: 'https://example.com/2' },
				],
			},
		});
		assert.equal(error, undefined);
		assert.deepEqual((api.sentMessages[0].body.news as IDataObject).articles, [
			{ title: 'First', description: 'Lead', url: 'https://example.com/1', picurl: 'https://example.com/1.png' },
			{ title: 'Second', url: 'https://example.com/2' },
		]);

		// n8n itself refuses a ninth article (maxAllowedFields); none is refused by the node
		const tooMany = await run({
			resource: 'message',
			operation: 'sendNews',
			toParty: '2',
			articles: { article: Array.from({ length: 9 }, (_, i) => ({ title: `t${i}`, url: 'https://example.com' })) },
		});
		assert.match(String(tooMany.error?.message), /At most 8/);
		const none = await run({ resource: 'message', operation: 'sendNews', toParty: '2', articles: {} });
		assert.match(String(none.error?.message), /1 to 8 articles, got 0/);
		assert.equal(api.sentMessages.length, 1);
	});

	it('sendImage uploads the binary, then sends its media_id', async () => {
		const { outputs, error } = await run(
			{ resource: 'message', operation: 'sendImage', toUser: 'zhangsan', binaryPropertyName: 'photo' },
			{ binary: { photo: { data: PNG, fileName: 'qr.png', mimeType: 'image/png' } } },
		);
		assert.equal(error, undefined);
		assert.equal(api.uploadedMedia.length, 1);
		const media = api.uploadedMedia[0];
		assert.equal(media.type, 'image');
		assert.equal(media.filename, 'qr.png');
		assert.equal(media.size, PNG.length);
		assert.equal(media.sha256, createHash('sha256').update(PNG).digest('hex'));
		const upload = api.requests.find((request) => request.path === '/cgi-bin/media/upload');
		assert.deepEqual(upload?.multipart?.map((part) => [part.name, part.filename, part.contentType]), [
			['media', 'qr.png', 'image/png'],
		]);
		assert.equal(api.sentMessages[0].msgtype, 'image');
		assert.deepEqual(api.sentMessages[0].body.image, { media_id: media.media_id });
		assert.equal(outputs[0][0].json.media_id, media.media_id);
		assert.equal(api.tokenFetches, 1);
	});

	it('sendImage refuses an image over 10 MB before uploading anything', async () => {
		const big = Buffer.alloc(10 * 1024 * 1024 + 1, 1);
		const { error } = await run(
			{ resource: 'message', operation: 'sendImage', toUser: 'zhangsan', binaryPropertyName: 'data' },
			{ binary: { data: { data: big, fileName: 'big.jpg', mimeType: 'image/jpeg' } } },
		);
		assert.ok(error);
		assert.equal(error.name, 'NodeOperationError');
		assert.match(error.message, /10\.0 MB/);
		assert.equal(api.requests.filter((request) => request.path === '/cgi-bin/media/upload').length, 0);
		assert.equal(api.sentMessages.length, 0);
	});

	it('sendFile', async () => {
		const pdf = Buffer.from('%PDF-1.4 fake quote');
		const { error } = await run(
			{ resource: 'message', operation: 'sendFile', toUser: 'zhangsan', binaryPropertyName: 'data' },
			{ binary: { data: { data: pdf, fileName: '报价单.pdf', mimeType: 'application/pdf' } } },
		);
		assert.equal(error, undefined);
		assert.equal(api.uploadedMedia[0].type, 'file');
		assert.equal(api.uploadedMedia[0].filename, '报价单.pdf');
		assert.equal(api.sentMessages[0].msgtype, 'file');
	});

	it('recall a sent message', async () => {
		const sent = await run(sendText());
		const msgid = String(sent.outputs[0][0].json.msgid);
		const { outputs, error } = await run({ resource: 'message', operation: 'recall', msgId: msgid });
		assert.equal(error, undefined);
		assert.deepEqual(api.recalled, [msgid]);
		assert.equal(outputs[0][0].json.recalled, true);
	});
});

describe('WeCom node: tokens and errors', () => {
	it('42001 mid-run: invalidates, fetches once more, retries and succeeds', async () => {
		await run(sendText());
		assert.equal(api.tokenFetches, 1);
		api.expireAllTokens();
		const { outputs, error } = await run(sendText(), { items: [{}, {}, {}] });
		assert.equal(error, undefined);
		assert.equal(outputs[0].length, 3);
		assert.equal(api.tokenFetches, 2, 'one refetch for the whole run');
		assert.equal(api.sentMessages.length, 4);
		assert.equal(api.requests.filter((request) => request.errcode === 42001).length, 1);
	});

	it('40014 on one call: one retry with a fresh token', async () => {
		await run(sendText());
		api.invalidateAllTokens();
		const { error } = await run(sendText(), { items: [{}, {}] });
		assert.equal(error, undefined);
		assert.equal(api.tokenFetches, 2);
		assert.equal(api.sentMessages.length, 3);
	});

	it('does not retry twice when WeCom keeps refusing the token', async () => {
		api.injectError('/cgi-bin/message/send', 42001, undefined, 5);
		const { error } = await run(sendText());
		assert.ok(error);
		assert.match(error.message, /^WeCom error 42001/);
		assert.equal(api.requests.filter((request) => request.path === '/cgi-bin/message/send').length, 2);
	});

	it('60020: NodeApiError naming the IP and 企业可信IP, without secret or token', async () => {
		api.injectError('/cgi-bin/message/send', 60020);
		const { error } = await run(sendText());
		assert.ok(error);
		assert.equal(error.name, 'NodeApiError');
		assert.equal(error.message, 'WeCom error 60020: IP address not trusted');
		assert.match(String(error.description), /203\.0\.113\.7/);
		assert.match(String(error.description), /企业可信IP/);
		const text = everything(error);
		assert.ok(!text.includes(SECRET), 'no secret in the error');
		const used = issuedTokens();
		assert.ok(used.length > 0);
		for (const token of used) assert.ok(!text.includes(token), 'no access_token in the error');
	});

	it('60020 on gettoken itself', async () => {
		api.injectError('/cgi-bin/gettoken', 60020);
		const { error } = await run(sendText());
		assert.ok(error);
		assert.equal(error.message, 'WeCom error 60020: IP address not trusted');
		assert.ok(!everything(error).includes(SECRET));
	});

	it('a wrong secret: 40001 says what to fix and is not retried', async () => {
		const wrong = randomBytes(20).toString('hex');
		const { error } = await runNode({
			nodeType: 'weCom',
			parameters: sendText(),
			credentials: credentials({ secret: wrong }),
		});
		assert.ok(error);
		assert.match(error.message, /^WeCom error 40001: invalid secret/);
		assert.match(String(error.description), /Secret/);
		assert.ok(!everything(error).includes(wrong));
		assert.equal(api.requests.filter((request) => request.path === '/cgi-bin/gettoken').length, 1);
	});

	it('an unreachable base URL fails with a hint about the Base URL and nothing secret', async () => {
		const { error } = await runNode({
			nodeType: 'weCom',
			parameters: sendText(),
			credentials: credentials({ baseUrl: 'http://127.0.0.1:9' }),
		});
		assert.ok(error);
		assert.equal(error.name, 'NodeApiError');
		assert.match(String(error.description), /Base URL/);
		assert.ok(!everything(error).includes(SECRET));
	});

	it('continueOnFail: the failed item carries the error, the others go on', async () => {
		api.injectError('/cgi-bin/message/send', 81013, undefined, 1);
		const { outputs, error } = await run(sendText(), {
			items: [{ n: 1 }, { n: 2 }],
			onError: 'continueRegularOutput',
		});
		assert.equal(error, undefined);
		const [first, second] = outputs[0];
		assert.match(String(first.json.error), /^WeCom error 81013/);
		assert.equal(first.json.errcode, 81013);
		assert.deepEqual(first.pairedItem, { item: 0 });
		assert.equal(typeof second.json.msgid, 'string');
		assert.deepEqual(second.pairedItem, { item: 1 });
	});

	it('On Error "Continue (using error output)": the failed item leaves by the error output', async () => {
		api.injectError('/cgi-bin/message/send', 81013, undefined, 1);
		const { outputs, error } = await run(sendText(), {
			items: [{ n: 1 }, { n: 2 }],
			onError: 'continueErrorOutput',
		});
		assert.equal(error, undefined);
		const [success, failure] = outputs;
		assert.deepEqual(
			success.map((item) => item.pairedItem),
			[{ item: 1 }],
		);
		assert.equal(failure.length, 1);
		assert.match(String(failure[0].json.error), /^WeCom error 81013/);
		assert.equal((failure[0].json.details as IDataObject).errcode, 81013);
		assert.deepEqual(failure[0].pairedItem, { item: 0 });
	});

	it('100 concurrent executions share one token fetch', async () => {
		api.setLatency(20);
		const results = await Promise.all(Array.from({ length: 100 }, async (_, i) => await run(sendText({ content: `m${i}` }))));
		api.setLatency(0);
		assert.ok(results.every((result) => result.error === undefined));
		assert.equal(api.tokenFetches, 1);
		assert.equal(api.sentMessages.length, 100);
	});

	it('the token and ticket cache keys hold no secret, nor does the memory of a refused secret', async () => {
		// Filled through real calls (beforeEach emptied the caches): a token, a JS-SDK ticket, a refused secret.
		assert.equal((await run(sendText())).error, undefined);
		const signature = { resource: 'user', operation: 'getJsSdkSignature', url: 'https://example.com/', ticketType: 'agent' };
		assert.equal((await run(signature)).error, undefined);
		const wrong = randomBytes(20).toString('hex');
		assert.ok((await runNode({ nodeType: 'weCom', parameters: sendText(), credentials: credentials({ secret: wrong }) })).error);

		const keys = [...transport.accessTokenCache.keys(), ...transport.jsApiTicketCache.keys()];
		assert.equal(keys.length, 2, 'one token and one ticket cached');
		for (const key of keys) {
			for (const secret of [SECRET, wrong]) assert.ok(!key.includes(secret), 'no secret in a cache key');
		}
		// The cache uses the key function: the token sits under its key, the refusal is remembered under its own.
		const key = tokens.accessTokenKey(api.url, CORP_ID, SECRET);
		assert.equal(transport.accessTokenCache.peek(key), issuedTokens()[0]);
		assert.ok(transport.accessTokenCache.failureUntil(tokens.accessTokenKey(api.url, CORP_ID, wrong)) !== undefined);
	});
});

describe('WeCom node: media', () => {
	it('upload returns media_id, type and created_at', async () => {
		const { outputs, error } = await run(
			{ resource: 'media', operation: 'upload', type: 'image', binaryPropertyName: 'data' },
			{ binary: { data: { data: PNG, fileName: 'a.png', mimeType: 'image/png' } } },
		);
		assert.equal(error, undefined);
		const json = outputs[0][0].json;
		assert.equal(json.type, 'image');
		assert.equal(json.media_id, api.uploadedMedia[0].media_id);
		assert.equal(typeof json.created_at, 'string');
		assert.equal(json.fileSize, PNG.length);
	});

	it('upload refuses a voice file over 2 MB before uploading', async () => {
		const { error } = await run(
			{ resource: 'media', operation: 'upload', type: 'voice', binaryPropertyName: 'data' },
			{ binary: { data: { data: Buffer.alloc(2 * 1024 * 1024 + 1, 1), fileName: 'a.amr', mimeType: 'audio/amr' } } },
		);
		assert.match(String(error?.message), /2\.0 MB/);
		assert.equal(api.requests.length, 0);
	});
});

describe('WeCom node: user', () => {
	it('getIdentityFromOAuthCode: a member, then the used code fails with a hint', async () => {
		api.addOAuthCode('CODE_MEMBER', { userid: 'zhangsan', user_ticket: 'TICKET1' });
		const parameters = { resource: 'user', operation: 'getIdentityFromOAuthCode', code: 'CODE_MEMBER' };
		const { outputs, error } = await run(parameters);
		assert.equal(error, undefined);
		assert.equal(outputs[0][0].json.userid, 'zhangsan');
		assert.equal(outputs[0][0].json.user_ticket, 'TICKET1');
		assert.equal(outputs[0][0].json.isMember, true);

		const again = await run(parameters);
		assert.ok(again.error);
		assert.match(again.error.message, /^WeCom error 40029: invalid OAuth code/);
		assert.match(String(again.error.description), /5 minutes/);
	});

	it('getIdentityFromOAuthCode: a non-member', async () => {
		api.addOAuthCode('CODE_VISITOR', { openid: 'oAbc', external_userid: 'wmXyz' });
		const { outputs } = await run({ resource: 'user', operation: 'getIdentityFromOAuthCode', code: 'CODE_VISITOR' });
		assert.equal(outputs[0][0].json.openid, 'oAbc');
		assert.equal(outputs[0][0].json.external_userid, 'wmXyz');
		assert.equal(outputs[0][0].json.isMember, false);
	});

	for (const ticketType of ['corp', 'agent'] as const) {
		it(`getJsSdkSignature (${ticketType}) matches an independent computation; the ticket is cached`, async () => {
			const url = 'https://example.com/app/orders?id=7';
			const parameters = { resource: 'user', operation: 'getJsSdkSignature', url: `${url}#/detail`, ticketType };
			const first = await run(parameters);
			const second = await run(parameters);
			assert.equal(first.error, undefined);
			assert.equal(second.error, undefined);
			const counts = api.ticketFetches;
			assert.equal(ticketType === 'corp' ? counts.jsapi : counts.agentConfig, 1);
			assert.equal(ticketType === 'corp' ? counts.agentConfig : counts.jsapi, 0);

			const key = tokens.jsApiTicketKey(tokens.accessTokenKey(api.url, CORP_ID, SECRET), ticketType);
			const ticket = transport.jsApiTicketCache.peek(key);
			assert.ok(ticket);
			for (const result of [first, second]) {
				const json = result.outputs[0][0].json;
				assert.equal(json.url, url, 'the #fragment is not signed');
				const expected: string = createHash('sha1')
					.update(`jsapi_ticket=${ticket}&noncestr=${String(json.nonceStr)}&timestamp=${String(json.timestamp)}&url=${url}`)
					.digest('hex');
				assert.equal(json.signature, expected);
				assert.ok(Math.abs(Number(json.timestamp) - Date.now() / 1000) < 60);
				if (ticketType === 'corp') {
					assert.equal(json.appId, CORP_ID);
				} else {
					assert.equal(json.corpid, CORP_ID);
					assert.equal(json.agentid, AGENT_ID);
				}
			}
		});
	}
});

describe('WeCom API credential: the "Test" button', () => {
	/**
	 * What n8n's CredentialsTester does with a declarative test (n8n 2.41.1
	 * services/credentials-tester.service.js): send test.request with the credential's values, then
	 * fail with the message of the first responseSuccessBody rule whose key equals its value.
	 */
	async function testCredential(data: Record<string, string>): Promise<{ status: 'OK' | 'Error'; message?: string }> {
		const { WeComApi } = await requireBuilt<CredentialModule>('dist/credentials/WeComApi.credentials.js');
		const credential = new WeComApi();
		const resolve = (value: unknown) =>
			String(value).replace(/^=\{\{\s*\$credentials\.(\w+)\s*\}\}$/, (_match, name: string) => data[name] ?? '');
		const request = credential.test.request;
		const url = new URL(`${resolve(request.baseURL).replace(/\/+$/, '')}${String(request.url)}`);
		for (const [name, value] of Object.entries(request.qs ?? {})) url.searchParams.set(name, resolve(value));
		const body = (await (await fetch(url)).json()) as IDataObject;
		for (const rule of credential.test.rules ?? []) {
			if (rule.type === 'responseSuccessBody' && body[rule.properties.key] === rule.properties.value) {
				return { status: 'Error', message: rule.properties.message };
			}
		}
		return { status: 'OK' };
	}

	it('passes with the right Corp ID and Secret', async () => {
		const result = await testCredential({ corpId: CORP_ID, secret: SECRET, baseUrl: api.url });
		assert.deepEqual(result, { status: 'OK' });
	});

	it('names the field to fix', async () => {
		assert.match(String((await testCredential({ corpId: 'ww_other', secret: SECRET, baseUrl: api.url })).message), /Corp ID/);
		assert.match(String((await testCredential({ corpId: CORP_ID, secret: 'nope', baseUrl: `${api.url}/` })).message), /Secret/);
		assert.match(String((await testCredential({ corpId: CORP_ID, secret: '', baseUrl: api.url })).message), /Secret is missing/);
		api.injectError('/cgi-bin/gettoken', 60020);
		assert.match(String((await testCredential({ corpId: CORP_ID, secret: SECRET, baseUrl: api.url })).message), /企业可信IP/);
	});

	it('asks WeCom even while executions get a remembered refusal of the same secret', async () => {
		const wrong = randomBytes(20).toString('hex');
		const gettokens = () => api.requests.filter((request) => request.path === '/cgi-bin/gettoken').length;
		const refused = await runNode({ nodeType: 'weCom', parameters: sendText(), credentials: credentials({ secret: wrong }) });
		assert.match(String(refused.error?.description), /without asking WeCom/);
		assert.equal(gettokens(), 1);
		const result = await testCredential({ corpId: CORP_ID, secret: wrong, baseUrl: api.url });
		assert.match(String(result.message), /Invalid Secret/);
		assert.equal(gettokens(), 2, 'the Test button is not answered from the memory of executions');
	});
});
