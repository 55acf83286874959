import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';

import { gatewayRequest } from '../../transport';

export const description: INodeProperties[] = [];

/** POST /logout: unlinks the phone, deletes the saved session; the gateway starts again for a new QR code. */
export async function execute(this: IExecuteFunctions, itemIndex: number): Promise<IDataObject> {
	return (await gatewayRequest.call(this, { method: 'POST', path: '/logout', itemIndex })).body;
}
