/**
 * The WhatsApp Web Trigger: its webhook() on n8n-core's real WebhookContext (signature over the raw body,
 * timestamp window, filters, the item it gives) and its webhookMethods on n8n-core's HookContext (registering
 * its production URL with the gateway on publish, removing it on unpublish), against the loopback fake gateway.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { messageData, signEvent, startFakeGateway, type FakeGateway } from '../fakes/whatsapp';
import { callHookMethod, callWebhook, cleanupHarness } from './harness';

let gateway: FakeGateway;
before(async () => {
	gateway = await startFakeGateway();
});
after(async () => {
	await gateway.close();
	cleanupHarness();
});

function credentials() {
	return { whatsAppWebGatewayApi: { baseUrl: gateway.url, apiKey: gateway.apiKey, webhookSecret: gateway.webhookSecret } };
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

async function deliver(
	signed: { body: string; headers: Record<string, string> },
	events: string[] = ['incoming', 'ownFromPhone', 'ownFromGateway', 'ack', 'sessionState'],
) {
	return await callWebhook({
		nodeType: 'whatsAppWebTrigger',
		parameters: { events },
		credentials: credentials(),
		webhookName: 'default',
		method: 'POST',
		body: signed.body,
		headers: signed.headers,
	});
}

function assertRefused(result: Awaited<ReturnType<typeof deliver>>): void {
	assert.equal(result.res.statusCode, 401);
	assert.equal(result.res.body, 'Unauthorized');
	assert.deepEqual(result.response, { noWebhookResponse: true });
}

describe('WhatsApp Web Trigger: who may start the workflow', () => {
	it('a signed, fresh event starts one execution and n8n answers OK once it is stored', async () => {
		const result = await deliver(signEvent(gateway.webhookSecret, 'message', messageData({ body: '价格' })));
		assert.equal(result.res.headersSent, false, 'n8n answers, not the trigger');
		assert.equal(result.response.webhookResponse, 'OK');
		assert.equal(result.response.workflowData?.[0].length, 1);
	});

	it('a wrong signature is refused with 401 and no execution', async () => {
		assertRefused(await deliver(signEvent('another-secret', 'message', messageData())));
	});

	it('a body changed after signing is refused (the signature covers the raw bytes)', async () => {
		const signed = signEvent(gateway.webhookSecret, 'message', messageData({ body: 'hi' }));
		assertRefused(await deliver({ ...signed, body: signed.body.replace('"hi"', '"hi "') }));
	});

	it('re-serialised JSON with the same meaning is refused: only the bytes as sent count', async () => {
		const signed = signEvent(gateway.webhookSecret, 'message', messageData());
		assertRefused(await deliver({ ...signed, body: JSON.stringify(JSON.parse(signed.body), null, 1) }));
	});

	it('a timestamp more than 300 s away is refused, also when correctly signed', async () => {
		assertRefused(await deliver(signEvent(gateway.webhookSecret, 'message', messageData(), { timestamp: nowSeconds() - 301 })));
		assertRefused(await deliver(signEvent(gateway.webhookSecret, 'message', messageData(), { timestamp: nowSeconds() + 301 })));
		const edge = await deliver(signEvent(gateway.webhookSecret, 'message', messageData(), { timestamp: nowSeconds() - 250 }));
		assert.equal(edge.response.workflowData?.[0].length, 1);
	});

	it('a signed timestamp swapped for a fresh one is refused', async () => {
		const old = signEvent(gateway.webhookSecret, 'message', messageData(), { timestamp: nowSeconds() - 3600 });
		assertRefused(await deliver({ ...old, headers: { ...old.headers, 'x-gateway-timestamp': String(nowSeconds()) } }));
	});

	it('missing headers are refused', async () => {
		const signed = signEvent(gateway.webhookSecret, 'message', messageData());
		assertRefused(await deliver({ body: signed.body, headers: { 'content-type': 'application/json' } }));
	});

	it('a webhook secret left empty in the credential refuses everything, also events signed with an empty key', async () => {
		const signed = signEvent('', 'message', messageData());
		const result = await callWebhook({
			nodeType: 'whatsAppWebTrigger',
			parameters: { events: ['incoming'] },
			credentials: { whatsAppWebGatewayApi: { baseUrl: gateway.url, apiKey: gateway.apiKey, webhookSecret: '' } },
			webhookName: 'default',
			method: 'POST',
			body: signed.body,
			headers: signed.headers,
		});
		assertRefused(result);
	});

	it('a signed body that is not an event is answered 400 with no execution', async () => {
		const signed = signEvent(gateway.webhookSecret, 'message', messageData());
		const body = '{"hello":1}';
		const timestamp = signed.headers['x-gateway-timestamp'];
		const { createHmac } = await import('node:crypto');
		const signature = 'sha256=' + createHmac('sha256', gateway.webhookSecret).update(`${timestamp}.${body}`).digest('hex');
		const result = await deliver({ body, headers: { ...signed.headers, 'x-gateway-signature': signature } });
		assert.equal(result.res.statusCode, 400);
		assert.deepEqual(result.response, { noWebhookResponse: true });
	});
});

describe('WhatsApp Web Trigger: filters and items', () => {
	const cases: Array<[string, string, Record<string, unknown>]> = [
		['incoming', 'message', messageData()],
		['ownFromPhone', 'message.own', messageData({ fromMe: true, sentByGateway: false })],
		['ownFromGateway', 'message.own', messageData({ fromMe: true, sentByGateway: true })],
		['ack', 'message.ack', { messageId: 'true_8613800000000@c.us_X', chatId: '8613800000000@c.us', ack: 3 }],
		['sessionState', 'session.state', { state: 'FAILED', reason: 'cannot_reach_whatsapp_web', ready: false }],
	];

	for (const [choice, type, data] of cases) {
		it(`"${choice}" starts the workflow only when chosen`, async () => {
			const chosen = await deliver(signEvent(gateway.webhookSecret, type, data), [choice]);
			assert.equal(chosen.response.workflowData?.[0][0].json.event, choice);
			const others = cases.map(([c]) => c).filter((c) => c !== choice);
			const dropped = await deliver(signEvent(gateway.webhookSecret, type, data), others);
			assert.equal(dropped.res.statusCode, 200, 'acknowledged, so the gateway does not retry it');
			assert.deepEqual(dropped.response, { noWebhookResponse: true });
		});
	}

	it('an incoming message item has the contract\'s fields plus conversationId and text, for AutoReply', async () => {
		const data = messageData({ body: '我要转人工', from: '1234567890@lid', fromLid: '1234567890@lid', fromPhone: null, chatId: '1234567890@lid' });
		const result = await deliver(signEvent(gateway.webhookSecret, 'message', data, { id: 'evt_1' }), ['incoming']);
		assert.deepEqual(result.response.workflowData?.[0][0].json, {
			event: 'incoming',
			eventType: 'message',
			eventId: 'evt_1',
			session: 'default',
			...data,
			conversationId: '1234567890@lid',
			text: '我要转人工',
		});
	});

	it('an event type the node does not know is acknowledged and dropped', async () => {
		const result = await deliver(signEvent(gateway.webhookSecret, 'call.incoming', { from: 'x' }));
		assert.equal(result.res.statusCode, 200);
		assert.deepEqual(result.response, { noWebhookResponse: true });
	});
});

/** The node's own part of the workflow's static data, where n8n keeps getWorkflowStaticData('node'). */
const NODE_DATA = 'node:Trigger Under Test';

