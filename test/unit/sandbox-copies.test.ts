// The sandbox copy of a template (sandbox/copies.ts): a workflow of its own beside the operator's, bound
// to the sandbox credentials, found again under the same ids on the next start.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';

import { NODES_THE_SANDBOX_CANNOT_SERVE, sandboxCopy, sandboxWorkflowId, type Template } from '../../sandbox/copies';
import { SANDBOX_CREDENTIALS, SANDBOX_WHATSAPP_TEAM } from '../../sandbox/world';

const workflows = path.resolve(__dirname, '..', '..', '..', 'workflows');
const templates = readdirSync(workflows)
	.filter((file) => file.endsWith('.json'))
	.map((file) => ({ file, template: JSON.parse(readFileSync(path.join(workflows, file), 'utf8')) as Template }));

describe('sandbox copies of the templates', () => {
	it('every WeCom bot and the WhatsApp auto reply get a copy with ids, webhookIds and a name of its own', () => {
		const bots = templates.filter(
			({ file, template }) =>
				(file === 'whatsapp-auto-reply.json' || template.nodes.some((n) => n.type === 'n8n-nodes-kefu.weComTrigger')) &&
				!template.nodes.some((n) => n.type in NODES_THE_SANDBOX_CANNOT_SERVE),
		);
		assert.ok(bots.length >= 3);
		for (const { file, template } of bots) {
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

	it('a WhatsApp Web Trigger that receives incoming messages is a WhatsApp bot; one without "incoming" is none', () => {
		const { file, template } = templates.find((t) => t.file === 'whatsapp-auto-reply.json')!;
		assert.equal(sandboxCopy(file, template)?.kind, 'whatsapp');
		const ownOnly = structuredClone(template);
		for (const node of ownOnly.nodes) if (node.type === 'n8n-nodes-kefu.whatsAppWebTrigger') node.parameters = { events: ['ownFromPhone'] };
		assert.equal(sandboxCopy(file, ownOnly), undefined);
	});

	it('leaves out the templates that need a service the sandbox cannot stand in for (Google Sheets, a Data Table, SMTP, the queue\'s Redis)', () => {
		const kinds = Object.fromEntries(templates.map(({ file, template }) => [file, sandboxCopy(file, template)?.kind]));
		// The leads template has a WhatsApp trigger for incoming messages, but saves to a Data Table and Google Sheets.
		assert.equal(kinds['whatsapp-leads.json'], undefined);
		assert.equal(kinds['whatsapp-connection-monitor.json'], undefined);
		// The queue-mode templates keep their state in the queue's Redis; the sandbox runs n8n as one process.
		for (const file of ['wecom-app-ai-assistant-queue.json', 'wecom-kf-bot-queue.json', 'whatsapp-auto-reply-queue.json']) {
			assert.equal(kinds[file], undefined, file);
		}
		const { file, template } = templates.find((t) => t.file === 'whatsapp-auto-reply.json')!;
		for (const type of Object.keys(NODES_THE_SANDBOX_CANNOT_SERVE)) {
			const withIt = { ...template, nodes: [...template.nodes, { name: 'Extra', type, parameters: {} }] };
			assert.equal(sandboxCopy(file, withIt), undefined, type);
		}
	});

	it('binds the WhatsApp nodes to the sandbox gateway and the model to the sandbox model; the team number becomes the sandbox team\'s', () => {
		const { file, template } = templates.find((t) => t.file === 'whatsapp-auto-reply.json')!;
		const copy = sandboxCopy(file, template)!;
		for (const node of copy.workflow.nodes) {
			const expected = node.type.startsWith('n8n-nodes-kefu.whatsAppWeb')
				? { whatsAppWebGatewayApi: SANDBOX_CREDENTIALS.whatsAppWebGatewayApi }
				: node.type === '@n8n/n8n-nodes-langchain.lmChatOpenAi'
					? { openAiApi: SANDBOX_CREDENTIALS.openAiApi }
					: undefined;
			assert.deepEqual(node.credentials, expected, node.name);
		}
		const to = (nodes: Template['nodes'], name: string) => nodes.find((n) => n.name === name)?.parameters?.to;
		assert.equal(to(template.nodes, 'Notify Team'), 'YourTeamPhoneNumber');
		assert.equal(to(copy.workflow.nodes, 'Notify Team'), SANDBOX_WHATSAPP_TEAM);
		// The reply goes back to whoever wrote: an expression, left as it is.
		assert.equal(to(copy.workflow.nodes, 'Send Reply'), to(template.nodes, 'Send Reply'));
		assert.match(String(to(copy.workflow.nodes, 'Send Reply')), /^=/);
	});
});
