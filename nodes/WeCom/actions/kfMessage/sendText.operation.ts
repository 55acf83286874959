import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';

import { contentFields, contentOf } from '../fields';
import { kfSendOptions, kfTargetFields } from '../kf/fields';
import { sendKfMessage } from '../kf/requests';

const properties: INodeProperties[] = [...kfTargetFields, ...contentFields('text'), kfSendOptions(true)];

export const description = updateDisplayOptions(
	{ show: { resource: ['kfMessage'], operation: ['sendText'] } },
	properties,
);

/** kf/send_msg, msgtype text: content at most 2048 bytes (doc 94677). */
export async function execute(this: IExecuteFunctions, itemIndex: number): Promise<IDataObject> {
	const { content, notice } = contentOf.call(this, itemIndex);
	const sent = await sendKfMessage.call(this, itemIndex, { msgtype: 'text', text: { content } });
	return { ...sent, ...notice };
}
