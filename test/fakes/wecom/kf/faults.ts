// Faults for one customer on the kf APIs that act on a customer (send a message, move the session), and
// the log of every such attempt, so that a test can prove what reached the customer and how often:
// "exactly once" is counted here, at the source, not from what the client believes it did.
import {
	FaultQueue,
	type Answer,
	type Clock,
	type FakeTimes,
	type JsonObject,
	type Reply,
} from '../platform';

/** The kf APIs whose calls can be failed per customer. */
export type FakeKfFaultPath =
	| '/cgi-bin/kf/send_msg'
	| '/cgi-bin/kf/send_msg_on_event'
	| '/cgi-bin/kf/service_state/trans';

/**
 * What happens to one call:
 * - 'busy': errcode -1 系统繁忙 [doc 90313], the transient error a client should retry; nothing is done.
 * - 'drop': the connection is destroyed before WeCom acts; no answer, nothing is done.
 * - 'drop-after': WeCom acts (the message is sent, the state moves), then the connection is destroyed: the
 *   client sees a network error for a call that took effect.
 * - 'stall': the request is accepted and never answered; nothing is done (the client's timeout ends it).
 * - 'stall-after': WeCom acts, then never answers: the client's timeout ends a call that took effect (and
 *   holds its execution meanwhile, e.g. for a test to stop n8n after the customer got the message).
 * - `{ errcode, errmsg? }`: WeCom answers this errcode; nothing is done.
 * - `{ delayMs }`: WeCom acts at once and answers after `delayMs` (a slow link): the call holds its
 *   execution for that long after it took effect, as a step a test wants another execution to overtake.
 */
export type FakeKfFault =
	| 'busy'
	| 'drop'
	| 'drop-after'
	| 'stall'
	| 'stall-after'
	| { errcode: number; errmsg?: string }
	| { delayMs: number };

/** One call of a kf API that acts on a customer, whatever became of it. */
export interface FakeKfAttempt {
	path: FakeKfFaultPath;
	/** '' when the request named none (or, for send_msg_on_event, its code was unknown). */
	open_kfid: string;
	external_userid: string;
	/** send_msg / send_msg_on_event: the msgid WeCom answered (given or generated) when it sent the message,
	 * else the one the request asked for, if any. */
	msgid?: string;
	/** service_state/trans: the state asked for. */
	service_state?: number;
	/** WeCom's verdict, 0 = sent / moved; absent when it reached none ('drop', 'stall'). */
	errcode?: number;
	/** Whether the client got an answer ('drop', 'drop-after', 'stall' and 'stall-after' leave it without). */
	answered: boolean;
	/** The fault injected into this call, if any. */
	fault?: FakeKfFault;
	time: number;
}

export interface FakeKfFaultsApi {
	/** Every call of send_msg, send_msg_on_event and service_state/trans, in order (accepted or refused). */
	readonly kfAttempts: FakeKfAttempt[];
	/**
	 * The next `times` calls of `path` for this customer (external_userid; for send_msg_on_event, the
	 * customer of the code) meet `fault`, after faults already queued for them. `times` defaults to 1;
	 * 'always' lasts until reset() or a call with times 0, which clears the customer's queue for `path`.
	 */
	injectKfFault(path: FakeKfFaultPath, externalUserId: string, fault: FakeKfFault, times?: FakeTimes): void;
}

export class KfFaults implements FakeKfFaultsApi {
	readonly kfAttempts: FakeKfAttempt[] = [];
	private readonly queue = new FaultQueue<FakeKfFault>();

	constructor(private readonly now: Clock) {}

	reset(): void {
		this.kfAttempts.length = 0;
		this.queue.clear();
	}

	injectKfFault(path: FakeKfFaultPath, externalUserId: string, fault: FakeKfFault, times: FakeTimes = 1): void {
		this.queue.add(faultKey(path, externalUserId), fault, times);
	}

	/**
	 * Runs `act` (what WeCom does for the call) unless a fault stops it, and logs the attempt. `customer`
	 * names whom the call is about; `body` is the request.
	 */
	attempt(
		path: FakeKfFaultPath,
		customer: { open_kfid: string; external_userid: string },
		body: JsonObject,
		act: () => Answer,
	): Reply | Promise<Reply> {
		const fault = this.queue.take(faultKey(path, customer.external_userid));
		const attempt: FakeKfAttempt = {
			path,
			...customer,
			...(typeof body.msgid === 'string' && body.msgid !== '' ? { msgid: body.msgid } : {}),
			...(path === '/cgi-bin/kf/service_state/trans' ? { service_state: Number(body.service_state) } : {}),
			answered: true,
			...(fault === undefined ? {} : { fault }),
			time: this.now(),
		};
		this.kfAttempts.push(attempt);
		if (fault === 'drop' || fault === 'stall') {
			attempt.answered = false;
			return { noAnswer: fault };
		}
		if (fault === 'busy' || (typeof fault === 'object' && 'errcode' in fault)) {
			const answer: Answer = fault === 'busy' ? { errcode: -1 } : { ...fault };
			attempt.errcode = answer.errcode;
			return answer;
		}
		const answer = act();
		attempt.errcode = answer.errcode;
		if (answer.errcode === 0 && typeof answer.msgid === 'string') attempt.msgid = answer.msgid;
		if (fault === 'drop-after' || fault === 'stall-after') {
			attempt.answered = false;
			return { noAnswer: fault === 'drop-after' ? 'drop' : 'stall' };
		}
		if (typeof fault === 'object') return new Promise((resolve) => setTimeout(() => resolve(answer), fault.delayMs));
		return answer;
	}
}

function faultKey(path: string, externalUserId: string): string {
	return `${path}\n${externalUserId}`;
}
