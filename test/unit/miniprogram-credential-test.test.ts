/**
 * The WeChat Mini Program API credential's "Test": n8n sends the declared request with `$credentials` filled
 * in, then turns the first rule whose field equals its value into an error with the rule's message
 * (credentials-tester.service.js of n8n 2.41). Played here against the mini-program fake.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { WeChatMiniProgramApi } from '../../credentials/WeChatMiniProgramApi.credentials';
import { startFakeMiniProgram, type FakeMiniProgram } from '../fakes/miniprogram';

let fake: FakeMiniProgram;
before(async () => {
	fake = await startFakeMiniProgram();
});
after(async () => await fake.close());

/** `={{$credentials.name}}` values replaced as n8n's expression would. */
function fill(value: unknown, credentials: Record<string, string>): unknown {
	if (typeof value === 'string') return value.replace(/^=\{\{\s*\$credentials\.(\w+)\s*\}\}$/, (_m, name: string) => credentials[name] ?? '');
	if (value && typeof value === 'object') {
		return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, fill(inner, credentials)]));
	}
	return value;
}

async function testVerdict(overrides: Record<string, string> = {}): Promise<{ status: 'OK' | 'Error'; message: string }> {
	const credential = new WeChatMiniProgramApi();
	const credentials = { appId: fake.appId, appSecret: fake.appSecret, baseUrl: fake.url, ...overrides };
	const request = fill(credential.test.request, credentials) as { method: string; baseURL: string; url: string; body: unknown };
	const answer = await fetch(`${request.baseURL}${request.url}`, {
		method: request.method,
		headers: { 'Content-Type': 'application/json' },
		body: JSON.stringify(request.body),
	});
	const body = (await answer.json()) as Record<string, unknown>;
	for (const rule of credential.test.rules ?? []) {
		if (rule.type === 'responseSuccessBody' && body[rule.properties.key] === rule.properties.value) {
			return { status: 'Error', message: rule.properties.message };
		}
	}
	return { status: 'OK', message: 'Connection successful!' };
}

describe('WeChat Mini Program API credential: Test', () => {
	it('gets a stable token in normal mode (never cgi-bin/token, never force_refresh)', async () => {
		assert.equal((await testVerdict()).status, 'OK');
		assert.deepEqual(fake.calls.at(-1), { method: 'POST', path: '/cgi-bin/stable_token', errcode: 0, forceRefresh: false });
		assert.ok(!('force_refresh' in (new WeChatMiniProgramApi().test.request.body as object)));
	});

	it('says which field or setting to fix, and never repeats the secret', async () => {
		const cases: Array<[Record<string, string>, RegExp]> = [
			[{ appId: 'wx_not_this_one' }, /^Invalid App ID \(40013\): copy AppID from mp\.weixin\.qq\.com → 开发管理 → 开发设置/],
			[{ appSecret: 'not-the-secret-at-all' }, /^Invalid App Secret \(40125\): copy AppSecret/],
		];
		for (const [overrides, expected] of cases) {
			const verdict = await testVerdict(overrides);
			assert.equal(verdict.status, 'Error');
			assert.match(verdict.message, expected);
			assert.ok(!verdict.message.includes('not-the-secret-at-all'));
		}
	});

	it('40164: where to add the IP', async () => {
		fake.whitelist('192.0.2.10');
		try {
			const verdict = await testVerdict();
			assert.equal(verdict.status, 'Error');
			assert.match(verdict.message, /\(40164\).*mp\.weixin\.qq\.com → 开发管理 → 开发设置 → IP白名单/);
		} finally {
			fake.whitelist(undefined);
		}
	});

	it('-1: WeChat busy, try again', async () => {
		fake.injectError('/cgi-bin/stable_token', -1);
		assert.equal((await testVerdict()).message, 'WeChat is busy (-1): try again in a moment.');
	});
});
