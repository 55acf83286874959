import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';

import { weComUploadMedia, type WeComMediaType } from '../../transport';
import { binaryFileOf, binaryPropertyField } from '../fields';
import { withoutEnvelope } from '../output';

const properties: INodeProperties[] = [
	{
		displayName: 'Type',
		name: 'type',
		type: 'options',
		options: [
			{ name: 'File', value: 'file', description: 'Any format, at most 20 MB' },
			{ name: 'Image', value: 'image', description: 'JPG or PNG, at most 10 MB' },
			{ name: 'Video', value: 'video', description: 'MP4, at most 10 MB' },
			{ name: 'Voice', value: 'voice', description: 'AMR, at most 2 MB and 60 seconds' },
		],
		default: 'image',
		description: 'What WeCom should treat the file as; each type has its own size and format limit',
	},
	binaryPropertyField('file'),
];

export const description = updateDisplayOptions(
	{ show: { resource: ['media'], operation: ['upload'] } },
	properties,
);

/** POST /cgi-bin/media/upload (doc 90253): a temporary media_id, valid for 3 days. */
export async function execute(this: IExecuteFunctions, itemIndex: number): Promise<IDataObject> {
	const type = this.getNodeParameter('type', itemIndex) as WeComMediaType;
	const file = await binaryFileOf.call(this, itemIndex);
	const answer = await weComUploadMedia.call(this, type, file, itemIndex);
	return { ...withoutEnvelope(answer), fileName: file.fileName, fileSize: file.data.length };
}
