/**
 * The WeChat Mini Program Trigger in a real n8n: the URL check through n8n's GET webhook, subscribe events in
 * JSON (n8n parses application/json bodies itself; the trigger reads the raw bytes) and XML, one item per
 * template in the stored execution, "success" only after n8n stored it, and a forged push refused without a run.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { withQuery } from '../fakes/wecom/callback';
import { newPushSecrets, safePush, subscribeEvent, urlCheckQuery, type PushRequest } from '../fakes/miniprogram/push';
import { type N8nInstance, startN8n, waitForWebhook, type WorkflowJson } from './harness';

const webhookId = '5b7d3c0e-9a41-4c6e-8f12-7e3a9d2b6c51';
const TRIGGER = 'WeChat Mini Program Trigger';

const workflow: WorkflowJson = {
	name: 'Mini-program push (e2e)',
	nodes: [
		{
			name: TRIGGER,
			type: 'n8n-nodes-kefu.weChatMiniProgramTrigger',
			typeVersion: 1.1,
			position: [0, 0],
			webhookId,
			parameters: {
				events: ['subscribe_msg_popup_event', 'subscribe_msg_change_event', 'subscribe_msg_sent_event'],
				options: {},
			},
		},
	],
	connections: {},
};

describe('WeChat Mini Program Trigger (real n8n)', () => {
	const secrets = newPushSecrets('wxabcdef0123456789');
	let n8n: N8nInstance;
	let url: string;
	let workflowId: string;

	async function send(request: PushRequest): Promise<Response> {
		return await fetch(withQuery(url, request.query), {
			method: 'POST',
			headers: { 'content-type': request.format === 'json' ? 'application/json' : 'text/xml' },
			body: request.body,
		});
	}

	before(async () => {
		n8n = await startN8n();
		const credential = await n8n.createCredential('weChatMiniProgramPushApi', 'Mini-program push', { ...secrets });
		({ id: workflowId } = await n8n.importWorkflow(workflow, { [TRIGGER]: { weChatMiniProgramPushApi: credential } }));
		await n8n.publish(workflowId);
		url = n8n.webhookUrl(webhookId, 'webhook');
		await waitForWebhook(withQuery(url, urlCheckQuery(secrets, 'warm-up')));
	});

	after(async () => {
		await n8n?.stop();
	});

	it('answers the URL check with echostr as plain text', async () => {
		const res = await fetch(withQuery(url, urlCheckQuery(secrets, '4375120948345356249')));
		assert.equal(res.status, 200);
		assert.match(String(res.headers.get('content-type')), /text\/plain/);
		assert.equal(await res.text(), '4375120948345356249');
	});

	it('a JSON popup event with two templates and an XML change event: one item per template', async () => {
		const popup = subscribeEvent(
			'subscribe_msg_popup_event',
			'oAlice',
			[
				{ TemplateId: 'tplBooking', SubscribeStatusString: 'accept', PopupScene: '0' },
				{ TemplateId: 'tplNews', SubscribeStatusString: 'reject', PopupScene: '0' },
			],
			'json',
		);
		const first = await send(safePush(secrets, popup, 'json'));
		assert.equal(first.status, 200);
		assert.equal(await first.text(), 'success');
		const change = subscribeEvent('subscribe_msg_change_event', 'oAlice', [{ TemplateId: 'tplBooking', SubscribeStatusString: 'reject' }], 'xml');
		const second = await send(safePush(secrets, change, 'xml'));
		assert.equal(await second.text(), 'success');

		const executions = await n8n.waitForExecutions(workflowId, 2);
		const items = (
			await Promise.all(executions.map(async (execution) => await n8n.nodeItems(execution.id, TRIGGER)))
		).flatMap((list) => list.map(({ json }) => `${String(json.event)} ${String(json.openid)} ${String(json.templateId)} ${String(json.status)}`));
		assert.deepEqual(items.sort(), [
			'subscribe_msg_change_event oAlice tplBooking reject',
			'subscribe_msg_popup_event oAlice tplBooking accept',
			'subscribe_msg_popup_event oAlice tplNews reject',
		]);
	});

	it('a forged push and one for another App ID get a bare 403 and start nothing', async () => {
		const known = await n8n.executionIds(workflowId);
		const event = subscribeEvent('subscribe_msg_popup_event', 'oMallory', [{ TemplateId: 'tplBooking', SubscribeStatusString: 'accept' }], 'json');
		for (const request of [
			safePush(secrets, event, 'json', { token: 'notTheToken' }),
			safePush(secrets, event, 'json', { appId: 'wxffffffffffffffff' }),
		]) {
			const res = await send(request);
			assert.equal(res.status, 403);
			assert.equal(await res.text(), 'Forbidden');
		}
		assert.deepEqual(await n8n.settledExecutionsSince(workflowId, known), []);
	});
});
