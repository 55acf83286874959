import type { INodeProperties } from 'n8n-workflow';

import * as getIdentityFromOAuthCode from './getIdentityFromOAuthCode.operation';
import * as getJsSdkSignature from './getJsSdkSignature.operation';

export { getIdentityFromOAuthCode, getJsSdkSignature };

export const description: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: ['user'] } },
		options: [
			{
				name: 'Get Identity From OAuth Code',
				value: 'getIdentityFromOAuthCode',
				description: 'Turn the code of an OAuth redirect into the userid (member) or openid (non-member)',
				action: 'Get user identity from an auth code',
			},
			{
				name: 'Get JS-SDK Signature',
				value: 'getJsSdkSignature',
				description: 'Sign a page URL for wx.config or wx.agentConfig',
				action: 'Get a JS-SDK signature',
			},
		],
		default: 'getIdentityFromOAuthCode',
	},
	...getIdentityFromOAuthCode.description,
	...getJsSdkSignature.description,
];
