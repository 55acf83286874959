import type { ICredentialType, Icon, INodeProperties } from 'n8n-workflow';

/**
 * Tested by the WeCom Trigger (`testedBy`): these secrets never leave n8n, so the test checks their shape.
 *
 * What WeCom's "接收消息 → API接收" page shows for an app: the URL's Token and EncodingAESKey. The corp ID is
 * the receive ID inside every encrypted callback, checked on each one.
 */
export class WeComCallbackApi implements ICredentialType {
	name = 'weComCallbackApi';

	displayName = 'WeCom Callback API';

	icon: Icon = { light: 'file:../nodes/WeCom/wecom.svg', dark: 'file:../nodes/WeCom/wecom.dark.svg' };

	documentationUrl = 'https://developer.work.weixin.qq.com/document/path/90930';

	properties: INodeProperties[] = [
		{
			// n8n's editor says "Connection tested successfully" for any passing test and shows no message with
			// it, while a failing test marks the credential as not ready in n8n's workflow setup. So the test
			// passes for well-formed values, and this says what it checked.
			displayName:
				'Copy these from the WeCom admin console (应用管理 → your app → 接收消息 → 设置API接收) and paste the WeCom Trigger\'s Production URL there. "Test" only checks that the values are well formed; WeCom checks them when you save that page.',
			name: 'notice',
			type: 'notice',
			default: '',
		},
		{
			displayName: 'Corp ID',
			name: 'corpId',
			type: 'string',
			default: '',
			required: true,
			placeholder: 'ww0123456789abcdef',
			description:
				'企业ID, from 我的企业 → 企业信息. Every callback carries it as its receive ID; callbacks for another corp are refused.',
		},
		{
			displayName: 'Token',
			name: 'token',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			required: true,
			description: 'The Token of the app\'s API receive settings (used to check each callback\'s signature)',
		},
		{
			displayName: 'EncodingAESKey',
			name: 'encodingAesKey',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			required: true,
			description:
				'The 43-character EncodingAESKey of the app\'s API receive settings (letters and digits only)',
		},
	];
}
