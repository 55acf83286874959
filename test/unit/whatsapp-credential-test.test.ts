/**
 * The WhatsApp Web Gateway API credential's "Test": n8n asks GET /status and turns the first rule whose field
 * equals its value into an error with the rule's message (credentials-tester.service.js of n8n 2.41: lodash
 * `get(body, key) === value`, rules in order). Played here against the fake gateway's /status in every state.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { WhatsAppWebGatewayApi } from '../../credentials/WhatsAppWebGatewayApi.credentials';
import { startFakeGateway, type FakeGateway, type SessionState } from '../fakes/whatsapp';

let gateway: FakeGateway;
before(async () => {
	gateway = await startFakeGateway();
});
after(async () => await gateway.close());

/** What n8n's tester says for this /status answer. */
async function testVerdict(): Promise<{ status: 'OK' | 'Error'; message: string }> {
	const credential = new WhatsAppWebGatewayApi();
	const answer = await fetch(`${gateway.url}${credential.test.request.url}`, { headers: { 'X-Api-Key': gateway.apiKey } });
	const body = (await answer.json()) as Record<string, unknown>;
	for (const rule of credential.test.rules ?? []) {
		if (rule.type === 'responseSuccessBody' && body[rule.properties.key] === rule.properties.value) {
			return { status: 'Error', message: rule.properties.message };
		}
	}
	return { status: 'OK', message: 'Connection successful!' };
}

describe('WhatsApp Web Gateway API credential: Test says what to do for each state', () => {
	it('READY passes', async () => {
		gateway.state = 'READY';
		assert.equal((await testVerdict()).status, 'OK');
	});

	const waiting: Array<[SessionState, RegExp]> = [
		['QR', /scan it in WhatsApp → Linked Devices/],
		['PAIRING_CODE', /Link with phone number/],
		['STARTING', /test again in a minute/],
		['AUTHENTICATING', /loading the chats/],
		['STOPPED', /restart the gateway/],
	];
	for (const [state, advice] of waiting) {
		it(`${state} says the key is right and what to do`, async () => {
			gateway.state = state;
			const verdict = await testVerdict();
			assert.equal(verdict.status, 'Error');
			assert.match(verdict.message, new RegExp(`^State ${state}\\. The gateway is reachable and the key is right`));
			assert.match(verdict.message, advice);
		});
	}

	const reasons: Array<[string, RegExp]> = [
		['cannot_reach_whatsapp_web', /internet access, DNS and proxy/],
		['browser_launch_failed', /Chromium path/],
		['profile_locked', /same data folder/],
		['auth_failure', /Log Out/],
		['whatsapp_web_incompatible', /update the gateway/],
		['timeout', /restart the gateway/],
		['logged_out', /new QR code/],
	];
	for (const [reason, advice] of reasons) {
		it(`FAILED with ${reason} names the reason and what to check`, async () => {
			gateway.state = 'FAILED';
			gateway.reason = reason;
			const verdict = await testVerdict();
			assert.equal(verdict.status, 'Error');
			assert.match(verdict.message, new RegExp(`^The WhatsApp session failed \\(${reason}\\)\\. `));
			assert.match(verdict.message, advice);
		});
	}

	it('FAILED with a reason this package does not know still fails, pointing at the log', async () => {
		gateway.state = 'FAILED';
		gateway.reason = 'something_new';
		const verdict = await testVerdict();
		assert.equal(verdict.status, 'Error');
		assert.match(verdict.message, /gateway's log/);
	});
});
