/**
 * The session states of WeChat Customer Service (doc 94669 分配客服会话) in words an operator reads.
 * Pure logic, no n8n imports.
 */

export interface KfSessionState {
	service_state: number;
	servicer_userid?: string;
}

interface StateInfo {
	/** Stable name for expressions: $json.state === 'servicer'. */
	name: string;
	/** Completes "The session is …". */
	phrase: string;
}

const STATES: Readonly<Record<number, StateInfo>> = {
	0: { name: 'new', phrase: 'new and not yet handled' },
	1: { name: 'smartAssistant', phrase: 'with the smart assistant (the API)' },
	2: { name: 'queued', phrase: 'waiting in the queue for a servicer' },
	3: { name: 'servicer', phrase: 'with a human servicer' },
	4: { name: 'ended', phrase: 'ended or not started' },
};

export function kfStateName(state: number): string {
	return STATES[state]?.name ?? `unknown${state}`;
}

/** "with a human servicer (state 3, servicer zhangsan)". */
export function describeKfState({ service_state, servicer_userid }: KfSessionState): string {
	const phrase = STATES[service_state]?.phrase ?? 'in a state this node does not know';
	const servicer = service_state === 3 && servicer_userid ? `, servicer ${servicer_userid}` : '';
	return `${phrase} (state ${service_state}${servicer})`;
}

/** Whether kf/send_msg may send: "新接入待处理" (0) or "由智能助手接待" (1) only (doc 94677). */
export function isSendableState(state: number): boolean {
	return state === 0 || state === 1;
}

/** The state as the node outputs it. */
export function kfStateOutput(answer: { service_state?: unknown; servicer_userid?: unknown }): KfSessionState & {
	state: string;
} {
	const service_state = Number(answer.service_state);
	const output: KfSessionState & { state: string } = { service_state, state: kfStateName(service_state) };
	if (service_state === 3 && typeof answer.servicer_userid === 'string' && answer.servicer_userid) {
		output.servicer_userid = answer.servicer_userid;
	}
	return output;
}
