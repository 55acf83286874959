import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { NodeOperationError, updateDisplayOptions } from 'n8n-workflow';

import { weComApiRequest } from '../../transport';
import { withoutEnvelope } from '../output';

const properties: INodeProperties[] = [
	{
		displayName:
			'The code is single-use and expires 5 minutes after WeCom issued it: run this right after the OAuth redirect reaches your webhook, once per code.',
		name: 'oauthCodeNotice',
		type: 'notice',
		default: '',
	},
	{
		displayName: 'Code',
		name: 'code',
		type: 'string',
		default: '',
		required: true,
		placeholder: '={{ $json.query.code }}',
		description:
			"The code query parameter WeCom adds when it redirects the user back from the app's OAuth page (open.weixin.qq.com/connect/oauth2/authorize) to your redirect_uri",
	},
];

export const description = updateDisplayOptions(
	{ show: { resource: ['user'], operation: ['getIdentityFromOAuthCode'] } },
	properties,
);

/**
 * GET /cgi-bin/auth/getuserinfo (doc 91023): a member gives userid (+ user_ticket with
 * snsapi_privateinfo), a non-member gives openid (+ external_userid when they are a customer).
 */
export async function execute(this: IExecuteFunctions, itemIndex: number): Promise<IDataObject> {
	const code = String(this.getNodeParameter('code', itemIndex, '')).trim();
	if (!code) {
		throw new NodeOperationError(this.getNode(), 'Code is empty', {
			description: 'Map the code query parameter of the OAuth redirect, e.g. {{ $json.query.code }} after a Webhook node.',
			itemIndex,
		});
	}
	const answer = await weComApiRequest.call(this, 'GET', '/cgi-bin/auth/getuserinfo', undefined, { code }, {
		itemIndex,
	});
	const identity = withoutEnvelope(answer);
	return { ...identity, isMember: typeof identity.userid === 'string' && identity.userid !== '' };
}
