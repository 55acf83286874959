import type { IDataObject, IExecuteFunctions, IHttpRequestMethods } from 'n8n-workflow';
import { NodeApiError, NodeOperationError } from 'n8n-workflow';

import { weComApiRequest } from '../../transport';
import { kfTargetOf, msgidOf, type KfTarget } from './fields';
import { describeKfState, isSendableState, kfStateOutput } from './states';

/**
 * The WeChat Customer Service calls that several operations make: a kf call whose errcode the caller
 * explains (attemptKfRequest), the session state (service_state/get), and kf/send_msg (sendKfMessage),
 * the one path of every Kf Message send but Send on Event, which has an endpoint of its own.
 */

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
