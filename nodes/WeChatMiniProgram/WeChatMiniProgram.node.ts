import type { IExecuteFunctions, INodeExecutionData, INodeType, INodeTypeDescription } from 'n8n-workflow';
import { NodeConnectionTypes } from 'n8n-workflow';

import { properties, subtitle } from './actions/node.description';
import { router } from './actions/router';
import { getSubscribeTemplates, getTemplateKeywords } from './methods/loadOptions';

/** A WeChat mini-program's server API (api.weixin.qq.com): who the user is, their phone, subscribe messages. */
export class WeChatMiniProgram implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'WeChat Mini Program',
		name: 'weChatMiniProgram',
		icon: { light: 'file:weChatMiniProgram.svg', dark: 'file:weChatMiniProgram.dark.svg' },
		group: ['output'],
		version: 1,
		subtitle,
		description:
			'Identify WeChat mini-program (微信小程序) users from login codes, get the phone numbers they share, and work with subscribe messages (订阅消息)',
		defaults: { name: 'WeChat Mini Program' },
		usableAsTool: true,
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		credentials: [{ name: 'weChatMiniProgramApi', required: true }],
		properties,
	};

	methods = {
		loadOptions: { getSubscribeTemplates, getTemplateKeywords },
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return await router.call(this);
	}
}
