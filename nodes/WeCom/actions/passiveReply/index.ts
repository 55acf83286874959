import type { INodeProperties } from 'n8n-workflow';

import * as build from './build.operation';

export { build };

export const description: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: ['passiveReply'] } },
		options: [
			{
				name: 'Build',
				value: 'build',
				description: 'Encrypt a reply for the WeCom Trigger to send back within the callback (5 seconds)',
				action: 'Build an encrypted passive reply',
			},
		],
		default: 'build',
	},
	...build.description,
];
