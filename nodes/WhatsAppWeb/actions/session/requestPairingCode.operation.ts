import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';

import { gatewayRequest } from '../../transport';

const properties: INodeProperties[] = [
	{
		displayName: 'Phone Number',
		name: 'phone',
		type: 'string',
		default: '',
		required: true,
		placeholder: '+86 138 0000 0000',
		description: 'The number of the phone to link, country code first',
	},
	{
		displayName:
			'On that phone: WhatsApp → Linked Devices → Link a Device → Link with phone number instead, then type the 8-character code. Pairing codes do not always work; the QR code stays the fallback.',
		name: 'pairingNotice',
		type: 'notice',
		default: '',
	},
];

export const description = updateDisplayOptions(
	{ show: { resource: ['session'], operation: ['requestPairingCode'] } },
	properties,
);

/** POST /pairing-code: an 8-character code to type on the phone instead of scanning the QR code. */
export async function execute(this: IExecuteFunctions, itemIndex: number): Promise<IDataObject> {
	const phone = String(this.getNodeParameter('phone', itemIndex)).trim();
	return (await gatewayRequest.call(this, { method: 'POST', path: '/pairing-code', body: { phone }, itemIndex })).body;
}
