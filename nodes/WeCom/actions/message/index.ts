import { defineResource } from '../resource';
import * as recall from './recall.operation';
import * as sendFile from './sendFile.operation';
import * as sendImage from './sendImage.operation';
import * as sendMarkdown from './sendMarkdown.operation';
import * as sendNews from './sendNews.operation';
import * as sendText from './sendText.operation';
import * as sendTextCard from './sendTextCard.operation';

export const message = defineResource({
	name: 'Message',
	value: 'message',
	description: 'App messages to members, departments and tags',
	defaultOperation: 'sendText',
	operations: {
		sendText: {
			name: 'Send Text',
			description: 'Send a text message as the app',
			action: 'Send a text message',
			module: sendText,
		},
		sendMarkdown: {
			name: 'Send Markdown',
			description: 'Send a markdown message (shown in the WeCom app, not in 微工作台)',
			action: 'Send a markdown message',
			module: sendMarkdown,
		},
		sendTextCard: {
			name: 'Send Text Card',
			description: 'Send a card with a title, text and a link button',
			action: 'Send a text card',
			module: sendTextCard,
		},
		sendNews: {
			name: 'Send News',
			description: 'Send one to eight link cards with pictures',
			action: 'Send a news message',
			module: sendNews,
		},
		sendImage: {
			name: 'Send Image',
			description: 'Upload an image from a binary field and send it',
			action: 'Send an image',
			module: sendImage,
		},
		sendFile: {
			name: 'Send File',
			description: 'Upload a file from a binary field and send it',
			action: 'Send a file',
			module: sendFile,
		},
		recall: {
			name: 'Recall',
			description: 'Take back an app message sent in the last 24 hours',
			action: 'Recall a message',
			module: recall,
		},
	},
});
