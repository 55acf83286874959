import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';

import { weComApiRequest } from '../../transport';
import { requiredText } from '../fields';
import { openKfIdField } from '../kf/fields';

const properties: INodeProperties[] = [openKfIdField];

export const description = updateDisplayOptions(
	{ show: { resource: ['kfServicer'], operation: ['list'] } },
	properties,
);

/**
 * GET kf/servicer/list (doc 94645): one item per servicer, { userid, status (0 receiving, 1 stopped),
 * stop_type } or { department_id } for a department added as a whole.
 */
export async function execute(this: IExecuteFunctions, itemIndex: number): Promise<IDataObject[]> {
	const openKfId = requiredText.call(this, itemIndex, 'openKfId', 'Customer Service Account ID');
	const answer = await weComApiRequest.call(this, 'GET', '/cgi-bin/kf/servicer/list', undefined, { open_kfid: openKfId }, {
		itemIndex,
	});
	const servicers = Array.isArray(answer.servicer_list) ? (answer.servicer_list as IDataObject[]) : [];
	return servicers.map((servicer) => ({ open_kfid: openKfId, ...servicer }));
}
