import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';

import { readDirectory } from '../department/common';
import { requiredText } from '../fields';
import { withoutEnvelope } from '../output';
import { withheldFieldsNotice } from './common';

const properties: INodeProperties[] = [
	withheldFieldsNotice,
	{
		displayName: 'User ID',
		name: 'userId',
		type: 'string',
		default: '={{ $json.userid }}',
		required: true,
		placeholder: 'zhangsan',
		description: "The member's 账号 (UserID) in 通讯录, not their name",
	},
];

export const description = updateDisplayOptions({ show: { resource: ['member'], operation: ['get'] } }, properties);

/** user/get (doc 90196): one member; 60011 outside the app's visible range, 60111 when no member has this userid. */
export async function execute(this: IExecuteFunctions, itemIndex: number): Promise<IDataObject> {
	const userid = requiredText.call(this, itemIndex, 'userId', 'User ID');
	return withoutEnvelope(await readDirectory.call(this, itemIndex, 'GET', '/cgi-bin/user/get', { qs: { userid } }));
}
