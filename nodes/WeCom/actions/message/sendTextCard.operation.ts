import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { NodeOperationError, updateDisplayOptions } from 'n8n-workflow';

import { recipientFields, sendAppMessage, sendOptions } from './common';

const properties: INodeProperties[] = [
	...recipientFields,
	{
		displayName: 'Title',
		name: 'title',
		type: 'string',
		default: '',
		required: true,
		description: 'Card title, at most 128 characters',
	},
	{
		displayName: 'Description',
		name: 'description',
		type: 'string',
		typeOptions: { rows: 3 },
		default: '',
		required: true,
		description:
			'Card text, at most 512 characters. WeCom styles lines wrapped in &lt;div class="gray"&gt;, &lt;div class="normal"&gt; or &lt;div class="highlight"&gt;.',
	},
	{
		displayName: 'URL',
		name: 'url',
		type: 'string',
		default: '',
		required: true,
		placeholder: 'https://example.com/ticket/123',
		description: 'The page the card opens, with http:// or https://',
	},
	{
		displayName: 'Button Text',
		name: 'btnTxt',
		type: 'string',
		default: '',
		placeholder: '详情',
		description: 'Text of the card button, at most 4 characters; empty shows 详情',
	},
	sendOptions(['enableIdTrans', 'enableDuplicateCheck']),
];

export const description = updateDisplayOptions(
	{ show: { resource: ['message'], operation: ['sendTextCard'] } },
	properties,
);

export async function execute(this: IExecuteFunctions, itemIndex: number): Promise<IDataObject> {
	const title = String(this.getNodeParameter('title', itemIndex, '')).trim();
	const text = String(this.getNodeParameter('description', itemIndex, '')).trim();
	const url = String(this.getNodeParameter('url', itemIndex, '')).trim();
	const btnTxt = String(this.getNodeParameter('btnTxt', itemIndex, '')).trim();
	if (!title || !text) {
		throw new NodeOperationError(this.getNode(), 'A text card needs a Title and a Description', { itemIndex });
	}
	if (!/^https?:\/\//i.test(url)) {
		throw new NodeOperationError(this.getNode(), 'The card URL must start with http:// or https://', {
			description: `Got "${url}". WeCom refuses links without a scheme (45034).`,
			itemIndex,
		});
	}
	const textcard: IDataObject = { title, description: text, url };
	if (btnTxt) textcard.btntxt = btnTxt;
	return await sendAppMessage.call(this, itemIndex, { msgtype: 'textcard', textcard });
}
