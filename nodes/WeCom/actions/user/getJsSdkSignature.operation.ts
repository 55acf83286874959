import { createHash, randomBytes } from 'node:crypto';
import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { NodeOperationError, updateDisplayOptions } from 'n8n-workflow';

import { agentIdValue, getJsApiTicket, getWeComCredentials } from '../../transport';

const properties: INodeProperties[] = [
	{
		displayName: 'Page URL',
		name: 'url',
		type: 'string',
		default: '',
		required: true,
		placeholder: 'https://example.com/orders/list',
		description:
			'Full URL of the page that calls wx.config / wx.agentConfig, as location.href.split("#")[0]. Its domain must be a 可信域名 of the app.',
	},
	{
		displayName: 'Ticket Type',
		name: 'ticketType',
		type: 'options',
		options: [
			{
				name: 'Company (wx.config)',
				value: 'corp',
				description: 'Signs with the company jsapi_ticket, for wx.config',
			},
			{
				name: 'App (wx.agentConfig)',
				value: 'agent',
				description: 'Signs with the app ticket (agent_config), for wx.agentConfig',
			},
		],
		default: 'corp',
		description: 'Which JS-SDK injection the page makes; pages that call both need two signatures',
	},
];

export const description = updateDisplayOptions(
	{ show: { resource: ['user'], operation: ['getJsSdkSignature'] } },
	properties,
);

/** The JS-SDK signature (doc 90506): sha1 of jsapi_ticket, noncestr, timestamp and url, in that order. */
export function jsSdkSignature(ticket: string, nonceStr: string, timestamp: number, url: string): string {
	const text = `jsapi_ticket=${ticket}&noncestr=${nonceStr}&timestamp=${timestamp}&url=${url}`;
	return createHash('sha1').update(text, 'utf8').digest('hex');
}

export async function execute(this: IExecuteFunctions, itemIndex: number): Promise<IDataObject> {
	const url = String(this.getNodeParameter('url', itemIndex, '')).trim().split('#')[0];
	const ticketType = this.getNodeParameter('ticketType', itemIndex, 'corp') as 'corp' | 'agent';
	if (!/^https?:\/\//i.test(url)) {
		throw new NodeOperationError(this.getNode(), 'Page URL must be the full http(s) URL of the page', {
			description: 'Pass location.href.split("#")[0] from the page that calls the JS-SDK.',
			itemIndex,
		});
	}
	const credentials = await getWeComCredentials.call(this);
	const ticket = await getJsApiTicket.call(this, ticketType, itemIndex);
	const timestamp = Math.floor(Date.now() / 1000);
	const nonceStr = randomBytes(8).toString('hex');
	const signature = jsSdkSignature(ticket, nonceStr, timestamp, url);
	if (ticketType === 'agent') {
		return {
			corpid: credentials.corpId,
			agentid: agentIdValue.call(this, credentials, itemIndex),
			timestamp,
			nonceStr,
			signature,
			url,
			ticketType,
		};
	}
	return { appId: credentials.corpId, timestamp, nonceStr, signature, url, ticketType };
}
