import { defineResource } from '../../../common/resource';
import * as sendMedia from './sendMedia.operation';
import * as sendText from './sendText.operation';

export const message = defineResource({
	name: 'Message',
	value: 'message',
	description: 'Messages sent through the linked WhatsApp account',
	defaultOperation: 'sendText',
	operations: {
		sendText: {
			name: 'Send Text',
			description: 'Send a text message to a number or chat',
			action: 'Send a text message',
			module: sendText,
		},
		sendMedia: {
			name: 'Send Media',
			description: 'Send an image, video, audio or document from a binary field or a URL',
			action: 'Send a media message',
			module: sendMedia,
		},
	},
});
