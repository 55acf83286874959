import type { IDataObject, IExecuteFunctions, IHttpRequestMethods } from 'n8n-workflow';
import { randomBytes } from 'node:crypto';
import { NodeApiError, NodeOperationError } from 'n8n-workflow';

import { weComApiRequest } from '../../transport';
import { withTransientRetries } from '../../transport/retry';
import { retriesOf } from '../fields';
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
		return failedAttempt.call(this, caught, itemIndex);
	}
}

function failedAttempt(this: IExecuteFunctions, caught: unknown, itemIndex: number): KfAttempt {
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

/**
 * A kf POST (as attemptKfRequest) made again after a pause while its failure is one a pause can cure, at
 * most `retries` more times. Callers send the same body each time, so a call that did arrive while its
 * answer was lost is not carried out twice: WeCom refuses a reused msgid, an event code used once, a
 * transfer to where the session already is. `attempts` is how many it took, when it succeeded.
 */
export async function attemptKfRequestWithRetries(
	this: IExecuteFunctions,
	endpoint: string,
	body: IDataObject,
	itemIndex: number,
	retries: number,
): Promise<{ attempt: KfAttempt; attempts?: number }> {
	try {
		const { answer, attempts } = await withTransientRetries(
			async () => await weComApiRequest.call(this, 'POST', endpoint, body, undefined, { itemIndex }),
			{ retries, idempotent: true },
		);
		return { attempt: { ok: true, answer }, attempts };
	} catch (caught) {
		return { attempt: failedAttempt.call(this, caught, itemIndex) };
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
	const retries = retriesOf.call(this, itemIndex);
	// A retry must carry the msgid of the first attempt: if that one did reach WeCom (the answer was
	// lost), WeCom refuses the copy instead of showing the customer the message twice.
	body.msgid = msgid ?? (retries > 0 ? randomBytes(16).toString('hex') : undefined);
	if (body.msgid === undefined) delete body.msgid;
	const { attempt, attempts } = await attemptKfRequestWithRetries.call(this, '/cgi-bin/kf/send_msg', body, itemIndex, retries);
	if (attempt.ok) {
		return {
			sent: true,
			msgid: attempt.answer.msgid ?? body.msgid,
			msgtype: payload.msgtype,
			...where,
			...(attempts !== undefined && attempts > 1 ? { attempts } : {}),
		};
	}
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
