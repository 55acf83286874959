import { defineResource } from '../resource';
import * as getIdentityFromOAuthCode from './getIdentityFromOAuthCode.operation';
import * as getJsSdkSignature from './getJsSdkSignature.operation';

export const user = defineResource({
	name: 'User',
	value: 'user',
	description: 'Who opened an app page, and JS-SDK signatures for it',
	defaultOperation: 'getIdentityFromOAuthCode',
	operations: {
		getIdentityFromOAuthCode: {
			name: 'Get Identity From OAuth Code',
			description: 'Turn the code of an OAuth redirect into the userid (member) or openid (non-member)',
			action: 'Get user identity from an auth code',
			module: getIdentityFromOAuthCode,
		},
		getJsSdkSignature: {
			name: 'Get JS-SDK Signature',
			description: 'Sign a page URL for wx.config or wx.agentConfig',
			action: 'Get a JS-SDK signature',
			module: getJsSdkSignature,
		},
	},
});
