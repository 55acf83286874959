import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { truncateUtf8 } from '../../../shared/text';
import { agentIdValue, getWeComCredentials, weComApiRequest } from '../../transport';
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
		placeholder: 'zhangsan|lisi',
		description:
			'User IDs (通讯录 账号) of the members who get the message, separated by | or comma; @all for everyone in the app\'s visible range. At most 1000.',
	},
	{
		displayName: 'Departments',
		name: 'toParty',
		type: 'string',
		default: '',
		placeholder: '2|3',
		description: 'Department IDs, separated by | or comma. At most 100.',
	},
	{
		displayName: 'Tags',
		name: 'toTag',
		type: 'string',
		default: '',
		placeholder: '1|4',
		description: 'Tag IDs, separated by | or comma. At most 100.',
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
		options: supported.flatMap((option) => optionFields[option]),
	};
}

/** IDs typed by a person or mapped from an expression (string, number or array) → "a|b|c". */
export function joinIds(value: unknown): string {
	const parts = Array.isArray(value) ? value.map((part) => String(part)) : String(value ?? '').split(/[|,，;\s]+/);
	return parts
		.map((part) => part.trim())
		.filter((part) => part.length > 0)
		.join('|');
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
		agentid: agentIdValue(credentials),
		...optionsOf.call(this, itemIndex),
	};
	const answer = await weComApiRequest.call(this, 'POST', '/cgi-bin/message/send', body, undefined, { itemIndex });
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

/** WeCom's limit for text and markdown content, in UTF-8 bytes. */
export const MAX_CONTENT_BYTES = 2048;

/** The content of a text or markdown message, cut to 2048 bytes when Truncate is on. */
export function contentOf(this: IExecuteFunctions, itemIndex: number): { content: string; notice?: IDataObject } {
	const content = String(this.getNodeParameter('content', itemIndex, ''));
	if (content.trim() === '') {
		throw new NodeOperationError(this.getNode(), 'The message content is empty', {
			description: 'Fill in Content, or map a field that holds the text.',
			itemIndex,
		});
	}
	const bytes = Buffer.byteLength(content, 'utf8');
	if (bytes <= MAX_CONTENT_BYTES) return { content };
	const truncate = this.getNodeParameter('truncate', itemIndex, true) as boolean;
	if (!truncate) {
		throw new NodeOperationError(
			this.getNode(),
			`The content is ${bytes} bytes; WeCom accepts at most ${MAX_CONTENT_BYTES} bytes (UTF-8)`,
			{ description: 'Shorten it, split it over several messages, or turn on Truncate Long Content.', itemIndex },
		);
	}
	const cut = truncateUtf8(content, MAX_CONTENT_BYTES);
	this.addExecutionHints({
		message: `Content was cut from ${bytes} to ${Buffer.byteLength(cut, 'utf8')} bytes, WeCom's limit.`,
		type: 'info',
		location: 'outputPane',
	});
	return { content: cut, notice: { truncated: true, originalBytes: bytes } };
}

export const contentFields = (kind: 'text' | 'markdown'): INodeProperties[] => [
	{
		displayName: 'Content',
		name: 'content',
		type: 'string',
		typeOptions: { rows: 4 },
		default: '',
		required: true,
		description:
			kind === 'text'
				? 'The text to send, at most 2048 bytes (about 680 Chinese characters). Line breaks and &lt;a href="…"&gt;links&lt;/a&gt; are kept.'
				: 'Markdown to send (WeCom supports a subset: headings, bold, links, quotes, &lt;font color="info|comment|warning"&gt;), at most 2048 bytes. Not shown in 微工作台.',
	},
	{
		displayName: 'Truncate Long Content',
		name: 'truncate',
		type: 'boolean',
		default: true,
		description:
			'Whether to cut content longer than 2048 bytes at a character boundary (and say so in the output) instead of failing',
	},
];
