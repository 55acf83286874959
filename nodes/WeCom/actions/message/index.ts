import type { INodeProperties } from 'n8n-workflow';

import * as recall from './recall.operation';
import * as sendFile from './sendFile.operation';
import * as sendImage from './sendImage.operation';
import * as sendMarkdown from './sendMarkdown.operation';
import * as sendNews from './sendNews.operation';
import * as sendText from './sendText.operation';
import * as sendTextCard from './sendTextCard.operation';

export { recall, sendFile, sendImage, sendMarkdown, sendNews, sendText, sendTextCard };

export const description: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: ['message'] } },
		options: [
			{
				name: 'Recall',
				value: 'recall',
				description: 'Take back an app message sent in the last 24 hours',
				action: 'Recall a message',
			},
			{
				name: 'Send File',
				value: 'sendFile',
				description: 'Upload a file from a binary field and send it',
				action: 'Send a file',
			},
			{
				name: 'Send Image',
				value: 'sendImage',
				description: 'Upload an image from a binary field and send it',
				action: 'Send an image',
			},
			{
				name: 'Send Markdown',
				value: 'sendMarkdown',
				description: 'Send a markdown message (shown in the WeCom app, not in 微工作台)',
				action: 'Send a markdown message',
			},
			{
				name: 'Send News',
				value: 'sendNews',
				description: 'Send one to eight link cards with pictures',
				action: 'Send a news message',
			},
			{
				name: 'Send Text',
				value: 'sendText',
				description: 'Send a text message as the app',
				action: 'Send a text message',
			},
			{
				name: 'Send Text Card',
				value: 'sendTextCard',
				description: 'Send a card with a title, text and a link button',
				action: 'Send a text card',
			},
		],
		default: 'sendText',
	},
	...sendText.description,
	...sendMarkdown.description,
	...sendTextCard.description,
	...sendNews.description,
	...sendImage.description,
	...sendFile.description,
	...recall.description,
];
