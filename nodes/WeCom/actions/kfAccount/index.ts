import type { INodeProperties } from 'n8n-workflow';

import * as list from './list.operation';

export { list };

export const description: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: ['kfAccount'] } },
		options: [
			{
				name: 'List',
				value: 'list',
				description: 'List the WeChat Customer Service accounts (open_kfid, name) this app may manage',
				action: 'List kf accounts',
			},
		],
		default: 'list',
	},
	...list.description,
];