describe('WhatsApp Web Trigger: registration on publish and unpublish', () => {
	it('publish registers the production URL for the chosen event types; unpublish removes it', async () => {
		const staticData: Record<string, Record<string, string>> = {};
		const parameters = { events: ['incoming', 'ownFromPhone', 'ownFromGateway'] };
		const hook = (method: 'checkExists' | 'create' | 'delete') =>
			callHookMethod({ nodeType: 'whatsAppWebTrigger', parameters, credentials: credentials(), method, staticData });

		assert.equal((await hook('checkExists')).result, false);
		const created = await hook('create');
		assert.equal(created.result, true);
		const [registration] = gateway.webhooks.list();
		assert.equal(registration.url, created.webhookUrl);
		assert.match(created.webhookUrl, /^http:\/\/127\.0\.0\.1:5678\/webhook\/.+\/webhook$/);
		assert.deepEqual(registration.events, ['message', 'message.own']);
		assert.deepEqual(staticData[NODE_DATA], { webhookId: registration.id });
		assert.equal((await hook('checkExists')).result, true);

		assert.equal((await hook('delete')).result, true);
		assert.deepEqual(gateway.webhooks.list(), []);
		assert.deepEqual(staticData[NODE_DATA], {});
	});

	it('a registration gone at the gateway, or for other events, is made again', async () => {
		const staticData: Record<string, Record<string, string>> = {};
		const run = (events: string[], method: 'checkExists' | 'create' | 'delete') =>
			callHookMethod({ nodeType: 'whatsAppWebTrigger', parameters: { events }, credentials: credentials(), method, staticData });
		await run(['incoming'], 'create');
		assert.equal((await run(['incoming', 'ack'], 'checkExists')).result, false, 'other events: register again');
		await run(['incoming', 'ack'], 'create');
		assert.equal(gateway.webhooks.list().length, 1, 'the same URL is updated, not added twice');
		assert.deepEqual(gateway.webhooks.list()[0].events, ['message', 'message.ack']);

		gateway.webhooks.registrations.clear();
		assert.equal((await run(['incoming', 'ack'], 'checkExists')).result, false);
		assert.deepEqual(staticData[NODE_DATA], {});
	});

	it('unpublish after the gateway lost the registration succeeds', async () => {
		const staticData: Record<string, Record<string, string>> = { [NODE_DATA]: { webhookId: 'wh_gone' } };
		const { result } = await callHookMethod({
			nodeType: 'whatsAppWebTrigger',
			parameters: { events: ['incoming'] },
			credentials: credentials(),
			method: 'delete',
			staticData,
		});
		assert.equal(result, true);
		assert.deepEqual(staticData[NODE_DATA], {});
	});

	it('publish with a gateway that refuses the key fails with what to do', async () => {
		await assert.rejects(
			callHookMethod({
				nodeType: 'whatsAppWebTrigger',
				parameters: { events: ['incoming'] },
				credentials: { whatsAppWebGatewayApi: { baseUrl: gateway.url, apiKey: 'wrong', webhookSecret: 's' } },
				method: 'create',
				staticData: {},
			}),
			/answered unauthorized \(HTTP 401\)/,
		);
	});
});

