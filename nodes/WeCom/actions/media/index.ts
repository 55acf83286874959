import { defineResource } from '../resource';
import * as upload from './upload.operation';

export const media = defineResource({
	name: 'Media',
	value: 'media',
	description: 'Temporary files for messages',
	defaultOperation: 'upload',
	operations: {
		upload: {
			name: 'Upload',
			description: 'Upload a temporary file and get a media_id, valid for 3 days',
			action: 'Upload a media file',
			module: upload,
		},
	},
});
