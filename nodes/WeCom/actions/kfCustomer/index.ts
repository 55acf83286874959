import type { INodeProperties } from 'n8n-workflow';

import * as get from './get.operation';

export { get };

export const description: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: ['kfCustomer'] } },
		options: [
			{
				name: 'Get',
				value: 'get',
				description: 'Get nickname, avatar, gender and unionid of WeChat customers who wrote in the last 48 hours',
				action: 'Get customers',
			},
		],
		default: 'get',
	},
	...get.description,
];
