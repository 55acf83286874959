/**
 * `npm start` (scripts/start.mjs) never loses an operator's work. The first start imports the templates; the
 * operator then edits a rule, chooses credentials, publishes, and deletes a template they do not want. The
 * second start must leave all of that as it is: the edit and the credentials are there, the workflow is still
 * published (its webhook answers WeCom's URL check right away), and the deleted template does not come back.
 * `npm run template` adds a pristine copy beside the operator's, never over it.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';

import { newSecrets, urlVerification, withQuery } from '../fakes/wecom/callback';
import { freePorts, type N8nInstance, n8nPaths, readTemplate, startN8n, waitForWebhook } from './harness';

const projectRoot = path.resolve(__dirname, '..', '..', '..');
const app = readTemplate('wecom-app-ai-assistant.json');
const kf = readTemplate('wecom-kf-bot.json');

interface Workflow {
	id: string;
	name: string;
	active: boolean;
	nodes: Array<{ name: string; type: string; webhookId?: string; parameters: Record<string, unknown>; credentials?: unknown }>;
	connections: unknown;
	settings?: unknown;
}

const OPERATORS_RULE = { name: '退货', keywords: '退货, 退款', matchType: 'contains', reply: '退货请在订单页点“申请售后”。', priority: 0 };

describe('npm start keeps what the operator built', () => {
	const userFolder = mkdtempSync(path.join(tmpdir(), 'kefu-start-'));
	const secrets = newSecrets('ww_start_corp');
	let n8n: N8nInstance | undefined;

	const start = async (run: number): Promise<string> => {
		const logFile = path.join(userFolder, `start-${run}.log`);
		// npm start also brings up the sandbox: on free ports here, not its defaults, which a running npm start holds.
		const [simulator, weCom, model] = await freePorts(3);
		const env = { KEFU_SANDBOX_PORT: String(simulator), FAKE_WECOM_PORT: String(weCom), FAKE_OPENAI_PORT: String(model) };
		n8n = await startN8n({ userFolder, script: 'scripts/start.mjs', logFile, env });
		return readFileSync(logFile, 'utf8');
	};

	after(async () => {
		await n8n?.stop({ keepUserFolder: true });
		if (process.env.KEFU_E2E_KEEP === '1') console.log(`user folder kept: ${userFolder}`);
		else rmSync(userFolder, { recursive: true, force: true });
	});

	it('imports every template on the first start, unpublished, and says so', async () => {
		const output = await start(1);
		for (const { template } of [app, kf]) {
			assert.match(output, new RegExp(`imported: "${template.name}" \\(${template.id}\\)`), output);
		}
		const wf = await n8n!.api<Workflow>('GET', `/workflows/${app.template.id}`);
		assert.equal(wf.active, false);
	});

	it('a second start leaves the edit, the credentials and the published state alone, and no deleted template comes back', async () => {
		const callback = await n8n!.createCredential('weComCallbackApi', 'My WeCom callback', { ...secrets });
		const api = await n8n!.createCredential('weComApi', 'My WeCom app', {
			corpId: secrets.corpId,
			agentId: '1000002',
			secret: 'operator-secret',
			baseUrl: 'http://127.0.0.1:9',
		});
		const model = await n8n!.createCredential('openAiApi', 'My model', { apiKey: 'sk-operator', url: 'http://127.0.0.1:9/v1' });
		const wf = await n8n!.api<Workflow>('GET', `/workflows/${app.template.id}`);
		const nodes = wf.nodes.map((node) => {
			if (node.type === 'n8n-nodes-kefu.autoReply') {
				const rules = node.parameters.keywordRules as { rule: unknown[] };
				return { ...node, parameters: { ...node.parameters, keywordRules: { rule: [...rules.rule, OPERATORS_RULE] } } };
			}
			if (node.type === 'n8n-nodes-kefu.weComTrigger') return { ...node, credentials: { weComCallbackApi: callback } };
			if (node.type === 'n8n-nodes-kefu.weCom') return { ...node, credentials: { weComApi: api } };
			if (node.type === '@n8n/n8n-nodes-langchain.lmChatOpenAi') return { ...node, credentials: { openAiApi: model } };
			return node;
		});
		await n8n!.api('PUT', `/workflows/${wf.id}`, { name: wf.name, nodes, connections: wf.connections, settings: wf.settings });
		await n8n!.publish(wf.id);
		await n8n!.api('DELETE', `/workflows/${kf.template.id}`);
		await n8n!.stop({ keepUserFolder: true });
		// As if the package had shipped a newer template since the first start.
		const ledgerFile = path.join(userFolder, '.n8n', 'kefu-imported.json');
		const ledger = JSON.parse(readFileSync(ledgerFile, 'utf8'));
		ledger[app.template.id!].sha256 = 'an older version';
		writeFileSync(ledgerFile, JSON.stringify(ledger));

		const output = await start(2);
		assert.match(output, new RegExp(`left alone: "${app.template.name}" \\(${app.template.id}, published\\)`), output);
		assert.match(output, /wecom-app-ai-assistant\.json has changed since it was imported on .*`npm run template -- wecom-app-ai-assistant` adds the new version beside yours/);
		assert.match(output, new RegExp(`not imported again: "${kf.template.name}" \\(${kf.template.id}\\) was deleted`), output);
		assert.doesNotMatch(output, /imported: "/, 'nothing is imported on the second start');

		const after = await n8n!.api<Workflow>('GET', `/workflows/${app.template.id}`);
		assert.equal(after.active, true, 'still published');
		const autoReply = after.nodes.find((n) => n.type === 'n8n-nodes-kefu.autoReply')!;
		assert.deepEqual((autoReply.parameters.keywordRules as { rule: unknown[] }).rule.at(-1), OPERATORS_RULE);
		assert.deepEqual(after.nodes.find((n) => n.type === 'n8n-nodes-kefu.weCom')!.credentials, { weComApi: api });
		await assert.rejects(n8n!.api('GET', `/workflows/${kf.template.id}`), /404/);

		// Published means live: the trigger answers WeCom's URL check without anyone touching the editor.
		const url = n8n!.webhookUrl(app.webhookId);
		await waitForWebhook(withQuery(url, urlVerification(secrets, 'warm-up')));
		const res = await fetch(withQuery(url, urlVerification(secrets, 'still-live')));
		assert.equal(res.status, 200);
		assert.equal(await res.text(), 'still-live');
	});

	it('npm run template adds a fresh, unpublished copy beside the operator\'s own', async () => {
		const { nodeBin } = n8nPaths();
		// Asynchronously: a blocked event loop would miss n8n closing idle keep-alive sockets.
		const r = await promisify(execFile)(nodeBin, [path.join(projectRoot, 'scripts', 'template.mjs'), 'wecom-app-ai-assistant'], {
			cwd: projectRoot,
			env: { ...process.env, N8N_USER_FOLDER: userFolder, N8N_ENCRYPTION_KEY: 'kefu-e2e-encryption-key-not-secret' },
			encoding: 'utf8',
		});
		const id = /\(id (\w+)\)/.exec(r.stdout)?.[1];
		assert.ok(id, r.stdout);
		assert.notEqual(id, app.template.id);

		const copy = await n8n!.api<Workflow>('GET', `/workflows/${id}`);
		assert.match(copy.name, /^WeCom app AI assistant \(fresh copy /);
		assert.equal(copy.active, false);
		const trigger = copy.nodes.find((n) => n.type === 'n8n-nodes-kefu.weComTrigger')!;
		assert.ok(trigger.webhookId && trigger.webhookId !== app.webhookId, 'a webhook URL of its own');
		const rules = (copy.nodes.find((n) => n.type === 'n8n-nodes-kefu.autoReply')!.parameters.keywordRules as { rule: unknown[] }).rule;
		assert.ok(!rules.some((rule) => JSON.stringify(rule) === JSON.stringify(OPERATORS_RULE)), 'the template as shipped');

		const own = await n8n!.api<Workflow>('GET', `/workflows/${app.template.id}`);
		assert.equal(own.active, true);
		assert.ok(
			(own.nodes.find((n) => n.type === 'n8n-nodes-kefu.autoReply')!.parameters.keywordRules as { rule: unknown[] }).rule.length > rules.length,
		);
	});
});
