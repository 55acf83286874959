import type { INodeProperties } from 'n8n-workflow';

import * as kfAccount from './kfAccount';
import * as kfCustomer from './kfCustomer';
import * as kfMessage from './kfMessage';
import * as kfServicer from './kfServicer';
import * as kfSession from './kfSession';
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
			{
				name: 'Kf Account',
				value: 'kfAccount',
				description: 'WeChat Customer Service (微信客服) accounts this app manages',
			},
			{
				name: 'Kf Customer',
				value: 'kfCustomer',
				description: 'WeChat customers who wrote to a kf account in the last 48 hours',
			},
			{
				name: 'Kf Message',
				value: 'kfMessage',
				description: 'Messages with WeChat customers through WeChat Customer Service (微信客服)',
			},
			{ name: 'Kf Servicer', value: 'kfServicer', description: 'The servicers (接待人员) of a kf account' },
			{
				name: 'Kf Session',
				value: 'kfSession',
				description: 'Who has a customer session: the bot, the queue or a servicer',
			},
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
	...kfMessage.description,
	...kfSession.description,
	...kfAccount.description,
	...kfServicer.description,
	...kfCustomer.description,
	...passiveReply.description,
	...user.description,
];