describe('WhatsApp Web Trigger: the gateway delivers at least once', () => {
	/** One workflow's deliveries: the same workflow and node ids, so they share the trigger's memory as in n8n. */
	const post = (workflowId: string, signed: { body: string; headers: Record<string, string> }) =>
		callWebhook({
			nodeType: 'whatsAppWebTrigger',
			parameters: { events: ['incoming'] },
			credentials: credentials(),
			webhookName: 'default',
			method: 'POST',
			body: signed.body,
			headers: signed.headers,
			workflowId,
		});
	const message = (id: string) => signEvent(gateway.webhookSecret, 'message', messageData({ body: '价格' }), { id });

	it('an event delivered again with the same id after n8n stored it: 200 and no second execution', async () => {
		const first = await post('wf-wa-repeat', message('evt_repeat'));
		assert.equal(first.response.workflowData?.[0].length, 1);
		first.res.finish(200); // n8n stored the execution; its answer was lost on the way (gateway timeout)
		// Signed again, as the gateway does for each attempt.
		const again = await post('wf-wa-repeat', message('evt_repeat'));
		assert.equal(again.res.statusCode, 200);
		assert.equal(again.res.body, 'OK');
		assert.deepEqual(again.response, { noWebhookResponse: true });
		const other = await post('wf-wa-repeat', message('evt_other'));
		assert.equal(other.response.workflowData?.[0].length, 1, 'another event runs');
	});

	it('a repeat while n8n is still storing the first delivery waits for its answer: stored, so no run', async () => {
		const first = await post('wf-wa-pending', message('evt_pending'));
		const repeat = post('wf-wa-pending', message('evt_pending'));
		await new Promise((resolve) => setImmediate(resolve));
		first.res.finish(200);
		const { response, res } = await repeat;
		assert.equal(res.statusCode, 200);
		assert.equal(response.workflowData, undefined);
	});

	it('when n8n answered the first delivery with an error, the repeat runs', async () => {
		const first = await post('wf-wa-failed', message('evt_failed'));
		first.res.finish(500);
		const repeat = await post('wf-wa-failed', message('evt_failed'));
		assert.equal(repeat.response.workflowData?.[0].length, 1);
	});

	it('two workflows with the same event each run it once', async () => {
		const one = await post('wf-wa-one', message('evt_shared'));
		one.res.finish(200);
		const two = await post('wf-wa-two', message('evt_shared'));
		assert.equal(two.response.workflowData?.[0].length, 1);
	});
});

