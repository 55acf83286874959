import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';

import { weComUploadMedia } from '../../transport';
import { binaryFileOf, binaryPropertyField } from '../fields';
import { kfSendOptions, kfTargetFields, kfTargetOf, msgidOf } from '../kf/fields';
import { sendKfMessage } from '../kf/requests';

const properties: INodeProperties[] = [
	...kfTargetFields,
	binaryPropertyField('image (JPG or PNG, at most 10 MB)'),
	kfSendOptions(true),
];

export const description = updateDisplayOptions(
	{ show: { resource: ['kfMessage'], operation: ['sendImage'] } },
	properties,
);

/** Uploads the image (media/upload, type image), then sends its media_id with kf/send_msg. */
export async function execute(this: IExecuteFunctions, itemIndex: number): Promise<IDataObject> {
	// Fields first: a wrong Message ID or an empty customer should not cost an upload.
	const target = kfTargetOf.call(this, itemIndex);
	const msgid = msgidOf.call(this, itemIndex);
	const file = await binaryFileOf.call(this, itemIndex);
	const uploaded = await weComUploadMedia.call(this, 'image', file, itemIndex);
	const mediaId = String(uploaded.media_id);
	const sent = await sendKfMessage.call(this, itemIndex, { msgtype: 'image', image: { media_id: mediaId } }, target, msgid);
	return { ...sent, media_id: mediaId, fileName: file.fileName };
}
