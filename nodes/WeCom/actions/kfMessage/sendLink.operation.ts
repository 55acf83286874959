import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { NodeOperationError, updateDisplayOptions } from 'n8n-workflow';

import { requiredText } from '../fields';
import { kfSendOptions, kfTargetFields, thumbMediaIdField } from '../kf/fields';
import { sendKfMessage } from '../kf/requests';

const properties: INodeProperties[] = [
	...kfTargetFields,
	{
		displayName: 'Title',
		name: 'title',
		type: 'string',
		default: '',
		required: true,
		description: 'At most 128 bytes; WeCom cuts longer titles',
	},
	{
		displayName: 'Description',
		name: 'desc',
		type: 'string',
		default: '',
		description: 'At most 512 bytes; WeCom cuts longer text',
	},
	{
		displayName: 'URL',
		name: 'url',
		type: 'string',
		default: '',
		required: true,
		placeholder: 'https://example.com/article',
		description: 'The page the card opens, with http:// or https://',
	},
	thumbMediaIdField,
	kfSendOptions(true),
];

export const description = updateDisplayOptions(
	{ show: { resource: ['kfMessage'], operation: ['sendLink'] } },
	properties,
);

/** kf/send_msg, msgtype link: title, url and thumb_media_id are required (doc 94677). */
export async function execute(this: IExecuteFunctions, itemIndex: number): Promise<IDataObject> {
	const title = requiredText.call(this, itemIndex, 'title', 'Title');
	const url = requiredText.call(this, itemIndex, 'url', 'URL');
	if (!/^https?:\/\//i.test(url)) {
		throw new NodeOperationError(this.getNode(), `The URL "${url}" must start with http:// or https://`, { itemIndex });
	}
	const thumbMediaId = requiredText.call(this, itemIndex, 'thumbMediaId', 'Thumbnail Media ID');
	const desc = String(this.getNodeParameter('desc', itemIndex, '') ?? '');
	const link: IDataObject = { title, url, thumb_media_id: thumbMediaId, ...(desc ? { desc } : {}) };
	return await sendKfMessage.call(this, itemIndex, { msgtype: 'link', link });
}
