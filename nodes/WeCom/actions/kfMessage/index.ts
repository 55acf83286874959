import type { INodeProperties } from 'n8n-workflow';

import * as pull from './pull.operation';
import * as sendImage from './sendImage.operation';
import * as sendLink from './sendLink.operation';
import * as sendMenu from './sendMenu.operation';
import * as sendMiniProgram from './sendMiniProgram.operation';
import * as sendOnEvent from './sendOnEvent.operation';
import * as sendText from './sendText.operation';

export { pull, sendImage, sendLink, sendMenu, sendMiniProgram, sendOnEvent, sendText };

export const description: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: ['kfMessage'] } },
		options: [
			{
				name: 'Pull Messages',
				value: 'pull',
				description: 'Fetch the messages a kf_msg_or_event callback announced (kf/sync_msg), once each',
				action: 'Pull messages',
			},
			{
				name: 'Send Image',
				value: 'sendImage',
				description: 'Upload an image from a binary field and send it to the customer',
				action: 'Send an image to a customer',
			},
			{
				name: 'Send Link',
				value: 'sendLink',
				description: 'Send a link card with a title, text and picture',
				action: 'Send a link to a customer',
			},
			{
				name: 'Send Menu',
				value: 'sendMenu',
				description: 'Send a menu of replies, links and mini-program pages the customer taps',
				action: 'Send a menu to a customer',
			},
			{
				name: 'Send Mini Program',
				value: 'sendMiniProgram',
				description: 'Send a mini-program card',
				action: 'Send a mini program card to a customer',
			},
			{
				name: 'Send on Event',
				value: 'sendOnEvent',
				description: 'Send the welcome, queue or closing message an event code allows (send_msg_on_event)',
				action: 'Send a message on an event',
			},
			{
				name: 'Send Text',
				value: 'sendText',
				description: 'Send a text to the customer (within 48 hours of their message, 5 messages per message)',
				action: 'Send a text to a customer',
			},
		],
		default: 'sendText',
	},
	...pull.description,
	...sendText.description,
	...sendImage.description,
	...sendLink.description,
	...sendMenu.description,
	...sendMiniProgram.description,
	...sendOnEvent.description,
];
