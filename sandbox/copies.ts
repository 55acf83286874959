// The sandbox copy of a template: the same nodes and wiring under "[Sandbox] <name>", with a workflow id
// and trigger webhookIds of its own (so the copy and the operator's template are two workflows with two
// URLs, published side by side; the same ids on every start), and each node bound to the sandbox
// credential of its type. No n8n, no files.
import { createHash } from 'node:crypto';

import { workflows } from './workflows';
import { SANDBOX_CREDENTIALS, type SandboxCredentialType } from './world';

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
};

export const SANDBOX_NAME_PREFIX = '[Sandbox] ';

/** Who writes to the bot: a member of the corp through a WeCom app, or a WeChat user through 微信客服. */
export type SandboxBotKind = 'app' | 'kf';

export interface SandboxCopy {
	/** The template file it was made from (workflows/<file>). */
	templateFile: string;
	workflow: Template;
	/** The WeCom Trigger's webhookId in the copy: its URL is /webhook/<id>/webhook. */
	triggerWebhookId: string;
	kind: SandboxBotKind;
}

/** 16 characters like n8n's own workflow ids, the same for the same template on every start. */
export function sandboxWorkflowId(templateId: string): string {
	return `sandbox${createHash('sha256').update(`kefu-sandbox:${templateId}`).digest('hex').slice(0, 9)}`;
}

/**
 * The bot a WeCom Trigger serves: one that listens for the kf_msg_or_event event is a 微信客服 bot, any other
 * one an app bot. undefined for a template without a WeCom Trigger (the simulator has nothing to send it).
 */
function botKind(nodes: TemplateNode[]): { kind: SandboxBotKind; node: TemplateNode } | undefined {
	const trigger = nodes.find((node) => node.type === 'n8n-nodes-kefu.weComTrigger');
	if (!trigger) return undefined;
	const events = trigger.parameters?.events;
	const kf = Array.isArray(events) && events.includes('kf_msg_or_event');
	return { kind: kf ? 'kf' : 'app', node: trigger };
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
	}
	const triggerWebhookId = workflow.nodes.find((node) => node.name === bot.node.name)?.webhookId;
	if (typeof triggerWebhookId !== 'string') return undefined;
	return { templateFile, workflow, triggerWebhookId, kind: bot.kind };
}
