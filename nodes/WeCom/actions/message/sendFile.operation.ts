import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';

import { weComUploadMedia } from '../../transport';
import { binaryFileOf, binaryPropertyField } from '../fields';
import { recipientFields, recipientsOf, sendAppMessage, sendOptions } from './common';

const properties: INodeProperties[] = [
	...recipientFields,
	binaryPropertyField('file (at most 20 MB)'),
	sendOptions(['safe', 'enableDuplicateCheck']),
];

export const description = updateDisplayOptions(
	{ show: { resource: ['message'], operation: ['sendFile'] } },
	properties,
);

/** Uploads the file (media/upload, type file), then sends its media_id. */
export async function execute(this: IExecuteFunctions, itemIndex: number): Promise<IDataObject> {
	recipientsOf.call(this, itemIndex); // refuse a message without recipients before uploading
	const file = await binaryFileOf.call(this, itemIndex);
	const uploaded = await weComUploadMedia.call(this, 'file', file, itemIndex);
	const mediaId = String(uploaded.media_id);
	const sent = await sendAppMessage.call(this, itemIndex, { msgtype: 'file', file: { media_id: mediaId } });
	return { ...sent, media_id: mediaId, fileName: file.fileName };
}
