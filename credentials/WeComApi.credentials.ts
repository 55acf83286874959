import type { ICredentialTestRequest, ICredentialType, Icon, INodeProperties } from 'n8n-workflow';

/**
 * A self-built WeCom app (自建应用): the company's Corp ID plus the app's AgentId and Secret. The
 * WeCom node fetches and caches the access_token itself (nodes/WeCom/transport), so this type has
 * no `authenticate`; its "Test" asks gettoken (doc 91039), which checks Corp ID, Secret and IP.
 *
 * The test is declarative on purpose: n8n sends it itself, so it always reaches WeCom and is never
 * answered from the transport's memory of a refused gettoken (an admin who just fixed the trusted IP
 * sees the real answer). n8n's credentials tester gives it n8n's own 300 s time limit and reports a
 * connection that failed as the bare error code, which a declarative test cannot change; a function
 * test could, but only through the deprecated `helpers.request`, which n8n's lint and package scanner
 * refuse. The notice says what such a code means instead.
 */
export class WeComApi implements ICredentialType {
	name = 'weComApi';

	displayName = 'WeCom API';

	icon: Icon = { light: 'file:../nodes/WeCom/wecom.svg', dark: 'file:../nodes/WeCom/wecom.dark.svg' };

	documentationUrl = 'https://developer.work.weixin.qq.com/document/path/91039';

	properties: INodeProperties[] = [
		{
			// n8n shows a failed connection of the Test as the bare error code (ENOTFOUND): this says what to check.
			displayName:
				'WeCom accepts a new self-built app\'s API calls only from the IPs in its 企业可信IP (since June 2022): add this server\'s public IP there, or set Base URL to a fixed-IP proxy. If Test answers ENOTFOUND, EAI_AGAIN, ECONNREFUSED or ETIMEDOUT, this server did not reach the Base URL: check its network and DNS, the Base URL and the proxy n8n uses (HTTP_PROXY / HTTPS_PROXY).',
			name: 'trustedIpNotice',
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
			description: '企业ID, from the WeCom admin console: 我的企业 → 企业信息',
		},
		{
			displayName: 'Agent ID',
			name: 'agentId',
			type: 'string',
			default: '',
			placeholder: '1000002',
			description:
				'AgentId of the self-built app that sends the messages: 应用管理 → your app. Not checked by "Test": a wrong one fails the first send with 301002. Leave it empty for the contacts-sync secret (通讯录同步), which reads the directory only.',
		},
		{
			displayName: 'Secret',
			name: 'secret',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			required: true,
			description: "The app's Secret: 应用管理 → your app → Secret (查看, sent to the admin's WeCom)",
		},
		{
			displayName: 'Base URL',
			name: 'baseUrl',
			type: 'string',
			default: 'https://qyapi.weixin.qq.com',
			required: true,
			description:
				"WeCom's API address. Change it only when calls go through a fixed-IP proxy (e.g. https://wecom-proxy.example.com): WeCom only accepts calls from the app's 企业可信IP, and the proxy's IP is the one to list there.",
		},
	];

	test: ICredentialTestRequest = {
		request: {
			method: 'GET',
			baseURL: '={{$credentials.baseUrl}}',
			url: '/cgi-bin/gettoken',
			qs: {
				corpid: '={{$credentials.corpId}}',
				corpsecret: '={{$credentials.secret}}',
			},
		},
		rules: [
			{
				type: 'responseSuccessBody',
				properties: {
					key: 'errcode',
					value: 40013,
					message: 'Invalid Corp ID (40013): copy 企业ID from 我的企业 → 企业信息.',
				},
			},
			{
				type: 'responseSuccessBody',
				properties: {
					key: 'errcode',
					value: 40001,
					message:
						'Invalid Secret (40001): copy the Secret of the app again from 应用管理 → your app (it changes when reset), and check that the app is enabled and belongs to this Corp ID.',
				},
			},
			{
				type: 'responseSuccessBody',
				properties: {
					key: 'errcode',
					value: 40091,
					message: "Invalid Secret (40091): this Secret is not one of this company's apps; copy it from the company whose Corp ID you entered.",
				},
			},
			{
				type: 'responseSuccessBody',
				properties: {
					key: 'errcode',
					value: 60020,
					message:
						"WeCom refused this server's IP (60020): add this n8n server's public IP to 企业可信IP of the app (应用管理 → your app → 企业可信IP; it takes about a minute to apply), or set Base URL to a fixed-IP proxy whose IP is listed there.",
				},
			},
			{
				type: 'responseSuccessBody',
				properties: {
					key: 'errcode',
					value: 45009,
					message:
						'WeCom is blocking calls from this IP (45009), usually after repeated wrong secrets (blocked for an hour) or too many token requests. Fix the Secret and try again later.',
				},
			},
			{
				type: 'responseSuccessBody',
				properties: {
					key: 'errcode',
					value: 41002,
					message: 'Corp ID is missing (41002): fill in 企业ID.',
				},
			},
			{
				type: 'responseSuccessBody',
				properties: {
					key: 'errcode',
					value: 41004,
					message: "Secret is missing (41004): fill in the app's Secret.",
				},
			},
			{
				type: 'responseSuccessBody',
				properties: {
					key: 'errcode',
					value: -1,
					message: 'WeCom is busy (-1): try again in a moment.',
				},
			},
		],
	};
}
