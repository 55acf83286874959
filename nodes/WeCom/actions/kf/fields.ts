import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { requiredText, retriesOption } from '../fields';
import { MAX_MSGID_BYTES, msgidProblem } from './rules';

/**
 * The fields of WeChat Customer Service (kf) calls: which account and customer (kf/send_msg doc 94677,
 * service_state doc 94669), the Message ID (msgid) and what to do when the session is not one the API
 * may send to. Used by the WeChat Customer Service Message, Session and Servicer resources.
 */

export const openKfIdField: INodeProperties = {
	displayName: 'Customer Service Account ID',
	name: 'openKfId',
	type: 'string',
	default: '={{ $json.open_kfid }}',
	required: true,
	placeholder: 'wkAJ2GCAAAZSfhHCt7IFSvLKtMPxyJTw',
	description:
		'The open_kfid of the WeChat Customer Service account (starts with wk). Pulled messages carry it as open_kfid.',
};

export const kfTargetFields: INodeProperties[] = [
	openKfIdField,
	{
		displayName: 'Customer ID',
		name: 'externalUserId',
		type: 'string',
		default: '={{ $json.external_userid }}',
		required: true,
		placeholder: 'wmAJ2GCAAAme1XQRC-NI-q0_ZM9ukoAw',
		description: 'The external_userid of the WeChat customer (starts with wm). Pulled messages carry it as external_userid.',
	},
];

export interface KfTarget {
	openKfId: string;
	externalUserId: string;
}

export function kfTargetOf(this: IExecuteFunctions, itemIndex: number): KfTarget {
	return {
		openKfId: requiredText.call(this, itemIndex, 'openKfId', 'Customer Service Account ID'),
		externalUserId: requiredText.call(this, itemIndex, 'externalUserId', 'Customer ID'),
	};
}

/** The picture of a link or mini-program card: thumb_media_id, required by WeCom (doc 94677). */
export const thumbMediaIdField: INodeProperties = {
	displayName: 'Thumbnail Media ID',
	name: 'thumbMediaId',
	type: 'string',
	default: '',
	required: true,
	description: 'The media_id of the card picture: upload it with Media → Upload (type Image) before this node',
};

const msgidOption: INodeProperties = {
	displayName: 'Message ID',
	name: 'msgid',
	type: 'string',
	default: '',
	placeholder: 'order-1042-reply',
	description: `Your own ID for this message (msgid): at most ${MAX_MSGID_BYTES} letters, digits, _ or -, unique per customer service account. WeCom refuses a second message with the same ID, so a retried execution cannot send twice. Empty: the node makes one for this send, so its own retries cannot deliver twice either.`,
};

export function kfSendOptions(withSessionChoice: boolean): INodeProperties {
	return {
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add Option',
		default: {},
		options: [
			msgidOption,
			retriesOption('The copy carries the same Message ID, so WeCom refuses it if the first did arrive.'),
			...(withSessionChoice
				? [
						{
							displayName: 'When the Session Is Not With the Bot',
							name: 'ifNotSendable',
							type: 'options',
							options: [
								{
									name: 'Fail',
									value: 'fail',
									description: 'Stop with an error that names the state of the session',
								},
								{
									name: 'Skip and Output the State',
									value: 'skip',
									description:
										'Send nothing and output { sent: false, reason: "sessionNotSendable", service_state, servicer_userid }',
								},
							],
							default: 'fail',
							description:
								'WeCom lets the API send only while the session is new (0) or with the smart assistant (1); what to do when a servicer, the queue or the end of the session has it (errcode 95018)',
						} satisfies INodeProperties,
					]
				: []),
		],
	};
}

/** The Message ID option, checked against WeCom's rule before anything is sent. */
export function msgidOf(this: IExecuteFunctions, itemIndex: number): string | undefined {
	const options = this.getNodeParameter('options', itemIndex, {}) as IDataObject;
	const msgid = String(options.msgid ?? '').trim();
	if (!msgid) return undefined;
	const problem = msgidProblem(msgid);
	if (problem) {
		throw new NodeOperationError(this.getNode(), `The Message ID "${msgid}" cannot be used: ${problem}`, {
			description: `Use at most ${MAX_MSGID_BYTES} characters from 0-9, a-z, A-Z, _ and -, e.g. derived from an order number or the msgid of the customer message.`,
			itemIndex,
		});
	}
	return msgid;
}
