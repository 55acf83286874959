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
