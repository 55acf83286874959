import type { IExecuteFunctions, INodeExecutionData, INodeType, INodeTypeDescription } from 'n8n-workflow';
import { NodeConnectionTypes } from 'n8n-workflow';

import { operationSubtitle } from '../common/resource';
import { properties, resources } from './actions/node.description';
import { weComCallbackApiTest } from './callback/credentialTest';
import { router } from './actions/router';

/** "Send Text: WeChat Customer Service Message": the names the operator picked, not the stored values. */
const subtitle = operationSubtitle(resources);

export class WeCom implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'WeCom',
		name: 'weCom',
		icon: { light: 'file:wecom.svg', dark: 'file:wecom.dark.svg' },
		group: ['output'],
		version: 1,
		subtitle,
		description:
			'Send WeCom (企业微信) app messages and passive replies, pull and answer WeChat Customer Service (微信客服) messages, manage customer service sessions, upload media, identify users from OAuth codes, sign JS-SDK pages, and read and sync the directory (通讯录)',
		defaults: { name: 'WeCom' },
		usableAsTool: true,
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		credentials: [
			{ name: 'weComApi', required: true, displayOptions: { hide: { resource: ['passiveReply'] } } },
			{
				name: 'weComCallbackApi',
				required: true,
				testedBy: 'weComCallbackApiTest',
				displayOptions: { show: { resource: ['passiveReply'] } },
			},
		],
		properties,
	};

	methods = {
		credentialTest: { weComCallbackApiTest },
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return await router.call(this);
	}
}
