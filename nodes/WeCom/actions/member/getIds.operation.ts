import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';

import { listOf, readDirectory } from '../department/common';

/** user/list_id: "limit … 取值范围 1 ~ 10000" (doc 96067). */
const MAX_PAGE = 10000;

const properties: INodeProperties[] = [
	{
		displayName:
			'Only the 通讯录同步 secret may call this (管理工具 → 通讯录同步 → Secret, in a WeCom API credential of its own); an app secret gets error 48002',
		name: 'contactsSyncNotice',
		type: 'notice',
		default: '',
	},
	{
		displayName: 'Return All',
		name: 'returnAll',
		type: 'boolean',
		default: false,
		description: 'Whether to return all results or only up to a given limit',
	},
	{
		displayName: 'Limit',
		name: 'limit',
		type: 'number',
		typeOptions: { minValue: 1 },
		default: 50,
		description: 'Max number of results to return',
		displayOptions: { show: { returnAll: [false] } },
	},
	{
		displayName: 'Cursor',
		name: 'cursor',
		type: 'string',
		default: '',
		description:
			'Continue where an earlier run stopped: its nextCursor. Empty starts at the beginning. A cursor expires; when WeCom refuses it (50100), start again with an empty one.',
		displayOptions: { show: { returnAll: [false] } },
	},
];

export const description = updateDisplayOptions(
	{ show: { resource: ['member'], operation: ['getIds'] } },
	properties,
);

/**
 * user/list_id (doc 96067): one item per member and department, { userid, department, nextCursor }. WeCom
 * pages with an opaque cursor; nextCursor is '' once the last page is read, otherwise where to continue.
 */
export async function execute(this: IExecuteFunctions, itemIndex: number): Promise<IDataObject[]> {
	const returnAll = this.getNodeParameter('returnAll', itemIndex, false) as boolean;
	const wanted = returnAll ? Infinity : Math.max(1, Number(this.getNodeParameter('limit', itemIndex, 50)));
	let cursor = returnAll ? '' : String(this.getNodeParameter('cursor', itemIndex, '') ?? '').trim();
	const rows: IDataObject[] = [];
	do {
		const limit = Math.min(MAX_PAGE, wanted - rows.length);
		const answer = await readDirectory.call(this, itemIndex, 'POST', '/cgi-bin/user/list_id', {
			body: cursor ? { cursor, limit } : { limit },
		});
		rows.push(...listOf(answer, 'dept_user'));
		cursor = typeof answer.next_cursor === 'string' ? answer.next_cursor : '';
	} while (cursor !== '' && rows.length < wanted);
	return rows.map((row) => ({ userid: row.userid, department: row.department, nextCursor: cursor }));
}
