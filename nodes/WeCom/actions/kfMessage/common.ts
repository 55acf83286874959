import type { IDataObject, IExecuteFunctions, IHttpRequestMethods, INodeProperties } from 'n8n-workflow';
import { NodeApiError, NodeOperationError } from 'n8n-workflow';

import { weComApiRequest } from '../../transport';
import { describeKfState, isSendableState, kfStateOutput } from '../kfSession/states';
import { msgidProblem } from './rules';

/**
 * What the kf send operations share (kf/send_msg, doc 94677): the account and customer, the Message ID
 * (msgid) and what to do when the session is not one the API may send to.
 */

export const openKfIdField: INodeProperties = {
	displayName: 'Kf Account ID',
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
	description:
		'Your own ID for this message (msgid): at most 32 letters, digits, _ or -, unique per kf account. WeCom refuses a second message with the same ID, so a retried execution cannot send twice. Empty: WeCom makes one.',
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

/** A required text parameter, trimmed; a clear error when an expression resolved to nothing. */
export function requiredText(this: IExecuteFunctions, itemIndex: number, name: string, label: string): string {
	const value = String(this.getNodeParameter(name, itemIndex, '') ?? '').trim();
	if (!value) {
		throw new NodeOperationError(this.getNode(), `${label} is empty`, {
			description: `Fill in ${label}, or map the field that holds it (the default reads it from the input item).`,
			itemIndex,
		});
	}
	return value;
}

/** The Message ID option, checked against WeCom's rule before anything is sent. */
export function msgidOf(this: IExecuteFunctions, itemIndex: number): string | undefined {
	const options = this.getNodeParameter('options', itemIndex, {}) as IDataObject;
	const msgid = String(options.msgid ?? '').trim();
	if (!msgid) return undefined;
	const problem = msgidProblem(msgid);
	if (problem) {
		throw new NodeOperationError(this.getNode(), `The Message ID "${msgid}" cannot be used: ${problem}`, {
			description:
				'Use at most 32 characters from 0-9, a-z, A-Z, _ and -, e.g. derived from an order number or the msgid of the customer message.',
			itemIndex,
		});
	}
	return msgid;
}

export interface KfTarget {
	openKfId: string;
	externalUserId: string;
}

export function kfTargetOf(this: IExecuteFunctions, itemIndex: number): KfTarget {
	return {
		openKfId: requiredText.call(this, itemIndex, 'openKfId', 'Kf Account ID'),
		externalUserId: requiredText.call(this, itemIndex, 'externalUserId', 'Customer ID'),
	};
}

/** A WeCom call that either answered or failed; a failure keeps its errcode for the caller to explain. */
export type KfAttempt =
	| { ok: true; answer: IDataObject }
	| { ok: false; error: NodeApiError | NodeOperationError; errcode?: number };

export async function attemptKfRequest(
	this: IExecuteFunctions,
	method: IHttpRequestMethods,
	endpoint: string,
	body: IDataObject | undefined,
	itemIndex: number,
	qs?: IDataObject,
): Promise<KfAttempt> {
	try {
		return { ok: true, answer: await weComApiRequest.call(this, method, endpoint, body, qs, { itemIndex }) };
	} catch (caught) {
		if (caught instanceof NodeApiError) {
			const errcode = caught.context.errcode;
			return { ok: false, error: caught, errcode: typeof errcode === 'number' ? errcode : undefined };
		}
		if (caught instanceof NodeOperationError) return { ok: false, error: caught };
		return {
			ok: false,
			error: new NodeOperationError(this.getNode(), caught instanceof Error ? caught : String(caught), { itemIndex }),
		};
	}
}

/** POST /cgi-bin/kf/service_state/get (doc 94669). */
export async function getKfSessionState(
	this: IExecuteFunctions,
	target: KfTarget,
	itemIndex: number,
): Promise<ReturnType<typeof kfStateOutput>> {
	const answer = await weComApiRequest.call(
		this,
		'POST',
		'/cgi-bin/kf/service_state/get',
		{ open_kfid: target.openKfId, external_userid: target.externalUserId },
		undefined,
		{ itemIndex },
	);
	return kfStateOutput(answer);
}

/**
 * POST /cgi-bin/kf/send_msg with the account, customer and Message ID around `payload`
 * ({ msgtype, <msgtype>: {...} }). On 95018 (the session is not with the bot) it reads the session state
 * and fails saying which state, or outputs it without sending when the operator chose so.
 */
export async function sendKfMessage(
	this: IExecuteFunctions,
	itemIndex: number,
	payload: IDataObject,
	target: KfTarget = kfTargetOf.call(this, itemIndex),
	msgid: string | undefined = msgidOf.call(this, itemIndex),
): Promise<IDataObject> {
	const where = { open_kfid: target.openKfId, external_userid: target.externalUserId };
	const body: IDataObject = { touser: target.externalUserId, open_kfid: target.openKfId, ...payload };
	if (msgid) body.msgid = msgid;
	const attempt = await attemptKfRequest.call(this, 'POST', '/cgi-bin/kf/send_msg', body, itemIndex);
	if (attempt.ok) return { sent: true, msgid: attempt.answer.msgid, msgtype: payload.msgtype, ...where };
	if (attempt.errcode !== 95018) throw attempt.error;

	const state = await getKfSessionState.call(this, target, itemIndex);
	// 95018 also covers a session past its 48 hours while still 0 or 1: WeCom's own words then.
	if (isSendableState(state.service_state)) throw attempt.error;
	const options = this.getNodeParameter('options', itemIndex, {}) as IDataObject;
	if (options.ifNotSendable === 'skip') {
		return { sent: false, reason: 'sessionNotSendable', ...state, ...where };
	}
	const error = attempt.error;
	error.message = `The session is ${describeKfState(state)}: WeCom lets the API send only while the session is new (0) or with the smart assistant (1)`;
	error.description = `A servicer answers from the WeCom client; once the session ends, the customer's next message starts a new one the API may answer. To skip such items instead of failing, set the option "When the Session Is Not With the Bot" to "Skip and Output the State". (WeCom: ${String(error.context.errmsg ?? '')})`;
	throw error;
}
