import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { NodeOperationError, updateDisplayOptions } from 'n8n-workflow';

import { weComApiRequest } from '../../transport';
import { joinIds } from '../fields';

/** customer/batchget: "external_userid_list … 可填充个数：1 ~ 100" (doc 95159). */
const BATCH_SIZE = 100;

const properties: INodeProperties[] = [
	{
		displayName: 'Customer IDs',
		name: 'externalUserIds',
		type: 'string',
		default: '={{ $json.external_userid }}',
		required: true,
		placeholder: 'wmAJ2GCAAAme1XQRC-NI-q0_ZM9ukoAw, wmAJ2GCAAAme1XQRC-NI-q0_ZM9ukoAx',
		description:
			'The external_userid of the customers, separated by comma or |, or an array from an expression. Lists over 100 are split into several calls.',
	},
	{
		displayName: 'Need Enter-Session Context',
		name: 'needEnterSessionContext',
		type: 'boolean',
		default: false,
		description:
			'Whether to include enter_session_context: the scene, scene_param and channel the customer last came from',
	},
	{
		displayName: 'Output Invalid IDs',
		name: 'outputInvalid',
		type: 'boolean',
		default: false,
		description:
			'Whether to output an item { external_userid, invalid: true } for each ID WeCom did not return (customers who have not written in the last 48 hours, or unknown IDs)',
	},
];

export const description = updateDisplayOptions(
	{ show: { resource: ['kfCustomer'], operation: ['get'] } },
	properties,
);

/** kf/customer/batchget (doc 95159): one item per customer; only customers active in the last 48 hours. */
export async function execute(this: IExecuteFunctions, itemIndex: number): Promise<IDataObject[]> {
	const joined = joinIds(this.getNodeParameter('externalUserIds', itemIndex, ''));
	const ids = [...new Set(joined ? joined.split('|') : [])];
	if (ids.length === 0) {
		throw new NodeOperationError(this.getNode(), 'Customer IDs is empty', {
			description: 'Fill in one or more external_userid, separated by comma or |, or map the field that holds them.',
			itemIndex,
		});
	}
	const needContext = this.getNodeParameter('needEnterSessionContext', itemIndex, false) as boolean;
	const customers: IDataObject[] = [];
	const invalid: string[] = [];
	for (let start = 0; start < ids.length; start += BATCH_SIZE) {
		const answer = await weComApiRequest.call(
			this,
			'POST',
			'/cgi-bin/kf/customer/batchget',
			{ external_userid_list: ids.slice(start, start + BATCH_SIZE), need_enter_session_context: needContext ? 1 : 0 },
			undefined,
			{ itemIndex },
		);
		if (Array.isArray(answer.customer_list)) customers.push(...(answer.customer_list as IDataObject[]));
		if (Array.isArray(answer.invalid_external_userid)) invalid.push(...answer.invalid_external_userid.map(String));
	}
	if (invalid.length > 0) {
		this.addExecutionHints({
			message: `WeCom returned no data for ${invalid.length} customer ID(s): ${invalid.slice(0, 5).join(', ')}${invalid.length > 5 ? ', …' : ''}. It only returns customers who wrote to a customer service account in the last 48 hours.`,
			type: 'warning',
			location: 'outputPane',
		});
	}
	const outputInvalid = this.getNodeParameter('outputInvalid', itemIndex, false) as boolean;
	return outputInvalid ? [...customers, ...invalid.map((id) => ({ external_userid: id, invalid: true }))] : customers;
}
