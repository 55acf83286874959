/**
 * The WhatsApp Web node's operations on n8n-core's engine against the loopback fake gateway: what each sends,
 * what it outputs, and what a person reads when the gateway says no (its code, the HTTP status, what to do).
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';

import { FAKE_QR_PNG, startFakeGateway, type FakeGateway } from '../fakes/whatsapp';
import { cleanupHarness, requireBuilt, runNode } from './harness';

let gateway: FakeGateway;

before(async () => {
	gateway = await startFakeGateway();
});
after(async () => {
	await gateway.close();
	cleanupHarness();
});
beforeEach(() => {
	gateway.state = 'READY';
	gateway.reason = null;
	gateway.rateLimitSeconds = undefined;
	gateway.stallMs = undefined;
	gateway.sent.length = 0;
	gateway.requests.length = 0;
});

function credentials(overrides: Record<string, string> = {}) {
	return {
		whatsAppWebGatewayApi: { baseUrl: gateway.url, apiKey: gateway.apiKey, webhookSecret: gateway.webhookSecret, ...overrides },
	};
}

async function run(parameters: import('n8n-workflow').INodeParameters, extra: Partial<Parameters<typeof runNode>[0]> = {}) {
	return await runNode({ nodeType: 'whatsAppWeb', parameters, credentials: credentials(), ...extra });
}

describe('WhatsApp Web: Session', () => {
	it('Get Status gives the gateway\'s /status, with the key in X-Api-Key', async () => {
		const { outputs, error } = await run({ resource: 'session', operation: 'getStatus' });
		assert.equal(error, undefined);
		assert.equal(outputs[0][0].json.state, 'READY');
		assert.deepEqual(outputs[0][0].json.me, { id: '8613900000000@c.us', phone: '8613900000000', name: 'Shop' });
		assert.deepEqual(gateway.requests, [{ method: 'GET', path: '/status', authorized: true }]);
	});

	it('Get Status of a FAILED session gives its reason and detail', async () => {
		gateway.state = 'FAILED';
		gateway.reason = 'cannot_reach_whatsapp_web';
		gateway.detail = 'net::ERR_NAME_NOT_RESOLVED';
		const { outputs } = await run({ resource: 'session', operation: 'getStatus' });
		assert.equal(outputs[0][0].json.reason, 'cannot_reach_whatsapp_web');
		assert.equal(outputs[0][0].json.detail, 'net::ERR_NAME_NOT_RESOLVED');
	});

	it('Get QR Code gives the PNG as a binary field', async () => {
		gateway.state = 'QR';
		const { outputs, error } = await run({ resource: 'session', operation: 'getQrCode', binaryPropertyName: 'qr' });
		assert.equal(error, undefined);
		const item = outputs[0][0];
		assert.equal(item.json.qrPending, true);
		assert.equal(item.binary?.qr.mimeType, 'image/png');
		assert.equal(item.binary?.qr.fileName, 'whatsapp-qr.png');
		assert.deepEqual(Buffer.from(item.binary?.qr.data ?? '', 'base64'), FAKE_QR_PNG);
	});

	it('Get QR Code when none is pending names no_qr, 404 and the state', async () => {
		const { error } = await run({ resource: 'session', operation: 'getQrCode', binaryPropertyName: 'data' });
		assert.equal(error?.message, 'The WhatsApp Web gateway answered no_qr (HTTP 404)');
		assert.match(String(error?.description), /No QR code is pending \(No QR code is pending: the session is READY\.\)/);
	});

	it('Request Pairing Code sends the phone and gives the code', async () => {
		gateway.state = 'QR';
		const { outputs } = await run({ resource: 'session', operation: 'requestPairingCode', phone: '+86 138 0000 0000' });
		assert.deepEqual(outputs[0][0].json, { code: 'ABCD1234' });
		assert.equal(gateway.state, 'PAIRING_CODE');
	});

	it('Log Out asks POST /logout', async () => {
		const { outputs } = await run({ resource: 'session', operation: 'logOut' });
		assert.deepEqual(outputs[0][0].json, { state: 'STOPPED' });
		assert.deepEqual(gateway.requests.map((r) => `${r.method} ${r.path}`), ['POST /logout']);
	});
});

describe('WhatsApp Web: Message', () => {
	it('Send Text sends to and text, and gives messageId, chatId and conversationId', async () => {
		const { outputs, error } = await run({ resource: 'message', operation: 'sendText', to: '+86 138 0000 0000', text: '您好' });
		assert.equal(error, undefined);
		assert.deepEqual(gateway.sent, [{ to: '+86 138 0000 0000', text: '您好' }]);
		assert.equal(outputs[0][0].json.chatId, '8613800000000@c.us');
		assert.equal(outputs[0][0].json.conversationId, '8613800000000@c.us');
		assert.match(String(outputs[0][0].json.messageId), /^true_8613800000000@c\.us_/);
	});

	it('Send Text answers the trigger item\'s chat by default', async () => {
		const { error } = await run(
			{ resource: 'message', operation: 'sendText', to: '={{ $json.conversationId }}', text: 'hi' },
			{ items: [{ conversationId: '1234567890@lid' }] },
		);
		assert.equal(error, undefined);
		assert.equal(gateway.sent[0].to, '1234567890@lid');
	});

	it('Send Text over the hourly cap names rate_limited, 429 and the Retry-After seconds', async () => {
		gateway.rateLimitSeconds = 120;
		const { error } = await run({ resource: 'message', operation: 'sendText', to: '+8613800000000', text: 'hi' });
		assert.equal(error?.message, 'The WhatsApp Web gateway answered rate_limited (HTTP 429)');
		assert.match(String(error?.description), /try again in 120 s/);
	});

	it('Send Text while the session is not ready names not_ready, 409 and the state', async () => {
		gateway.state = 'QR';
		const { error } = await run({ resource: 'message', operation: 'sendText', to: '+8613800000000', text: 'hi' });
		assert.equal(error?.message, 'The WhatsApp Web gateway answered not_ready (HTTP 409)');
		assert.match(String(error?.description), /The session is QR\./);
		assert.match(String(error?.description), /Get Status/);
	});

	it('Send Text to a number without WhatsApp names not_on_whatsapp and Check Number', async () => {
		const { error } = await run({ resource: 'message', operation: 'sendText', to: '+1 555 0100', text: 'hi' });
		assert.equal(error?.message, 'The WhatsApp Web gateway answered not_on_whatsapp (HTTP 404)');
		assert.match(String(error?.description), /Check Number/);
	});

	it('Send Text refuses an empty text and a text over 4096 characters before calling the gateway', async () => {
		const empty = await run({ resource: 'message', operation: 'sendText', to: '+8613800000000', text: '  ' });
		assert.equal(empty.error?.message, 'The message text is empty');
		const long = await run({ resource: 'message', operation: 'sendText', to: '+8613800000000', text: 'x'.repeat(4097) });
		assert.match(String(long.error?.message), /4097 characters; WhatsApp takes at most 4096/);
		assert.equal(gateway.requests.length, 0);
	});

	it('Send Media from a binary field sends base64, MIME type, file name and caption', async () => {
		const pdf = Buffer.from('%PDF-1.4 fake');
		const { error } = await run(
			{ resource: 'message', operation: 'sendMedia', to: '+8613800000000', source: 'binary', binaryPropertyName: 'data', caption: '目录', fileName: '' },
			{ binary: { data: { data: pdf, fileName: 'catalogue.pdf', mimeType: 'application/pdf' } } },
		);
		assert.equal(error, undefined);
		assert.deepEqual(gateway.sent, [
			{
				to: '+8613800000000',
				media: { base64: pdf.toString('base64'), mimetype: 'application/pdf', filename: 'catalogue.pdf' },
				caption: '目录',
			},
		]);
	});

	it('Send Media from a URL sends the URL for the gateway to download', async () => {
		const { error } = await run({
			resource: 'message',
			operation: 'sendMedia',
			to: '120363000000000000@g.us',
			source: 'url',
			url: 'https://example.com/a.pdf',
			caption: '',
			fileName: '',
		});
		assert.equal(error, undefined);
		assert.deepEqual(gateway.sent, [{ to: '120363000000000000@g.us', media: { url: 'https://example.com/a.pdf' } }]);
	});

	it('Send Media refuses a URL that is not http(s)', async () => {
		const { error } = await run({ resource: 'message', operation: 'sendMedia', to: '+8613800000000', source: 'url', url: 'file:///etc/passwd' });
		assert.equal(error?.message, 'The media URL must start with http:// or https://');
		assert.equal(gateway.requests.length, 0);
	});
});

describe('WhatsApp Web: Contact', () => {
	it('Check Number gives exists and the chat ID', async () => {
		const yes = await run({ resource: 'contact', operation: 'checkNumber', number: '+86 138-0000-0000' });
		assert.deepEqual(yes.outputs[0][0].json, { number: '8613800000000', exists: true, chatId: '8613800000000@c.us' });
		const no = await run({ resource: 'contact', operation: 'checkNumber', number: '+1 555 0100' });
		assert.equal(no.outputs[0][0].json.exists, false);
		assert.deepEqual(gateway.requests.map((r) => r.path), ['/contacts/8613800000000', '/contacts/15550100']);
	});
});

describe('WhatsApp Web: the gateway unreachable, stalled or refusing the key', () => {
	it('a wrong API key names unauthorized, 401 and the credential, and never shows the key', async () => {
		const { error } = await run(
			{ resource: 'session', operation: 'getStatus' },
			{ credentials: credentials({ apiKey: 'wrong-key-do-not-show' }) },
		);
		assert.equal(error?.message, 'The WhatsApp Web gateway answered unauthorized (HTTP 401)');
		assert.match(String(error?.description), /API key the gateway was started with/);
		assert.doesNotMatch(JSON.stringify(error), /wrong-key-do-not-show/);
	});

	it('a gateway that is not there is named with its address and what to check', async () => {
		const closed = await startFakeGateway();
		const url = closed.url;
		await closed.close();
		const { error } = await run({ resource: 'session', operation: 'getStatus' }, { credentials: credentials({ baseUrl: url }) });
		assert.equal(error?.message, `Could not reach the WhatsApp Web gateway at ${url}`);
		assert.match(String(error?.description), /^The connection failed with ECONNREFUSED\. Check that the gateway runs .*Base URL/);
		assert.doesNotMatch(JSON.stringify(error), new RegExp(gateway.apiKey));
	});

	it('a stalled gateway fails at the time limit, saying so', async () => {
		const { GATEWAY_TIMEOUTS } = await requireBuilt<typeof import('../../nodes/WhatsAppWeb/transport/timeouts')>(
			'dist/nodes/WhatsAppWeb/transport/timeouts.js',
		);
		const saved = GATEWAY_TIMEOUTS.callMs;
		GATEWAY_TIMEOUTS.callMs = 200;
		gateway.stallMs = 2_000;
		try {
			const { error } = await run({ resource: 'session', operation: 'getStatus' });
			assert.match(String(error?.message), /did not answer GET \/status within 0 s/);
		} finally {
			GATEWAY_TIMEOUTS.callMs = saved;
			gateway.stallMs = undefined;
		}
	});

	describe('a send that meets a gateway restart', () => {
		let timeouts: typeof import('../../nodes/WhatsAppWeb/transport/timeouts').GATEWAY_TIMEOUTS;
		let saved: { restartWaitMs: number; restartRetryMs: number };
		before(async () => {
			({ GATEWAY_TIMEOUTS: timeouts } = await requireBuilt<typeof import('../../nodes/WhatsAppWeb/transport/timeouts')>(
				'dist/nodes/WhatsAppWeb/transport/timeouts.js',
			));
			saved = { restartWaitMs: timeouts.restartWaitMs, restartRetryMs: timeouts.restartRetryMs };
			timeouts.restartRetryMs = 20;
		});
		after(() => Object.assign(timeouts, saved));
		const sends = () => gateway.requests.filter((r) => r.method === 'POST' && r.path === '/send').length;

		it('goes out once the session is READY again (it was STARTING: nothing had been sent)', async () => {
			timeouts.restartWaitMs = 10_000;
			gateway.state = 'STARTING';
			const ready = setTimeout(() => (gateway.state = 'READY'), 150);
			try {
				const { error, outputs } = await run({ resource: 'message', operation: 'sendText', to: '+8613800000000', text: 'hi' });
				assert.equal(error, undefined);
				assert.equal(outputs[0][0].json.chatId, '8613800000000@c.us');
			} finally {
				clearTimeout(ready);
			}
			assert.equal(gateway.sent.length, 1);
			assert.ok(sends() > 1, 'the send was not tried again');
		});

		it('fails at once when the session waits for a QR code: a person must act', async () => {
			timeouts.restartWaitMs = 10_000;
			gateway.state = 'QR';
			const { error } = await run({ resource: 'message', operation: 'sendText', to: '+8613800000000', text: 'hi' });
			assert.equal(error?.message, 'The WhatsApp Web gateway answered not_ready (HTTP 409)');
			assert.equal(sends(), 1);
		});

		it('a gateway that stays away fails with what to check once the wait is over', async () => {
			timeouts.restartWaitMs = 200;
			const closed = await startFakeGateway();
			const url = closed.url;
			await closed.close();
			const { error } = await run(
				{ resource: 'message', operation: 'sendText', to: '+8613800000000', text: 'hi' },
				{ credentials: credentials({ baseUrl: url }) },
			);
			assert.equal(error?.message, `Could not reach the WhatsApp Web gateway at ${url}`);
			assert.match(String(error?.description), /ECONNREFUSED/);
		});
	});

	it('continue on fail gives an error item with what to do', async () => {
		gateway.state = 'QR';
		const { outputs } = await run(
			{ resource: 'message', operation: 'sendText', to: '+8613800000000', text: 'hi' },
			{ onError: 'continueRegularOutput' },
		);
		assert.equal(outputs[0][0].json.error, 'The WhatsApp Web gateway answered not_ready (HTTP 409)');
		assert.match(String(outputs[0][0].json.description), /Get Status/);
	});
});
