import type { INodeProperties } from 'n8n-workflow';

import * as media from './media';
import * as message from './message';
import * as passiveReply from './passiveReply';
import * as user from './user';

/** The node's fields: resource, then each resource's operations and their fields. */
export const properties: INodeProperties[] = [
	{
		displayName: 'Resource',
		name: 'resource',
		type: 'options',
		noDataExpression: true,
		options: [
			{ name: 'Media', value: 'media', description: 'Temporary files for messages' },
			{ name: 'Message', value: 'message', description: 'App messages to members, departments and tags' },
			{
				name: 'Passive Reply',
				value: 'passiveReply',
				description: 'A reply sent back inside the answer to a WeCom Trigger callback',
			},
			{ name: 'User', value: 'user', description: 'Who opened an app page, and JS-SDK signatures for it' },
		],
		default: 'message',
	},
	...message.description,
	...media.description,
	...passiveReply.description,
	...user.description,
];
