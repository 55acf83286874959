import type { INodeProperties } from 'n8n-workflow';

import * as get from './get.operation';
import * as transfer from './transfer.operation';

export { get, transfer };

export const description: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: ['kfSession'] } },
		options: [
			{
				name: 'Get',
				value: 'get',
				description: 'Read who has the session: new, smart assistant, queue, a servicer, or ended',
				action: 'Get the state of a session',
			},
			{
				name: 'Transfer',
				value: 'transfer',
				description: 'Hand the session to the smart assistant, the queue or a servicer, or end it',
				action: 'Transfer a session',
			},
		],
		default: 'get',
	},
	...get.description,
	...transfer.description,
];
