import { defineResource } from '../../../common/resource';
import * as codeToSession from './codeToSession.operation';
import * as getPhoneNumber from './getPhoneNumber.operation';

export const auth = defineResource({
	name: 'Auth',
	value: 'auth',
	description: 'Who the user is (openid) and the phone number they share',
	defaultOperation: 'codeToSession',
	operations: {
		codeToSession: {
			name: 'Code to Session',
			description: 'Turn the code of wx.login() into the openid (and unionid) of the user',
			action: 'Get the openid from a login code',
			module: codeToSession,
		},
		getPhoneNumber: {
			name: 'Get Phone Number',
			description: 'Turn the code of a getPhoneNumber button into the phone number the user shared',
			action: 'Get the phone number from a phone code',
			module: getPhoneNumber,
		},
	},
});