describe('WhatsApp Web Trigger: the webhook secret is cached', () => {
	const post = (webhookSecret: string, signedWith: string, credentialId = 'cred-wa-cache') =>
		callWebhook({
			nodeType: 'whatsAppWebTrigger',
			parameters: { events: ['incoming'] },
			credentials: { whatsAppWebGatewayApi: { baseUrl: gateway.url, apiKey: gateway.apiKey, webhookSecret } },
			credentialId,
			webhookName: 'default',
			method: 'POST',
			...signEvent(signedWith, 'message', messageData()),
		});

	it('five deliveries read the credential once', async () => {
		let reads = 0;
		for (let i = 0; i < 5; i++) {
			const { response, credentialReads } = await post('secret-one', 'secret-one', 'cred-wa-reads');
			assert.equal(response.workflowData?.[0].length, 1);
			reads += credentialReads;
		}
		assert.equal(reads, 1);
	});

	it('a secret changed in the credential is read at once when the workflow is published again; the old one no longer passes', async () => {
		const credentialId = 'cred-whatsAppWebGatewayApi'; // the id the publish below uses
		assert.equal((await post('old-secret', 'old-secret', credentialId)).response.workflowData?.[0].length, 1);
		const changed = { whatsAppWebGatewayApi: { baseUrl: gateway.url, apiKey: gateway.apiKey, webhookSecret: 'new-secret' } };
		await callHookMethod({ nodeType: 'whatsAppWebTrigger', parameters: { events: ['incoming'] }, credentials: changed, method: 'create', staticData: {} });
		const after = await post('new-secret', 'new-secret', credentialId);
		assert.equal(after.response.workflowData?.[0].length, 1);
		const replayed = await post('new-secret', 'old-secret', credentialId);
		assert.equal(replayed.res.statusCode, 401, 'the old secret no longer passes');
	});

	it('forged deliveries cost no credential read each', async () => {
		await post('real-secret', 'real-secret', 'cred-wa-forged');
		let reads = 0;
		for (let i = 0; i < 5; i++) {
			const { res, credentialReads } = await post('real-secret', 'forged', 'cred-wa-forged');
			assert.equal(res.statusCode, 401);
			reads += credentialReads;
		}
		assert.ok(reads <= 1, `at most one reload within 10 s, got ${reads}`);
	});
});
