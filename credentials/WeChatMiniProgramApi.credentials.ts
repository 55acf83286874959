import type { ICredentialTestRequest, ICredentialType, Icon, INodeProperties } from 'n8n-workflow';

/**
 * A WeChat mini-program's AppID and AppSecret. The WeChat Mini Program node fetches and caches the access
 * token itself (nodes/WeChatMiniProgram/transport), so this type has no `authenticate`.
 *
 * "Test" asks POST /cgi-bin/stable_token in normal mode, as the node does: it returns the token every other
 * process of this mini-program already holds, so testing never ends anyone's token (cgi-bin/token, or
 * stable_token with force_refresh, would). The test is declarative, like the WeCom API credential's: a
 * function test could only use the deprecated `helpers.request`, which n8n's lint refuses. So its messages
 * are fixed texts per errcode and cannot quote the IP of a 40164; the node's own error does.
 */
export class WeChatMiniProgramApi implements ICredentialType {
	name = 'weChatMiniProgramApi';

	displayName = 'WeChat Mini Program API';

	icon: Icon = {
		light: 'file:../nodes/WeChatMiniProgram/weChatMiniProgram.svg',
		dark: 'file:../nodes/WeChatMiniProgram/weChatMiniProgram.dark.svg',
	};

	documentationUrl = 'https://developers.weixin.qq.com/miniprogram/dev/OpenApiDoc/mp-access-token/getStableAccessToken.html';

	properties: INodeProperties[] = [
		{
			displayName:
				"WeChat accepts token requests only from the IPs in the mini-program's IP whitelist: add this n8n server's public IP at mp.weixin.qq.com → 开发管理 → 开发设置 → IP白名单, or set API Base URL to a fixed-IP proxy whose IP is listed there.",
			name: 'ipWhitelistNotice',
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
			description: 'AppID (小程序ID), from mp.weixin.qq.com → 开发管理 → 开发设置 → 开发者ID',
		},
		{
			displayName: 'App Secret',
			name: 'appSecret',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			required: true,
			description:
				'AppSecret (小程序密钥), from mp.weixin.qq.com → 开发管理 → 开发设置 → 开发者ID. Resetting it there makes the old one stop working.',
		},
		{
			displayName: 'API Base URL',
			name: 'baseUrl',
			type: 'string',
			default: 'https://api.weixin.qq.com',
			required: true,
			description:
				"WeChat's API address. Change it only when calls go through a fixed-IP proxy: WeChat accepts token requests only from the IP whitelist, and the proxy's IP is the one to list there.",
		},
	];

	test: ICredentialTestRequest = {
		request: {
			method: 'POST',
			baseURL: '={{$credentials.baseUrl}}',
			url: '/cgi-bin/stable_token',
			body: {
				grant_type: 'client_credential',
				appid: '={{$credentials.appId}}',
				secret: '={{$credentials.appSecret}}',
			},
			json: true,
		},
		rules: [
			{
				type: 'responseSuccessBody',
				properties: {
					key: 'errcode',
					value: 40013,
					message: 'Invalid App ID (40013): copy AppID from mp.weixin.qq.com → 开发管理 → 开发设置 → 开发者ID.',
				},
			},
			{
				type: 'responseSuccessBody',
				properties: {
					key: 'errcode',
					value: 40125,
					message:
						'Invalid App Secret (40125): copy AppSecret from mp.weixin.qq.com → 开发管理 → 开发设置 → 开发者ID (resetting it there makes the old one stop working).',
				},
			},
			{
				type: 'responseSuccessBody',
				properties: {
					key: 'errcode',
					value: 40164,
					message:
						"WeChat refused this server's IP (40164): add this n8n server's public IP at mp.weixin.qq.com → 开发管理 → 开发设置 → IP白名单, or set API Base URL to a fixed-IP proxy listed there. The WeChat Mini Program node's error names the IP WeChat saw.",
				},
			},
			{
				type: 'responseSuccessBody',
				properties: {
					key: 'errcode',
					value: -1,
					message: 'WeChat is busy (-1): try again in a moment.',
				},
			},
			{
				type: 'responseSuccessBody',
				properties: {
					key: 'errcode',
					value: 41002,
					message: 'App ID is missing (41002): fill in AppID.',
				},
			},
			{
				type: 'responseSuccessBody',
				properties: {
					key: 'errcode',
					value: 41004,
					message: 'App Secret is missing (41004): fill in AppSecret.',
				},
			},
			{
				type: 'responseSuccessBody',
				properties: {
					key: 'errcode',
					value: 45009,
					message: 'WeChat refuses more token requests today for this App ID (45009): try again tomorrow.',
				},
			},
		],
	};
}
