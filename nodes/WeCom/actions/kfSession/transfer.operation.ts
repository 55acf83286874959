import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';

import { requiredText } from '../fields';
import { kfTargetFields, kfTargetOf } from '../kf/fields';
import { MAX_RETRIES } from '../../transport/retry';
import { attemptKfRequestWithRetries, getKfSessionState } from '../kf/requests';
import { describeKfState, kfStateName } from '../kf/states';

/** The target states service_state/trans takes (doc 94669). */
const TARGET_STATES: Record<string, number> = { smartAssistant: 1, queue: 2, servicer: 3, end: 4 };

const properties: INodeProperties[] = [
	...kfTargetFields,
	{
		displayName: 'To',
		name: 'to',
		type: 'options',
		options: [
			{
				name: 'End Session',
				value: 'end',
				description: 'State 4: the customer\'s next message starts a new session',
			},
			{ name: 'Queue', value: 'queue', description: 'State 2: wait in the queue (待接入池) for a servicer' },
			{ name: 'Servicer', value: 'servicer', description: 'State 3: a human servicer takes over' },
			{
				name: 'Smart Assistant',
				value: 'smartAssistant',
				description: 'State 1: the API (this workflow) answers',
			},
		],
		default: 'servicer',
		description:
			'Where the session goes. WeCom allows: new → any; smart assistant → queue, servicer, end; queue → servicer, end; servicer → another servicer, end; an ended session cannot be moved.',
	},
	{
		displayName: 'Servicer User ID',
		name: 'servicerUserId',
		type: 'string',
		default: '',
		required: true,
		placeholder: 'zhangsan',
		description:
			'The UserID of a servicer of this customer service account who is receiving (接待中) and has activated WeCom; WeChat Customer Service Servicer → List shows them',
		displayOptions: { show: { to: ['servicer'] } },
	},
	{
		displayName:
			'WeCom returns a msg_code the first time a session goes to the queue or to a servicer, and when it ends. Pass it to WeChat Customer Service Message → Send on Event to send a queue notice, an off-hours notice or a closing message (the closing code lasts 20 seconds).',
		name: 'msgCodeNotice',
		type: 'notice',
		default: '',
	},
];

export const description = updateDisplayOptions(
	{ show: { resource: ['kfSession'], operation: ['transfer'] } },
	properties,
);

/**
 * kf/service_state/trans (doc 94669). On 95016 it reads the state: a session already there (or already
 * with a servicer when sent to the queue) is output with transferred: false; otherwise the error names
 * the state the session is in.
 */
export async function execute(this: IExecuteFunctions, itemIndex: number): Promise<IDataObject> {
	const target = kfTargetOf.call(this, itemIndex);
	const to = this.getNodeParameter('to', itemIndex) as string;
	const serviceState = TARGET_STATES[to] ?? Number(to);
	const body: IDataObject = {
		open_kfid: target.openKfId,
		external_userid: target.externalUserId,
		service_state: serviceState,
	};
	if (serviceState === 3) body.servicer_userid = requiredText.call(this, itemIndex, 'servicerUserId', 'Servicer User ID');

	// A hand-off must not fail on a busy moment: a transfer that did arrive is found in place (95016 below).
	const { attempt } = await attemptKfRequestWithRetries.call(
		this,
		'/cgi-bin/kf/service_state/trans',
		body,
		itemIndex,
		MAX_RETRIES,
	);
	if (attempt.ok) {
		const output: IDataObject = {
			transferred: true,
			open_kfid: target.openKfId,
			external_userid: target.externalUserId,
			service_state: serviceState,
			state: kfStateName(serviceState),
		};
		if (body.servicer_userid) output.servicer_userid = body.servicer_userid;
		if (typeof attempt.answer.msg_code === 'string' && attempt.answer.msg_code) {
			output.msg_code = attempt.answer.msg_code;
		}
		return output;
	}
	if (attempt.errcode === 95016) {
		const state = await getKfSessionState.call(this, target, itemIndex);
		// Already where it was sent (a customer asking twice, a second night in the queue), or sent to
		// the queue while a servicer already has it (the queue only leads there): nothing to do. Flows
		// that hand off should not fail on it.
		const already =
			state.service_state === serviceState && (serviceState !== 3 || state.servicer_userid === body.servicer_userid);
		if (already || (serviceState === 2 && state.service_state === 3)) {
			return {
				transferred: false,
				reason: already ? 'alreadyInState' : 'alreadyWithServicer',
				open_kfid: target.openKfId,
				external_userid: target.externalUserId,
				...state,
			};
		}
		attempt.error.message = `The session is ${describeKfState(state)}: WeCom does not allow moving it to ${kfStateName(serviceState)} (state ${serviceState})`;
	}
	throw attempt.error;
}
