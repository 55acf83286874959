/** The "Test" button of the WeCom Callback API credential: it says what is wrong with each field. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { ICredentialTestFunctions } from 'n8n-workflow';

import { weComCallbackApiTest } from '../../nodes/WeCom/callback/credentialTest';
import { newEncodingAesKey } from '../fakes/wecom/callback';

const test = (data: Record<string, string>) =>
	weComCallbackApiTest.call({} as ICredentialTestFunctions, { id: '1', name: 'c', type: 'weComCallbackApi', data });

describe('WeCom Callback API credential test', () => {
	it('accepts well-formed values', async () => {
		const result = await test({ corpId: 'ww1', token: 'QDG6eK', encodingAesKey: newEncodingAesKey() });
		assert.equal(result.status, 'OK');
	});

	it('names the field to fix', async () => {
		assert.match((await test({ corpId: ' ', token: 'QDG6eK', encodingAesKey: newEncodingAesKey() })).message, /Corp ID/);
		assert.match((await test({ corpId: 'ww1', token: 'a b', encodingAesKey: newEncodingAesKey() })).message, /Token/);
		const short = await test({ corpId: 'ww1', token: 'QDG6eK', encodingAesKey: 'abc' });
		assert.equal(short.status, 'Error');
		assert.match(short.message, /43/);
		assert.doesNotMatch(short.message, /abc/, 'the secret itself is not echoed');
	});
});
