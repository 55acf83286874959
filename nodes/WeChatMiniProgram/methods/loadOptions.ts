import type { ILoadOptionsFunctions, INodePropertyOptions } from 'n8n-workflow';

import { listSubscribeTemplates } from '../actions/subscribeMessage/templates';

/** The account's subscribe-message templates for a Template ID pick-list: title, then the keyword labels. */
export async function getSubscribeTemplates(this: ILoadOptionsFunctions): Promise<INodePropertyOptions[]> {
	const templates = await listSubscribeTemplates.call(this);
	return templates
		.map((template) => ({
			name: template.title || template.templateId,
			value: template.templateId,
			description: template.keywords.map((keyword) => keyword.label || keyword.key).join(', '),
		}))
		.sort((a, b) => a.name.localeCompare(b.name, 'zh'));
}

/** The keywords of the template chosen in Template (Send → Keywords → Keyword): its label, then key and type. */
export async function getTemplateKeywords(this: ILoadOptionsFunctions): Promise<INodePropertyOptions[]> {
	const templateId = String(this.getCurrentNodeParameter('templateId') ?? '').trim();
	if (!templateId) return [];
	const template = (await listSubscribeTemplates.call(this)).find((t) => t.templateId === templateId);
	return (template?.keywords ?? []).map((keyword) => ({
		name: keyword.label ? `${keyword.label} (${keyword.key})` : keyword.key,
		value: keyword.key,
		description: keyword.enumValues ? `${keyword.type}: one of ${keyword.enumValues.join(', ')}` : keyword.type,
	}));
}
