import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';

import { miniProgramCodeToSession } from '../../transport';
import { requiredCode } from '../fields';

const properties: INodeProperties[] = [
	{
		displayName:
			'A login code can be used once and is valid for 5 minutes: run this as soon as the mini-program sends the code of wx.login(), once per code.',
		name: 'loginCodeNotice',
		type: 'notice',
		default: '',
	},
	{
		displayName: 'Login Code',
		name: 'code',
		type: 'string',
		default: '',
		required: true,
		placeholder: '={{ $json.body.code }}',
		description: 'The code wx.login() gave the mini-program (res.code), sent to this workflow',
	},
	{
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add Option',
		default: {},
		options: [
			{
				displayName: 'Include Session Key',
				name: 'includeSessionKey',
				type: 'boolean',
				default: false,
				description:
					"Whether to add session_key to the output. It decrypts the user's data and signs requests for this user: only turn this on when a later step needs it, and do not save it in a table or a log.",
			},
		],
	},
];

export const description = updateDisplayOptions({ show: { resource: ['auth'], operation: ['codeToSession'] } }, properties);

/**
 * GET /sns/jscode2session (code2Session): who the user is. openid identifies them in this mini-program,
 * unionid across the company's apps (only when the mini-program is bound to an open platform account).
 * session_key stays out of the output unless asked for: it is a secret of the user's session.
 */
export async function execute(this: IExecuteFunctions, itemIndex: number): Promise<IDataObject> {
	const code = requiredCode(this, itemIndex, 'Login Code', 'the code of wx.login(), e.g. {{ $json.body.code }} after a Webhook node');
	const options = this.getNodeParameter('options', itemIndex, {}) as { includeSessionKey?: boolean };
	const answer = await miniProgramCodeToSession.call(this, code, { itemIndex });
	const identity: IDataObject = { openid: answer.openid };
	if (typeof answer.unionid === 'string' && answer.unionid) identity.unionid = answer.unionid;
	if (options.includeSessionKey === true) identity.session_key = answer.session_key;
	return identity;
}
