import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { TEXT_LIMITS } from '../../common/channels';

const MAX_TEXT = TEXT_LIMITS.whatsApp.max;

/** Who gets the message; the default answers the chat a WhatsApp Web Trigger item came from. */
export const toField: INodeProperties = {
	displayName: 'To',
	name: 'to',
	type: 'string',
	default: '={{ $json.conversationId }}',
	required: true,
	placeholder: '+86 138 0000 0000',
	description:
		'A phone number, country code first (checked with WhatsApp), or a chat ID (…@c.us, …@lid, …@g.us for a group). The default answers the chat of the WhatsApp Web Trigger\'s message.',
};

export function toOf(this: IExecuteFunctions, itemIndex: number): string {
	const to = String(this.getNodeParameter('to', itemIndex, '')).trim();
	if (!to) {
		throw new NodeOperationError(this.getNode(), 'No recipient: To is empty', {
			description: 'Enter a phone number with its country code or a chat ID, or map conversationId from the WhatsApp Web Trigger.',
			itemIndex,
		});
	}
	return to;
}

export const textField: INodeProperties = {
	displayName: 'Text',
	name: 'text',
	type: 'string',
	typeOptions: { rows: 4 },
	default: '',
	required: true,
	description: `The message, at most ${MAX_TEXT} characters. *bold*, _italic_ and ~strike~ work as in WhatsApp.`,
};

export function textOf(this: IExecuteFunctions, itemIndex: number): string {
	const text = String(this.getNodeParameter('text', itemIndex, ''));
	if (text.trim() === '') {
		throw new NodeOperationError(this.getNode(), 'The message text is empty', {
			description: 'Fill in Text, or map a field that holds it.',
			itemIndex,
		});
	}
	if (text.length > MAX_TEXT) {
		throw new NodeOperationError(this.getNode(), `The text is ${text.length} characters; WhatsApp takes at most ${MAX_TEXT}`, {
			description: 'Shorten it, or split it over several messages.',
			itemIndex,
		});
	}
	return text;
}

/** What a send answered, under the names the trigger uses for the same things. */
export function sentItem(answer: IDataObject): IDataObject {
	return { ...answer, conversationId: answer.chatId };
}
