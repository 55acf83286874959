/**
 * Passive reply in a real n8n: callbacks on the WeCom Trigger's /passive URL → WeCom → Passive Reply →
 * Build as the last node. The callback's HTTP answer is WeCom's encrypted reply XML, which opens
 * (signature, decryption, receive ID) to the configured reply for the sender.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import {
	encryptedCallback,
	newSecrets,
	openPassiveReply,
	textMessageXml,
	urlVerification,
	withQuery,
} from '../fakes/wecom/callback';
import { type N8nInstance, startN8n, waitForWebhook, type WorkflowJson } from './harness';

const webhookId = '0f8e51d2-6c3b-4f7e-8a43-2b9d5c1e7a10';

const workflow: WorkflowJson = {
	name: 'WeCom passive reply (e2e)',
	nodes: [
		{
			name: 'WeCom Trigger',
			type: 'n8n-nodes-kefu.weComTrigger',
			typeVersion: 1.1,
			position: [0, 0],
			webhookId,
			parameters: { messageTypes: ['text'], options: {} },
		},
		{
			name: 'Build Reply',
			type: 'n8n-nodes-kefu.weCom',
			typeVersion: 1,
			position: [240, 0],
			parameters: {
				resource: 'passiveReply',
				operation: 'build',
				toUser: "={{ $('WeCom Trigger').item.json.FromUserName }}",
				replyType: 'text',
				content: '={{ "收到：" + $json.Content }}',
			},
		},
	],
	connections: {
		'WeCom Trigger': { main: [[{ node: 'Build Reply', type: 'main', index: 0 }]] },
	},
};

describe('WeCom Trigger passive reply (real n8n)', () => {
	const secrets = newSecrets('ww_passive_corp');
	let n8n: N8nInstance;
	let url: string;

	before(async () => {
		n8n = await startN8n();
		const callback = await n8n.createCredential('weComCallbackApi', 'WeCom Callback', { ...secrets });
		const { id } = await n8n.importWorkflow(workflow, {
			'WeCom Trigger': { weComCallbackApi: callback },
			'Build Reply': { weComCallbackApi: callback },
		});
		await n8n.publish(id);
		url = n8n.webhookUrl(webhookId, 'passive');
		await waitForWebhook(withQuery(url, urlVerification(secrets, 'warm-up')));
	});

	after(async () => {
		await n8n?.stop();
	});

	it('answers the callback with the encrypted reply to the sender', async () => {
		const signed = encryptedCallback(
			secrets,
			textMessageXml({ corpId: secrets.corpId, fromUser: 'zhaoliu', content: '营业时间？', msgId: '7700000000000000001' }),
			{ agentId: '1000002' },
		);
		const res = await fetch(withQuery(url, signed.query), {
			method: 'POST',
			headers: { 'content-type': 'text/xml' },
			body: signed.body,
		});
		assert.equal(res.status, 200);
		assert.match(String(res.headers.get('content-type')), /xml/);
		const reply = openPassiveReply(secrets, await res.text()) as Record<string, string>;
		assert.equal(reply.ToUserName, 'zhaoliu');
		assert.equal(reply.FromUserName, secrets.corpId);
		assert.equal(reply.MsgType, 'text');
		assert.equal(reply.Content, '收到：营业时间？');
	});

	it('still answers the URL check with the plain echo', async () => {
		const res = await fetch(withQuery(url, urlVerification(secrets, 'echo-42')));
		assert.equal(await res.text(), 'echo-42');
	});

	it('the same trigger\'s /webhook URL keeps acknowledging with "success"', async () => {
		const signed = encryptedCallback(
			secrets,
			textMessageXml({ corpId: secrets.corpId, fromUser: 'zhaoliu', content: 'hi', msgId: '7700000000000000002' }),
		);
		const res = await fetch(withQuery(n8n.webhookUrl(webhookId, 'webhook'), signed.query), {
			method: 'POST',
			headers: { 'content-type': 'text/xml' },
			body: signed.body,
		});
		assert.equal(res.status, 200);
		assert.equal(await res.text(), 'success');
	});
});
