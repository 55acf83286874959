import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { NodeOperationError, updateDisplayOptions } from 'n8n-workflow';

import { gatewayRequest, GATEWAY_TIMEOUTS, sendTimeoutMs } from '../../transport';
import { sentItem, toField, toOf } from '../fields';

const properties: INodeProperties[] = [
	toField,
	{
		displayName: 'Media Source',
		name: 'source',
		type: 'options',
		default: 'binary',
		options: [
			{ name: 'Binary Field', value: 'binary', description: 'A file in the input item (from HTTP Request, Read Files…)' },
			{ name: 'URL', value: 'url', description: 'A link the gateway downloads the file from' },
		],
	},
	{
		displayName: 'Input Binary Field',
		name: 'binaryPropertyName',
		type: 'string',
		default: 'data',
		required: true,
		hint: 'The name of the input binary field containing the file to be sent',
		displayOptions: { show: { source: ['binary'] } },
	},
	{
		displayName: 'URL',
		name: 'url',
		type: 'string',
		default: '',
		required: true,
		placeholder: 'https://example.com/catalogue.pdf',
		description: 'Where the gateway downloads the file from; it must reach this address itself',
		displayOptions: { show: { source: ['url'] } },
	},
	{
		displayName: 'Caption',
		name: 'caption',
		type: 'string',
		default: '',
		description: 'Text shown under the image, video or document',
	},
	{
		displayName: 'File Name',
		name: 'fileName',
		type: 'string',
		default: '',
		description: 'The name the customer sees for a document. Empty: the file\'s own name.',
	},
];

export const description = updateDisplayOptions({ show: { resource: ['message'], operation: ['sendMedia'] } }, properties);

/** The contract's `media` object, and the bytes it carries (for the time limit). */
async function mediaOf(this: IExecuteFunctions, itemIndex: number): Promise<{ media: IDataObject; bytes: number }> {
	const fileName = String(this.getNodeParameter('fileName', itemIndex, '')).trim();
	if (this.getNodeParameter('source', itemIndex) === 'url') {
		const url = String(this.getNodeParameter('url', itemIndex, '')).trim();
		if (!/^https?:\/\//i.test(url)) {
			throw new NodeOperationError(this.getNode(), 'The media URL must start with http:// or https://', {
				description: 'Enter the file\'s full address, or send a file from a binary field instead.',
				itemIndex,
			});
		}
		return { media: { url, ...(fileName ? { filename: fileName } : {}) }, bytes: 0 };
	}
	const propertyName = this.getNodeParameter('binaryPropertyName', itemIndex, 'data') as string;
	const binary = this.helpers.assertBinaryData(itemIndex, propertyName);
	const data = await this.helpers.getBinaryDataBuffer(itemIndex, propertyName);
	const filename = fileName || binary.fileName;
	return {
		media: { base64: data.toString('base64'), mimetype: binary.mimeType, ...(filename ? { filename } : {}) },
		bytes: data.length,
	};
}

/** POST /send with media (base64 from a binary field, or a URL the gateway downloads) and an optional caption. */
export async function execute(this: IExecuteFunctions, itemIndex: number): Promise<IDataObject> {
	const to = toOf.call(this, itemIndex);
	const { media, bytes } = await mediaOf.call(this, itemIndex);
	const caption = String(this.getNodeParameter('caption', itemIndex, ''));
	const answer = await gatewayRequest.call(this, {
		method: 'POST',
		path: '/send',
		body: { to, media, ...(caption ? { caption } : {}) },
		itemIndex,
		timeoutMs: bytes > 0 ? sendTimeoutMs(bytes) : GATEWAY_TIMEOUTS.sendMs,
		waitWhileRestarting: true,
	});
	return sentItem(answer.body);
}
