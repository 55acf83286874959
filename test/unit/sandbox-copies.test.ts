// The sandbox copy of a template (sandbox/copies.ts): a workflow of its own beside the operator's, bound
// to the sandbox credentials, found again under the same ids on the next start.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';

import { sandboxCopy, sandboxWorkflowId, type Template } from '../../sandbox/copies';
import { SANDBOX_CREDENTIALS } from '../../sandbox/world';

const workflows = path.resolve(__dirname, '..', '..', '..', 'workflows');
const templates = readdirSync(workflows)
	.filter((file) => file.endsWith('.json'))
	.map((file) => ({ file, template: JSON.parse(readFileSync(path.join(workflows, file), 'utf8')) as Template }));

describe('sandbox copies of the templates', () => {
	it('every template with a WeCom Trigger gets a copy with ids, webhookIds and a name of its own', () => {
		const weComBots = templates.filter(({ template }) => template.nodes.some((n) => n.type === 'n8n-nodes-kefu.weComTrigger'));
		assert.ok(weComBots.length >= 2);
		for (const { file, template } of weComBots) {
			const copy = sandboxCopy(file, template);
			assert.ok(copy, `${file} got no sandbox copy`);
			assert.notEqual(copy.workflow.id, template.id);
			assert.equal(copy.workflow.id.length, 16);
			assert.equal(copy.workflow.name, `[Sandbox] ${template.name}`);
			const ours = new Set(template.nodes.map((n) => n.webhookId).filter(Boolean));
			for (const node of copy.workflow.nodes.filter((n) => n.webhookId)) {
				assert.ok(!ours.has(node.webhookId), `${file}: ${node.name} kept the template's webhookId`);
				assert.match(String(node.webhookId), /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
			}
			// The template object itself is left as it was.
			assert.ok(template.nodes.every((n) => !n.webhookId || ours.has(n.webhookId)));
		}
	});

	it('the same template gives the same ids on every start, two templates never the same', () => {
		const ids = templates.map(({ template }) => sandboxWorkflowId(template.id));
		assert.deepEqual(ids, templates.map(({ template }) => sandboxWorkflowId(template.id)));
		assert.equal(new Set(ids).size, ids.length);
		for (const { file, template } of templates) {
			const webhookIds = () => sandboxCopy(file, template)?.workflow.nodes.map((n) => n.webhookId);
			assert.deepEqual(webhookIds(), webhookIds(), file);
		}
	});

	it('binds the trigger, the WeCom nodes and the chat model to the sandbox credentials, and nothing else', () => {
		const { file, template } = templates.find((t) => t.file === 'wecom-kf-bot.json')!;
		const copy = sandboxCopy(file, template)!;
		for (const node of copy.workflow.nodes) {
			const expected =
				node.type === 'n8n-nodes-kefu.weComTrigger'
					? { weComCallbackApi: SANDBOX_CREDENTIALS.weComCallbackApi }
					: node.type === 'n8n-nodes-kefu.weCom'
						? { weComApi: SANDBOX_CREDENTIALS.weComApi }
						: node.type === '@n8n/n8n-nodes-langchain.lmChatOpenAi'
							? { openAiApi: SANDBOX_CREDENTIALS.openAiApi }
							: undefined;
			assert.deepEqual(node.credentials, expected, node.name);
		}
	});

	it('tells a 微信客服 bot (kf_msg_or_event) from an app bot, and skips a workflow without a WeCom Trigger', () => {
		const kinds = Object.fromEntries(templates.map(({ file, template }) => [file, sandboxCopy(file, template)?.kind]));
		assert.equal(kinds['wecom-kf-bot.json'], 'kf');
		assert.equal(kinds['wecom-app-ai-assistant.json'], 'app');
		const manual: Template = { id: 'x', name: 'Manual', nodes: [{ name: 'Start', type: 'n8n-nodes-base.manualTrigger' }] };
		assert.equal(sandboxCopy('manual.json', manual), undefined);
	});
});
