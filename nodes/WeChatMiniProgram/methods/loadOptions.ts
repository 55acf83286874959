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
