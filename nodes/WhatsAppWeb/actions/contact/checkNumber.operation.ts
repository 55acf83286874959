import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { NodeOperationError, updateDisplayOptions } from 'n8n-workflow';

import { gatewayRequest } from '../../transport';

const properties: INodeProperties[] = [
	{
		displayName: 'Phone Number',
		name: 'number',
		type: 'string',
		default: '',
		required: true,
		placeholder: '+86 138 0000 0000',
		description: 'The number to check, country code first',
	},
];

export const description = updateDisplayOptions({ show: { resource: ['contact'], operation: ['checkNumber'] } }, properties);

/** GET /contacts/:number: whether the number has WhatsApp, and its chat ID to send to. */
export async function execute(this: IExecuteFunctions, itemIndex: number): Promise<IDataObject> {
	const number = String(this.getNodeParameter('number', itemIndex, '')).replace(/[^\d]/g, '');
	if (!number) {
		throw new NodeOperationError(this.getNode(), 'The phone number has no digits', {
			description: 'Enter the number with its country code, e.g. +86 138 0000 0000.',
			itemIndex,
		});
	}
	return (await gatewayRequest.call(this, { method: 'GET', path: `/contacts/${number}`, itemIndex })).body;
}
