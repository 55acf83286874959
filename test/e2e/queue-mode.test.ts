/**
 * The package on n8n's distributed engine: the set `npm run start:queue` runs (Postgres, Redis, n8n main, a
 * webhook process behind the round-robin load balancer, two workers), started by the harness in a temporary
 * folder. The shipped "WeCom app AI assistant" template is published through main's API; one encrypted
 * callback arrives at the load balancer, the webhook process answers it, a worker runs the execution (its log
 * says so, and main's never does), the reply reaches the fake WeCom; then the whole set stops with no process
 * left behind.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { startFakeOpenAi } from '../fakes/openai';
import { startFakeWeComApi } from '../fakes/wecom';
import { encryptedCallback, newSecrets, textMessageXml, urlVerification, withQuery } from '../fakes/wecom/callback';
import { createTemplateCredentials, importTemplate, readTemplate, waitForWebhook } from './harness';
import { liveGroupMembers, type QueueN8nInstance, startN8nQueue, stillRunning } from './harness-queue';

const { template, webhookId } = readTemplate('wecom-app-ai-assistant.json');

describe('queue mode: a WeCom callback through the load balancer runs on a worker', () => {
	const secrets = newSecrets('ww_queue_corp');
	let n8n: QueueN8nInstance | undefined;
	let wecom: Awaited<ReturnType<typeof startFakeWeComApi>>;
	let openai: Awaited<ReturnType<typeof startFakeOpenAi>>;
	let workflowId: string;

	before(async () => {
		wecom = await startFakeWeComApi({ corpId: secrets.corpId, apps: [{ agentId: 1000002, secret: 'fake-secret' }] });
		openai = await startFakeOpenAi();
		n8n = await startN8nQueue({ workers: 2, webhooks: 1 });
		const credentials = await createTemplateCredentials(n8n, { secrets, weComUrl: wecom.url, openAiUrl: openai.url });
		({ id: workflowId } = await importTemplate(n8n, template, credentials));
		await n8n.publish(workflowId);
	});

	after(async () => {
		await n8n?.stop();
		await wecom?.close();
		await openai?.close();
	});

	it('answers the URL check at the load balancer, from the webhook process', async () => {
		const url = withQuery(n8n!.webhookUrl(webhookId), urlVerification(secrets, 'queue-echo'));
		await waitForWebhook(url);
		const res = await fetch(url);
		assert.equal(res.status, 200);
		assert.equal(await res.text(), 'queue-echo');
		// Production webhooks are off on main (N8N_DISABLE_PRODUCTION_MAIN_PROCESS): only the webhook process serves them.
		const onMain = await fetch(`${n8n!.baseUrl}/webhook/${webhookId}/webhook`, { method: 'POST', body: '<xml/>' });
		assert.notEqual(await onMain.text(), 'success');
	});

	it('a callback is executed by a worker and the reply reaches WeCom', async () => {
		const sentBefore = wecom.sentMessages.length;
		const xml = textMessageXml({ corpId: secrets.corpId, fromUser: 'zhaoliu', content: '你们几点上班？', msgId: '7400000000000000001' });
		const signed = encryptedCallback(secrets, xml, { agentId: '1000002' });
		const res = await fetch(withQuery(n8n!.webhookUrl(webhookId), signed.query), {
			method: 'POST',
			headers: { 'content-type': 'text/xml' },
			body: signed.body,
		});
		assert.equal(res.status, 200);
		assert.equal(await res.text(), 'success');
		const [execution] = await n8n!.waitForExecutions(workflowId, 1, 90_000);
		assert.equal(execution.status, 'success');
		await wecom.waitFor(() => wecom.sentMessages.length >= sentBefore + 1, 30_000);
		assert.equal(wecom.sentMessages[sentBefore].body.touser, 'zhaoliu');
		const workers = n8n!.workersOf(execution.id);
		assert.equal(workers.length, 1, `execution ${execution.id} started on ${JSON.stringify(workers)}`);
		assert.match(workers[0], /^worker-\d$/);
		assert.doesNotMatch(n8n!.logOf('main'), new RegExp(`started execution ${execution.id}\\b`));
	});

	it('stops every process of the set, Postgres and Redis included', async () => {
		const pids = n8n!.pids();
		assert.deepEqual(Object.keys(pids).sort(), ['main', 'postgres', 'redis', 'webhook-1', 'worker-1', 'worker-2']);
		await n8n!.stop();
		n8n = undefined;
		// A killed process needs a moment to end: the set is clean once nothing of it runs, within 15 s.
		const leftOver = () => Object.entries(pids).filter(([, pid]) => stillRunning(pid) || liveGroupMembers(pid).length > 0);
		for (const deadline = Date.now() + 15_000; leftOver().length > 0 && Date.now() < deadline; ) {
			await new Promise((resolve) => setTimeout(resolve, 200));
		}
		assert.deepEqual(leftOver(), []);
	});
});
