import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';

import { gatewayFile } from '../../transport';

const properties: INodeProperties[] = [
	{
		displayName: 'Put Output File in Field',
		name: 'binaryPropertyName',
		type: 'string',
		default: 'data',
		required: true,
		hint: 'The name of the output binary field to put the QR code PNG in',
	},
];

export const description = updateDisplayOptions({ show: { resource: ['session'], operation: ['getQrCode'] } }, properties);

/** GET /qr as a PNG. WhatsApp replaces the QR about every 20 s: fetch it right before showing it. */
export async function execute(this: IExecuteFunctions, itemIndex: number): Promise<INodeExecutionData> {
	const binaryPropertyName = this.getNodeParameter('binaryPropertyName', itemIndex) as string;
	const png = await gatewayFile.call(this, '/qr', itemIndex);
	const file = await this.helpers.prepareBinaryData(png, 'whatsapp-qr.png', 'image/png');
	return { json: { qrPending: true, fetchedAt: new Date().toISOString() }, binary: { [binaryPropertyName]: file } };
}
