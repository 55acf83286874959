import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';

import { contentFields, contentOf } from '../fields';
import { recipientFields, sendAppMessage, sendOptions } from './common';

const properties: INodeProperties[] = [
	...recipientFields,
	...contentFields('text'),
	sendOptions(['safe', 'enableIdTrans', 'enableDuplicateCheck']),
];

export const description = updateDisplayOptions(
	{ show: { resource: ['message'], operation: ['sendText'] } },
	properties,
);

export async function execute(this: IExecuteFunctions, itemIndex: number): Promise<IDataObject> {
	const { content, notice } = contentOf.call(this, itemIndex);
	const sent = await sendAppMessage.call(this, itemIndex, { msgtype: 'text', text: { content } });
	return { ...sent, ...notice };
}
