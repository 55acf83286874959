import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';

import { listSubscribeTemplates } from './templates';

export const description: INodeProperties[] = [];

/** One item per template of the account, with its keyword rows (key, type, label, enum values). */
export async function execute(this: IExecuteFunctions, itemIndex: number): Promise<IDataObject[]> {
	const templates = await listSubscribeTemplates.call(this, itemIndex);
	return templates.map((template) => ({ ...template }));
}
