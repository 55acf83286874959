import type { INodeProperties } from 'n8n-workflow';

import * as list from './list.operation';

export { list };

export const description: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: ['kfServicer'] } },
		options: [
			{
				name: 'List',
				value: 'list',
				description: 'List the servicers (接待人员) of a kf account and whether they are receiving',
				action: 'List servicers',
			},
		],
		default: 'list',
	},
	...list.description,
];
