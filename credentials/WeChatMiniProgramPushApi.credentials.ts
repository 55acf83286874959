import type { ICredentialType, Icon, INodeProperties } from 'n8n-workflow';

/**
 * Tested by the WeChat Mini Program Trigger (`testedBy`): these secrets never leave n8n, so the test checks
 * their shape. What the mini-program admin console shows under 开发 → 开发管理 → 消息推送: the Token and the
 * EncodingAESKey; the App ID is the receive ID inside every encrypted push, checked on each one.
 */
export class WeChatMiniProgramPushApi implements ICredentialType {
	name = 'weChatMiniProgramPushApi';

	displayName = 'WeChat Mini Program Message Push API';

	icon: Icon = {
		light: 'file:../nodes/WeChatMiniProgram/weChatMiniProgram.svg',
		dark: 'file:../nodes/WeChatMiniProgram/weChatMiniProgram.dark.svg',
	};

	documentationUrl = 'https://developers.weixin.qq.com/miniprogram/dev/framework/server-ability/message-push.html';

	properties: INodeProperties[] = [
		{
			displayName:
				'Copy these from the mini-program admin console (开发 → 开发管理 → 消息推送), choose 安全模式, and paste the WeChat Mini Program Trigger\'s Production URL there. "Test" only checks that the values are well formed; WeChat checks them when you submit that page.',
			name: 'notice',
			type: 'notice',
			default: '',
		},
		{
			displayName: 'App ID',
			name: 'appId',
			type: 'string',
			default: '',
			required: true,
			placeholder: 'wx0123456789abcdef',
			description:
				'The mini-program\'s AppID (开发 → 开发管理 → 开发设置). Every encrypted push carries it; pushes for another app are refused.',
		},
		{
			displayName: 'Token',
			name: 'token',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			required: true,
			description: 'The Token (令牌) of the message push settings, used to check each push\'s signature',
		},
		{
			displayName: 'EncodingAESKey',
			name: 'encodingAesKey',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			required: true,
			description: 'The 43-character EncodingAESKey (消息加密密钥) of the message push settings (letters and digits only)',
		},
	];
}
