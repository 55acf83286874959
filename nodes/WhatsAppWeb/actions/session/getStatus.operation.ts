import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';

import { gatewayRequest } from '../../transport';

export const description: INodeProperties[] = [];

/** GET /status: state, reason and detail when FAILED, the linked account when READY. */
export async function execute(this: IExecuteFunctions, itemIndex: number): Promise<IDataObject> {
	return (await gatewayRequest.call(this, { method: 'GET', path: '/status', itemIndex })).body;
}
