import type { IExecuteFunctions, INodeProperties } from 'n8n-workflow';

import type { MediaFile } from '../transport';

export function binaryPropertyField(what: string): INodeProperties {
	return {
		displayName: 'Input Binary Field',
		name: 'binaryPropertyName',
		type: 'string',
		default: 'data',
		required: true,
		hint: 'The name of the input binary field containing the file to be uploaded',
		description: `Binary field of the input item that holds the ${what} (e.g. from HTTP Request or Read/Write Files from Disk)`,
	};
}

/** The file in the item's binary field, with its name and MIME type. */
export async function binaryFileOf(this: IExecuteFunctions, itemIndex: number): Promise<MediaFile> {
	const propertyName = this.getNodeParameter('binaryPropertyName', itemIndex, 'data') as string;
	const binary = this.helpers.assertBinaryData(itemIndex, propertyName);
	const data = await this.helpers.getBinaryDataBuffer(itemIndex, propertyName);
	return { data, fileName: binary.fileName, mimeType: binary.mimeType };
}
