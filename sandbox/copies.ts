// The sandbox copy of a template: the same nodes and wiring under "[Sandbox] <name>", with a workflow id
// and trigger webhookIds of its own (so the copy and the operator's template are two workflows with two
// URLs, published side by side; the same ids on every start), and each node bound to the sandbox
// credential of its type. A WhatsApp bot's fixed numbers (the admin's team) become the sandbox team's.
// No n8n, no files.
import { createHash } from 'node:crypto';

import { workflows } from './workflows';
import { SANDBOX_CREDENTIALS, SANDBOX_WHATSAPP_TEAM, type SandboxCredentialType } from './world';

export interface TemplateNode {
	name: string;
	type: string;
	parameters?: Record<string, unknown>;
	credentials?: Record<string, { id: string; name: string }>;
	webhookId?: string;
	[key: string]: unknown;
}

export interface Template {
	id: string;
	name: string;
	nodes: TemplateNode[];
	[key: string]: unknown;
}

/** Which credential each node type of the templates needs; a new platform adds its line here. */
const CREDENTIAL_OF_NODE_TYPE: Record<string, SandboxCredentialType> = {
	'n8n-nodes-kefu.weComTrigger': 'weComCallbackApi',
	'n8n-nodes-kefu.weCom': 'weComApi',
	'@n8n/n8n-nodes-langchain.lmChatOpenAi': 'openAiApi',
	'n8n-nodes-kefu.whatsAppWebTrigger': 'whatsAppWebGatewayApi',
	'n8n-nodes-kefu.whatsAppWeb': 'whatsAppWebGatewayApi',
};

/**
 * Nodes that need a service the sandbox has no stand-in for: a template with one of them gets no copy (it
 * would fail at that node on every message). docs/sandbox.md says which templates this leaves out.
 */
export const NODES_THE_SANDBOX_CANNOT_SERVE: Record<string, string> = {
	'n8n-nodes-base.googleSheets': 'a Google account',
	'n8n-nodes-base.dataTable': 'a Data Table made in n8n',
	'n8n-nodes-base.emailSend': 'an SMTP server',
	// The queue-mode templates keep their state in the Redis of n8n's queue; the sandbox runs n8n as one process.
	'n8n-nodes-base.redis': 'the Redis of n8n in queue mode',
};

export const SANDBOX_NAME_PREFIX = '[Sandbox] ';

/**
 * Who writes to the bot: a member of the corp through a WeCom app, a WeChat user through 微信客服, or a
 * WhatsApp user through the WhatsApp Web gateway.
 */
export type SandboxBotKind = 'app' | 'kf' | 'whatsapp';

export interface SandboxCopy {
	/** The template file it was made from (workflows/<file>). */
	templateFile: string;
	workflow: Template;
	/** The trigger's webhookId in the copy: its URL is /webhook/<id>/webhook. */
	triggerWebhookId: string;
	kind: SandboxBotKind;
}

/** 16 characters like n8n's own workflow ids, the same for the same template on every start. */
export function sandboxWorkflowId(templateId: string): string {
	return `sandbox${createHash('sha256').update(`kefu-sandbox:${templateId}`).digest('hex').slice(0, 9)}`;
}

/**
 * The bot a template's trigger serves: a WeCom Trigger that listens for the kf_msg_or_event event is a 微信客服
 * bot, any other one an app bot; a WhatsApp Web Trigger that receives incoming messages a WhatsApp bot.
 * undefined for a template the simulator has nothing to send to, or whose nodes the sandbox cannot serve.
 */
function botKind(nodes: TemplateNode[]): { kind: SandboxBotKind; node: TemplateNode } | undefined {
	if (nodes.some((node) => node.type in NODES_THE_SANDBOX_CANNOT_SERVE)) return undefined;
	const listensFor = (node: TemplateNode, event: string) => {
		const events = node.parameters?.events;
		return Array.isArray(events) && events.includes(event);
	};
	const weCom = nodes.find((node) => node.type === 'n8n-nodes-kefu.weComTrigger');
	if (weCom) return { kind: listensFor(weCom, 'kf_msg_or_event') ? 'kf' : 'app', node: weCom };
	const whatsApp = nodes.find((node) => node.type === 'n8n-nodes-kefu.whatsAppWebTrigger' && listensFor(node, 'incoming'));
	return whatsApp && { kind: 'whatsapp', node: whatsApp };
}

export function sandboxCopy(templateFile: string, template: Template): SandboxCopy | undefined {
	const bot = botKind(template.nodes);
	if (!bot) return undefined;
	const workflow = workflows.copyOfWorkflow(template, {
		id: sandboxWorkflowId(template.id),
		name: `${SANDBOX_NAME_PREFIX}${template.name}`,
		webhookIds: 'derived',
	});
	for (const node of workflow.nodes) {
		const credentialType = CREDENTIAL_OF_NODE_TYPE[node.type];
		if (credentialType) node.credentials = { [credentialType]: { ...SANDBOX_CREDENTIALS[credentialType] } };
		// A number typed into a WhatsApp node (not an expression) is the admin's own, the team's in the template.
		const to = node.parameters?.to;
		if (node.type === 'n8n-nodes-kefu.whatsAppWeb' && typeof to === 'string' && to !== '' && !to.startsWith('=')) {
			node.parameters = { ...node.parameters, to: SANDBOX_WHATSAPP_TEAM };
		}
	}
	const triggerWebhookId = workflow.nodes.find((node) => node.name === bot.node.name)?.webhookId;
	if (typeof triggerWebhookId !== 'string') return undefined;
	return { templateFile, workflow, triggerWebhookId, kind: bot.kind };
}
