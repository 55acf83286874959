// The sandbox copy of a template: the same nodes and wiring under "[Sandbox] <name>", with a workflow id
// and trigger webhookIds of its own (so the copy and the operator's template are two workflows with two
// URLs, published side by side), and each node bound to the sandbox credential of its type. Pure: no n8n,
// no files.
import { createHash } from 'node:crypto';

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

function digest(text: string): string {
	return createHash('sha256').update(`kefu-sandbox:${text}`).digest('hex');
}

/** 16 characters like n8n's own workflow ids, the same for the same template on every start. */
export function sandboxWorkflowId(templateId: string): string {
	return `sandbox${digest(templateId).slice(0, 9)}`;
}

/** A UUID-shaped id derived from the template's, so that every start looks for the same webhook. */
export function sandboxWebhookId(webhookId: string): string {
	const hex = digest(webhookId);
	return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
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
	if (!bot || typeof bot.node.webhookId !== 'string') return undefined;
	const nodes = template.nodes.map((node) => {
		const copy: TemplateNode = { ...node };
		if (typeof node.webhookId === 'string') copy.webhookId = sandboxWebhookId(node.webhookId);
		const credentialType = CREDENTIAL_OF_NODE_TYPE[node.type];
		if (credentialType) copy.credentials = { [credentialType]: { ...SANDBOX_CREDENTIALS[credentialType] } };
		return copy;
	});
	const { active: _active, versionId: _versionId, ...rest } = template;
	return {
		templateFile,
		workflow: { ...rest, id: sandboxWorkflowId(template.id), name: `${SANDBOX_NAME_PREFIX}${template.name}`, nodes },
		triggerWebhookId: sandboxWebhookId(bot.node.webhookId),
		kind: bot.kind,
	};
}
