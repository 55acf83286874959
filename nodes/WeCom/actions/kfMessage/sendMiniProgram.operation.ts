import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';

import { requiredText } from '../fields';
import { kfSendOptions, kfTargetFields, thumbMediaIdField } from '../kf/fields';
import { sendKfMessage } from '../kf/requests';

const properties: INodeProperties[] = [
	...kfTargetFields,
	{
		displayName: 'Mini Program App ID',
		name: 'appId',
		type: 'string',
		default: '',
		required: true,
		placeholder: 'wx123456789abcdef0',
		description: 'The appid of the mini program, which must be linked to the company',
	},
	{
		displayName: 'Title',
		name: 'title',
		type: 'string',
		default: '',
		description: 'At most 64 bytes; WeCom cuts longer titles',
	},
	{
		displayName: 'Page Path',
		name: 'pagePath',
		type: 'string',
		default: '',
		required: true,
		placeholder: 'pages/index?orderid=1042',
		description: 'The page the card opens',
	},
	thumbMediaIdField,
	kfSendOptions(true),
];

export const description = updateDisplayOptions(
	{ show: { resource: ['kfMessage'], operation: ['sendMiniProgram'] } },
	properties,
);

/** kf/send_msg, msgtype miniprogram: appid, pagepath and thumb_media_id (doc 94677). */
export async function execute(this: IExecuteFunctions, itemIndex: number): Promise<IDataObject> {
	const title = String(this.getNodeParameter('title', itemIndex, '') ?? '');
	const miniprogram: IDataObject = {
		appid: requiredText.call(this, itemIndex, 'appId', 'Mini Program App ID'),
		...(title ? { title } : {}),
		pagepath: requiredText.call(this, itemIndex, 'pagePath', 'Page Path'),
		thumb_media_id: requiredText.call(this, itemIndex, 'thumbMediaId', 'Thumbnail Media ID'),
	};
	return await sendKfMessage.call(this, itemIndex, { msgtype: 'miniprogram', miniprogram });
}
