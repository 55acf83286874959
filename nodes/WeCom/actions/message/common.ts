import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { agentIdValue, getWeComCredentials, weComApiRequest } from '../../transport';
import { withTransientRetries } from '../../transport/retry';
import { joinIds, retriesOf, retriesOption } from '../fields';
import { withoutEnvelope } from '../output';

/**
 * What every app message shares (message/send, doc 90236): recipients, agentid from the
 * credential, and the options safe / enable_id_trans / enable_duplicate_check.
 */

export const recipientFields: INodeProperties[] = [
	{
		displayName: 'Users',
		name: 'toUser',
		type: 'string',
		default: '',
		placeholder: 'User IDs, e.g. zhangsan, lisi (or @all)',
		description:
			'User IDs (通讯录 账号) of the members who get the message, separated by | or comma; @all for everyone in the app\'s visible range. At most 1000.',
	},
	{
		displayName: 'Departments',
		name: 'toParty',
		type: 'string',
		default: '',
		placeholder: 'Department IDs, e.g. 2, 3',
		description: 'Department IDs (部门ID, in the admin console\'s 通讯录), separated by | or comma. At most 100.',
	},
	{
		displayName: 'Tags',
		name: 'toTag',
		type: 'string',
		default: '',
		placeholder: 'Tag IDs, e.g. 1, 4',
		description: 'Tag IDs (标签ID, in the admin console\'s 通讯录 → 标签), separated by | or comma. At most 100.',
	},
];

export type SendOption = 'safe' | 'enableIdTrans' | 'enableDuplicateCheck';

const optionFields: Record<SendOption, INodeProperties[]> = {
	safe: [
		{
			displayName: 'Confidential',
			name: 'safe',
			type: 'boolean',
			default: false,
			description:
				'Whether to send as a confidential message (safe=1): recipients cannot forward it and see a watermark',
		},
	],
	enableIdTrans: [
		{
			displayName: 'Translate IDs',
			name: 'enableIdTrans',
			type: 'boolean',
			default: false,
			description:
				'Whether WeCom shows $userName=ID$ and $departmentName=ID$ placeholders in the text as names (enable_id_trans)',
		},
	],
	enableDuplicateCheck: [
		{
			displayName: 'Duplicate Check',
			name: 'enableDuplicateCheck',
			type: 'boolean',
			default: false,
			description:
				'Whether WeCom drops a message identical to one this app sent within the Duplicate Check Interval (enable_duplicate_check)',
		},
		{
			displayName: 'Duplicate Check Interval (Seconds)',
			name: 'duplicateCheckInterval',
			type: 'number',
			typeOptions: { minValue: 1, maxValue: 14400 },
			default: 1800,
			description: 'How far back the duplicate check looks, at most 4 hours (duplicate_check_interval)',
		},
	],
};

/** The Options collection of a send operation, offering only what WeCom supports for it. */
export function sendOptions(supported: SendOption[]): INodeProperties {
	return {
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add Option',
		default: {},
		options: [
			...supported.flatMap((option) => optionFields[option]),
			retriesOption(
				'A message whose first attempt got no answer is sent again only with Duplicate Check on, which lets WeCom drop the copy.',
			),
		],
	};
}

const RECIPIENT_LIMITS = { touser: 1000, toparty: 100, totag: 100 } as const;

export function recipientsOf(this: IExecuteFunctions, itemIndex: number): IDataObject {
	const recipients: IDataObject = {};
	const values = {
		touser: joinIds(this.getNodeParameter('toUser', itemIndex, '')),
		toparty: joinIds(this.getNodeParameter('toParty', itemIndex, '')),
		totag: joinIds(this.getNodeParameter('toTag', itemIndex, '')),
	};
	for (const [key, value] of Object.entries(values) as Array<[keyof typeof values, string]>) {
		if (!value) continue;
		const count = value.split('|').length;
		if (count > RECIPIENT_LIMITS[key]) {
			throw new NodeOperationError(
				this.getNode(),
				`Too many recipients in ${key}: ${count}, WeCom accepts at most ${RECIPIENT_LIMITS[key]} per message`,
				{ description: 'Split the recipients over several items, or send to a department or tag.', itemIndex },
			);
		}
		recipients[key] = value;
	}
	if (Object.keys(recipients).length === 0) {
		throw new NodeOperationError(this.getNode(), 'No recipient: fill in Users, Departments or Tags', {
			description:
				'WeCom needs at least one of them (touser, toparty, totag). Users takes user IDs separated by | or comma, or @all.',
			itemIndex,
		});
	}
	return recipients;
}

function optionsOf(this: IExecuteFunctions, itemIndex: number): IDataObject {
	const options = this.getNodeParameter('options', itemIndex, {}) as IDataObject;
	const body: IDataObject = {};
	if (options.safe !== undefined) body.safe = options.safe ? 1 : 0;
	if (options.enableIdTrans !== undefined) body.enable_id_trans = options.enableIdTrans ? 1 : 0;
	if (options.enableDuplicateCheck !== undefined) {
		body.enable_duplicate_check = options.enableDuplicateCheck ? 1 : 0;
	}
	if (options.enableDuplicateCheck && options.duplicateCheckInterval !== undefined) {
		body.duplicate_check_interval = Number(options.duplicateCheckInterval);
	}
	return body;
}

/**
 * POST /cgi-bin/message/send with recipients, agentid and options around `payload`
 * ({ msgtype, <msgtype>: {...} }). Recipients WeCom could not reach come back in
 * invaliduser / invalidparty / invalidtag / unlicenseduser: output, not an error.
 */
export async function sendAppMessage(
	this: IExecuteFunctions,
	itemIndex: number,
	payload: IDataObject,
): Promise<IDataObject> {
	const recipients = recipientsOf.call(this, itemIndex);
	const credentials = await getWeComCredentials.call(this);
	const body: IDataObject = {
		...recipients,
		...payload,
		agentid: agentIdValue.call(this, credentials, itemIndex),
		...optionsOf.call(this, itemIndex),
	};
	// After an answer that never came, a second copy is harmless only when WeCom's duplicate check drops it.
	const { answer } = await withTransientRetries(
		async () => await weComApiRequest.call(this, 'POST', '/cgi-bin/message/send', body, undefined, { itemIndex }),
		{ retries: retriesOf.call(this, itemIndex), idempotent: body.enable_duplicate_check === 1 },
	);
	const unreached = ['invaliduser', 'invalidparty', 'invalidtag', 'unlicenseduser'].filter(
		(key) => typeof answer[key] === 'string' && answer[key] !== '',
	);
	if (unreached.length > 0) {
		this.addExecutionHints({
			message: `WeCom did not deliver to some recipients (${unreached.map((key) => `${key}: ${String(answer[key])}`).join('; ')}). Check the IDs and the app's visible range.`,
			type: 'warning',
			location: 'outputPane',
		});
	}
	return { ...withoutEnvelope(answer), msgtype: payload.msgtype, ...recipients };
}
