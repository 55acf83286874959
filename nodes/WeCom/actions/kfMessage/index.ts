import { defineResource } from '../resource';
import * as pull from './pull.operation';
import * as sendImage from './sendImage.operation';
import * as sendLink from './sendLink.operation';
import * as sendMenu from './sendMenu.operation';
import * as sendMiniProgram from './sendMiniProgram.operation';
import * as sendOnEvent from './sendOnEvent.operation';
import * as sendText from './sendText.operation';

export const kfMessage = defineResource({
	name: 'WeChat Customer Service Message',
	value: 'kfMessage',
	description: 'Messages with WeChat customers through WeChat Customer Service (微信客服)',
	defaultOperation: 'sendText',
	operations: {
		pull: {
			name: 'Pull Messages',
			description: 'Fetch the messages a kf_msg_or_event callback announced (kf/sync_msg), once each',
			action: 'Pull messages',
			module: pull,
		},
		sendText: {
			name: 'Send Text',
			description: 'Send a text to the customer (within 48 hours of their message, 5 messages per message)',
			action: 'Send a text to a customer',
			module: sendText,
		},
		sendImage: {
			name: 'Send Image',
			description: 'Upload an image from a binary field and send it to the customer',
			action: 'Send an image to a customer',
			module: sendImage,
		},
		sendLink: {
			name: 'Send Link',
			description: 'Send a link card with a title, text and picture',
			action: 'Send a link to a customer',
			module: sendLink,
		},
		sendMenu: {
			name: 'Send Menu',
			description: 'Send a menu of replies, links and mini-program pages the customer taps',
			action: 'Send a menu to a customer',
			module: sendMenu,
		},
		sendMiniProgram: {
			name: 'Send Mini Program',
			description: 'Send a mini-program card',
			action: 'Send a mini program card to a customer',
			module: sendMiniProgram,
		},
		sendOnEvent: {
			name: 'Send on Event',
			description: 'Send the welcome, queue or closing message an event code allows (send_msg_on_event)',
			action: 'Send a message on an event',
			module: sendOnEvent,
		},
	},
});
