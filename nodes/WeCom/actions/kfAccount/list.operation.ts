import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';

import { weComApiRequest } from '../../transport';

/** account/list pages: "limit … 取值范围为[1, 100]，默认值为100" (doc 94661). */
const PAGE_SIZE = 100;

const properties: INodeProperties[] = [
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
];

export const description = updateDisplayOptions(
	{ show: { resource: ['kfAccount'], operation: ['list'] } },
	properties,
);

/** kf/account/list (doc 94661): one item per account; pages of up to 100 until a short page. */
export async function execute(this: IExecuteFunctions, itemIndex: number): Promise<IDataObject[]> {
	const returnAll = this.getNodeParameter('returnAll', itemIndex, false) as boolean;
	const wanted = returnAll ? Infinity : Math.max(1, Number(this.getNodeParameter('limit', itemIndex, 50)));
	const accounts: IDataObject[] = [];
	for (let offset = 0; accounts.length < wanted; ) {
		const limit = Math.min(PAGE_SIZE, wanted - accounts.length);
		const answer = await weComApiRequest.call(this, 'POST', '/cgi-bin/kf/account/list', { offset, limit }, undefined, {
			itemIndex,
		});
		const page = Array.isArray(answer.account_list) ? (answer.account_list as IDataObject[]) : [];
		accounts.push(...page);
		offset += page.length;
		// "可以通过返回的结果数量判断是否还有下一页": fewer than asked for is the last page.
		if (page.length < limit) break;
	}
	return accounts;
}
