/**
 * The WeChat Mini Program API credential's "Test" in a real n8n against the mini-program fake: n8n fills the
 * declared stable_token request (a JSON body with $credentials) and reads the answer with the credential's
 * rules. Proves what the unit test can only imitate: that n8n sends the body as JSON WeChat accepts, in
 * normal mode.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { startFakeMiniProgram, type FakeMiniProgram } from '../fakes/miniprogram';
import { type N8nInstance, startN8n } from './harness';

describe('WeChat Mini Program API credential: Test in a real n8n', () => {
	let n8n: N8nInstance;
	let fake: FakeMiniProgram;
	let credential: { id: string; name: string };
	const TYPE = 'weChatMiniProgramApi';
	const data = (overrides: Record<string, string> = {}) => ({
		appId: fake.appId,
		appSecret: fake.appSecret,
		baseUrl: fake.url,
		...overrides,
	});

	before(async () => {
		fake = await startFakeMiniProgram();
		n8n = await startN8n();
		credential = await n8n.createCredential(TYPE, 'Mini program (fake)', data());
	});
	after(async () => {
		await n8n?.stop();
		await fake?.close();
	});

	it('a right App ID and App Secret: a stable token in normal mode', async () => {
		const verdict = await n8n.testCredential(credential, TYPE, data());
		assert.equal(verdict.status, 'OK', verdict.message);
		const call = fake.calls.at(-1);
		assert.deepEqual(call, { method: 'POST', path: '/cgi-bin/stable_token', errcode: 0, forceRefresh: false });
		assert.equal(fake.calls.filter((c) => c.path === '/cgi-bin/token').length, 0);
	});

	it('a wrong App Secret, a wrong App ID, an IP outside the whitelist, WeChat busy: what to do', async () => {
		const secret = await n8n.testCredential(credential, TYPE, data({ appSecret: 'a-wrong-app-secret-value' }));
		assert.equal(secret.status, 'Error');
		assert.match(secret.message, /^Invalid App Secret \(40125\)/);

		const id = await n8n.testCredential(credential, TYPE, data({ appId: 'wx_not_this_one' }));
		assert.match(id.message, /^Invalid App ID \(40013\)/);

		fake.whitelist('192.0.2.44');
		try {
			const ip = await n8n.testCredential(credential, TYPE, data());
			assert.match(ip.message, /\(40164\).*IP白名单/);
		} finally {
			fake.whitelist(undefined);
		}

		fake.injectError('/cgi-bin/stable_token', -1);
		assert.equal((await n8n.testCredential(credential, TYPE, data())).message, 'WeChat is busy (-1): try again in a moment.');
	});
});
