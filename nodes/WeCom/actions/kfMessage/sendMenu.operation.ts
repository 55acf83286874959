import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';

import { kfSendOptions, kfTargetFields } from '../kf/fields';
import { sendKfMessage } from '../kf/requests';
import { MAX_MENU_ITEMS } from '../kf/rules';
import { menuFields, menuOf } from './menu';

const properties: INodeProperties[] = [...kfTargetFields, ...menuFields(MAX_MENU_ITEMS), kfSendOptions(true)];

export const description = updateDisplayOptions(
	{ show: { resource: ['kfMessage'], operation: ['sendMenu'] } },
	properties,
);

/** kf/send_msg, msgtype msgmenu (doc 94677). */
export async function execute(this: IExecuteFunctions, itemIndex: number): Promise<IDataObject> {
	const msgmenu = menuOf.call(this, itemIndex, MAX_MENU_ITEMS);
	return await sendKfMessage.call(this, itemIndex, { msgtype: 'msgmenu', msgmenu });
}
