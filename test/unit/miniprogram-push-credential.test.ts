/**
 * The push credential's "Test" checks the shape of values that never leave n8n, and the trigger's refusal
 * log names the mini-program trigger, not WeCom's.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { ICredentialTestFunctions } from 'n8n-workflow';

import { weChatMiniProgramPushApiTest } from '../../nodes/WeChatMiniProgram/trigger/credentialTest';
import { RefusalLog } from '../../nodes/WeCom/callback/refusals';

const good = { appId: 'wx1234567890abcdef', token: 'pushToken42', encodingAesKey: 'a'.repeat(43) };

async function test(data: Record<string, string>) {
	return await weChatMiniProgramPushApiTest.call({} as ICredentialTestFunctions, {
		id: '1',
		name: 'push',
		type: 'weChatMiniProgramPushApi',
		data,
	});
}

describe('WeChat Mini Program Message Push API credential test', () => {
	it('passes well-formed values and says what it could not check', async () => {
		const result = await test(good);
		assert.equal(result.status, 'OK');
		assert.match(result.message, /WeChat checks them/);
	});

	it('names the field to fix, and never echoes a secret', async () => {
		for (const [field, value, expected] of [
			['appId', 'gh_97417a04a28d', /App ID/],
			['token', 'a b', /Token/],
			['encodingAesKey', 'x'.repeat(42), /42 characters/],
		] as const) {
			const result = await test({ ...good, [field]: value });
			assert.equal(result.status, 'Error', field);
			assert.match(result.message, expected);
			if (field !== 'appId') assert.ok(!result.message.includes(value), `${field} leaks into the message`);
		}
	});
});

describe('refusal log', () => {
	it("starts each line with the trigger's name", () => {
		const lines: string[] = [];
		const logger = { warn: (line: string) => lines.push(line), debug: () => {} };
		const log = new RefusalLog(60_000, 10, () => 0, 'WeChat Mini Program Trigger');
		log.record({ workflowId: 'w', nodeId: 'n', nodeName: 'Push' }, 'invalidSignature', 'detail', logger);
		assert.match(lines[0], /^WeChat Mini Program Trigger refused a callback \(invalidSignature\): detail/);
	});
});
