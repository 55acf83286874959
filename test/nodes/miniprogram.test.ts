/* eslint-disable @n8n/community-nodes/no-restricted-imports -- test code, never shipped */
/**
 * The WeChat Mini Program node, run by n8n-core against the mini-program fake: where its access tokens come
 * from (stable_token in normal mode only, one per credential, shared by concurrent executions, fetched again
 * once after 40001), the Auth operations (single-use codes, session_key only when asked for), List Templates,
 * and errors that say what to do and carry no secret. Needs `npm run build` first (the harness loads dist/).
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { after, afterEach, before, describe, it } from 'node:test';

import type { ExecutionError, IDataObject, INodeParameters } from 'n8n-workflow';

import { startFakeMiniProgram, type FakeMiniProgram } from '../fakes/miniprogram';
import { everything } from '../support/errors';
import { cleanupHarness, requireBuilt, runNode } from './harness';

type Transport = typeof import('../../nodes/WeChatMiniProgram/transport');

const TEMPLATE = {
	priTmplId: 'TPL_BOOKING',
	title: '预约成功通知',
	type: 2 as const,
	content: '客户姓名:{{thing1.DATA}}\n预约时间：{{time2.DATA}}\n{{phrase3.DATA}}\n',
	example: '客户姓名:张三\n预约时间：2026年12月1日 15:00\n已确认\n',
	keywordEnumValueList: [{ keywordCode: 'phrase3.DATA', enumValueList: ['已确认', '已取消'] }],
};

describe('WeChat Mini Program node', () => {
	let fake: FakeMiniProgram;
	let other: FakeMiniProgram;
	let transport: Transport;

	before(async () => {
		fake = await startFakeMiniProgram({ templates: [TEMPLATE] });
		other = await startFakeMiniProgram();
		transport = await requireBuilt<Transport>('dist/nodes/WeChatMiniProgram/transport/index.js');
	});
	afterEach(() => transport.resetMiniProgramCaches());
	after(async () => {
		await fake.close();
		await other.close();
		cleanupHarness();
	});

	const credentialsOf = (server: FakeMiniProgram, overrides: IDataObject = {}) => ({
		weChatMiniProgramApi: { appId: server.appId, appSecret: server.appSecret, baseUrl: server.url, ...overrides },
	});
	const run = async (parameters: INodeParameters, server = fake, overrides: IDataObject = {}) =>
		await runNode({ nodeType: 'weChatMiniProgram', parameters, credentials: credentialsOf(server, overrides) });
	const listTemplates = { resource: 'subscribeMessage', operation: 'listTemplates' };
	const count = (server: FakeMiniProgram, path: string) => server.calls.filter((c) => c.path === path).length;
	const tokenCalls = (server: FakeMiniProgram) => count(server, '/cgi-bin/stable_token');
	function failed(result: { error?: ExecutionError }): ExecutionError {
		assert.ok(result.error, 'the node failed');
		return result.error;
	}

	it('Code to Session: openid and unionid, no session_key unless asked for', async () => {
		const plain = await run({ resource: 'auth', operation: 'codeToSession', code: fake.loginCode('o_alice', { unionid: 'u_alice' }) });
		assert.equal(plain.error, undefined);
		assert.deepEqual(plain.outputs[0][0].json, { openid: 'o_alice', unionid: 'u_alice' });

		const withKey = await run({
			resource: 'auth',
			operation: 'codeToSession',
			code: fake.loginCode('o_bob'),
			options: { includeSessionKey: true },
		});
		assert.equal(withKey.outputs[0][0].json.openid, 'o_bob');
		assert.equal(typeof withKey.outputs[0][0].json.session_key, 'string');
		assert.equal('unionid' in withKey.outputs[0][0].json, false);
	});

	it('Code to Session: a login code works once; the second use says why and what to do', async () => {
		const code = fake.loginCode('o_carol');
		assert.equal((await run({ resource: 'auth', operation: 'codeToSession', code })).error, undefined);
		const error = failed(await run({ resource: 'auth', operation: 'codeToSession', code }));
		assert.equal(error.message, 'WeChat error 40163: code already used');
		assert.match(String(error.description), /used once.*5 minutes.*fresh one/);
		assert.ok(!everything(error).includes(fake.appSecret), 'no App Secret in the error');
	});

	it('Get Phone Number: the number from a phone code, once', async () => {
		const code = fake.phoneCode('13800138000');
		const result = await run({ resource: 'auth', operation: 'getPhoneNumber', code });
		assert.equal(result.error, undefined);
		assert.deepEqual(result.outputs[0][0].json, { phoneNumber: '13800138000', purePhoneNumber: '13800138000', countryCode: '86' });
		const again = failed(await run({ resource: 'auth', operation: 'getPhoneNumber', code }));
		assert.match(again.message, /^WeChat error 40163/);
	});

	it('List Templates: one item per template with its keywords (key, type, label, enum values)', async () => {
		const result = await run(listTemplates);
		assert.equal(result.error, undefined);
		assert.equal(result.outputs[0].length, 1);
		assert.deepEqual(result.outputs[0][0].json, {
			templateId: 'TPL_BOOKING',
			title: '预约成功通知',
			subscriptionType: 'one-time',
			keywords: [
				{ key: 'thing1', type: 'thing', label: '客户姓名' },
				{ key: 'time2', type: 'time', label: '预约时间' },
				{ key: 'phrase3', type: 'phrase', label: '', enumValues: ['已确认', '已取消'] },
			],
			content: TEMPLATE.content,
			example: TEMPLATE.example,
		});
	});

	describe('Subscribe Message → Send', () => {
		let templates: typeof import('../../nodes/WeChatMiniProgram/actions/subscribeMessage/templates');
		before(async () => {
			templates = await requireBuilt('dist/nodes/WeChatMiniProgram/actions/subscribeMessage/templates.js');
		});
		afterEach(() => templates.resetTemplateListCache());
		const SEND = '/cgi-bin/message/subscribe/send';
		const send = (touser: string, keywords: Array<{ key: string; value: string }>, extra: IDataObject = {}) =>
			run({
				resource: 'subscribeMessage',
				operation: 'send',
				templateId: 'TPL_BOOKING',
				touser,
				keywords: { keyword: keywords },
				page: 'pages/booking/detail?booking=7',
				...extra,
			} as INodeParameters);
		const booking = (name = '张三') => [
			{ key: 'thing1', value: name },
			{ key: 'time2', value: '2026-12-01 15:00' },
			{ key: 'phrase3', value: '已确认' },
		];

		it('sends to a user who accepted the template, once per acceptance; the next one is 43101 with what to do', async () => {
			fake.loginCode('o_sub_1');
			fake.accept('o_sub_1', 'TPL_BOOKING', 1);
			const first = await send('o_sub_1', booking());
			assert.equal(first.error, undefined);
			const sent = first.outputs[0][0].json;
			assert.equal(typeof sent.msgid, 'number');
			assert.deepEqual(sent.data, { thing1: { value: '张三' }, time2: { value: '2026-12-01 15:00' }, phrase3: { value: '已确认' } });
			assert.deepEqual(fake.sent.at(-1), {
				touser: 'o_sub_1',
				template_id: 'TPL_BOOKING',
				page: 'pages/booking/detail?booking=7',
				data: sent.data,
				miniprogram_state: 'formal',
				lang: 'zh_CN',
			});
			const second = failed(await send('o_sub_1', booking()));
			assert.match(second.message, /^WeChat error 43101/);
			assert.match(String(second.description), /requestSubscribeMessage/);
		});

		it('a value its type does not allow is refused before sending, naming the keyword, its label and the rule', async () => {
			fake.loginCode('o_sub_2');
			fake.accept('o_sub_2', 'TPL_BOOKING', 1);
			const sendsBefore = count(fake, SEND);
			const error = failed(await send('o_sub_2', [booking()[0], booking()[1], { key: 'phrase3', value: '待定' }]));
			assert.match(error.message, /phrase3/);
			assert.match(String(error.description), /not one of this template's values; WeChat takes only 已确认, 已取消.*Nothing was sent\./);
			const long = failed(await send('o_sub_2', booking('一位名字特别特别特别特别长的客户来自很远很远的地方')));
			assert.match(String(long.description), /thing1 \(客户姓名\) has 25 characters; WeChat takes at most 20 for a thing/);
			assert.equal(count(fake, SEND), sendsBefore, 'a refused value reached WeChat');
			assert.equal(fake.acceptances('o_sub_2', 'TPL_BOOKING'), 1, 'the acceptance was used up by a message that was never sent');
		});

		it('Shorten Text That Is Too Long cuts a thing to 20 characters and says so', async () => {
			fake.loginCode('o_sub_3');
			fake.accept('o_sub_3', 'TPL_BOOKING', 1);
			const result = await send('o_sub_3', booking('一位名字特别特别特别特别长的客户来自很远很远的地方'), { options: { shortenText: true } });
			assert.equal(result.error, undefined);
			const value = String((result.outputs[0][0].json.data as Record<string, { value: string }>).thing1.value);
			assert.equal([...value].length, 20);
			assert.ok(value.endsWith('…'));
			assert.deepEqual(result.outputs[0][0].json.shortened, ['thing1']);
		});

		it('a keyword the template lacks, or one left out, is named before sending', async () => {
			const error = failed(await send('o_sub_3', [booking()[0], { key: 'thing9', value: 'x' }, booking()[2]]));
			assert.match(String(error.description), /thing9 is not a keyword of this template; its keywords are thing1, time2, phrase3/);
			assert.match(String(error.description), /time2 \(预约时间\) has no row/);
		});

		it('a template ID the mini-program does not have is named before sending', async () => {
			const error = failed(await run({ resource: 'subscribeMessage', operation: 'send', templateId: 'TPL_NONE', touser: 'o_sub_3', keywords: { keyword: booking() } }));
			assert.equal(error.message, "Template TPL_NONE is not one of this mini-program's templates");
		});

		it('47003 from WeChat names what its type takes; 40003 says the openid is not of this app', async () => {
			fake.loginCode('o_sub_4');
			fake.accept('o_sub_4', 'TPL_BOOKING', 2);
			fake.injectError(SEND, 47003);
			const refused = failed(await send('o_sub_4', booking()));
			assert.match(refused.message, /^WeChat error 47003/);
			assert.match(String(refused.description), /47003.*\(WeChat: /);
			const stranger = failed(await send('o_not_of_this_app', booking()));
			assert.match(stranger.message, /^WeChat error 40003/);
		});

		it('the template list is read once for many sends (5 minutes per credential)', async () => {
			fake.loginCode('o_sub_5');
			fake.accept('o_sub_5', 'TPL_BOOKING', 3);
			const before = count(fake, '/wxaapi/newtmpl/gettemplate');
			for (let i = 0; i < 3; i++) assert.equal((await send('o_sub_5', booking())).error, undefined);
			assert.equal(count(fake, '/wxaapi/newtmpl/gettemplate') - before, 1);
		});
	});

	it('one token per credential, reused across executions', async () => {
		const before = { fake: tokenCalls(fake), other: tokenCalls(other) };
		for (let i = 0; i < 3; i++) {
			assert.equal((await run(listTemplates)).error, undefined);
			assert.equal((await run(listTemplates, other)).error, undefined);
		}
		assert.equal(tokenCalls(fake) - before.fake, 1);
		assert.equal(tokenCalls(other) - before.other, 1);
	});

	it('20 concurrent executions share one stable_token call', async () => {
		const before = tokenCalls(fake);
		const results = await Promise.all(Array.from({ length: 20 }, async () => await run(listTemplates)));
		assert.ok(results.every((r) => r.error === undefined));
		assert.equal(tokenCalls(fake) - before, 1);
	});

	it('40001 (WeChat dropped the token early): one fetch again in normal mode and one retry', async () => {
		assert.equal((await run(listTemplates)).error, undefined);
		fake.invalidateTokens();
		const before = { tokens: tokenCalls(fake), lists: count(fake, '/wxaapi/newtmpl/gettemplate') };
		assert.equal((await run(listTemplates)).error, undefined);
		assert.equal(tokenCalls(fake) - before.tokens, 1);
		assert.equal(count(fake, '/wxaapi/newtmpl/gettemplate') - before.lists, 2);

		// A 40001 that persists: fetched again once, then the error, not a loop.
		fake.injectError('/wxaapi/newtmpl/gettemplate', 40001, 2);
		const tokensBefore = tokenCalls(fake);
		const error = failed(await run(listTemplates));
		assert.equal(error.message, 'WeChat error 40001: invalid access token');
		assert.match(String(error.description), /force_refresh/);
		assert.equal(tokenCalls(fake) - tokensBefore, 1);
	});

	it('40164: the error names the IP WeChat saw and where to add it', async () => {
		fake.whitelist('198.51.100.23');
		try {
			const error = failed(await run(listTemplates));
			assert.equal(error.message, "WeChat error 40164: this server's IP is not in the IP whitelist");
			assert.match(String(error.description), /198\.51\.100\.23 at mp\.weixin\.qq\.com → 开发管理 → 开发设置 → IP白名单/);
		} finally {
			fake.whitelist(undefined);
		}
	});

	it('a wrong App Secret (40125) or App ID (40013) says which field to fix, and never shows the secret', async () => {
		const wrongSecret = 'a-wrong-but-long-secret-value';
		const secretError = failed(await run(listTemplates, fake, { appSecret: wrongSecret }));
		assert.equal(secretError.message, 'WeChat error 40125: invalid App Secret');
		assert.match(String(secretError.description), /AppSecret.*开发者ID/);
		assert.ok(!everything(secretError).includes(wrongSecret));

		const idError = failed(await run({ resource: 'auth', operation: 'codeToSession', code: fake.loginCode('o_dan') }, fake, { appId: 'wx_not_mine' }));
		assert.equal(idError.message, 'WeChat error 40013: invalid App ID');
		assert.ok(!everything(idError).includes(fake.appSecret));
	});

	it('-1 (WeChat busy) says to try again', async () => {
		fake.injectError('/wxaapi/newtmpl/gettemplate', -1);
		const error = failed(await run(listTemplates));
		assert.equal(error.message, 'WeChat error -1: WeChat is busy');
		assert.match(String(error.description), /Try again/);
	});

	it('no answer at all: an error that names the API, without the App Secret or the code of the URL', async () => {
		const closed = createServer();
		await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
		const port = (closed.address() as { port: number }).port;
		await new Promise<void>((resolve) => closed.close(() => resolve()));
		const code = fake.loginCode('o_erin');
		const error = failed(await run({ resource: 'auth', operation: 'codeToSession', code }, fake, { baseUrl: `http://127.0.0.1:${port}` }));
		assert.match(error.message, /^WeChat request failed/);
		assert.match(String(error.description), /API Base URL/);
		const text = everything(error);
		assert.ok(!text.includes(fake.appSecret), 'no App Secret');
		// The code is one of the node's parameters, which n8n keeps with the error; the words shown must not repeat it.
		assert.ok(!`${error.message} ${String(error.description)}`.includes(code), 'no login code in what is shown');
	});

	it('through every test above: never cgi-bin/token, never force_refresh', () => {
		for (const server of [fake, other]) {
			assert.ok(server.calls.filter((c) => c.path === '/cgi-bin/stable_token').length > 0);
			assert.equal(server.calls.filter((c) => c.path === '/cgi-bin/token').length, 0, 'cgi-bin/token was called');
			assert.ok(server.calls.every((c) => c.forceRefresh !== true), 'force_refresh was sent');
		}
	});
});
