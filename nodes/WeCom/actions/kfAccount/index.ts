import { defineResource } from '../resource';
import * as list from './list.operation';

export const kfAccount = defineResource({
	name: 'WeChat Customer Service Account',
	value: 'kfAccount',
	description: 'WeChat Customer Service (微信客服) accounts this app manages',
	defaultOperation: 'list',
	operations: {
		list: {
			name: 'List',
			description: 'List the WeChat Customer Service accounts (open_kfid, name) this app may manage',
			action: 'List customer service accounts',
			module: list,
		},
	},
});
