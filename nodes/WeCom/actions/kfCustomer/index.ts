import { defineResource } from '../resource';
import * as get from './get.operation';

export const kfCustomer = defineResource({
	name: 'WeChat Customer Service Customer',
	value: 'kfCustomer',
	description: 'WeChat customers who wrote to a customer service account in the last 48 hours',
	defaultOperation: 'get',
	operations: {
		get: {
			name: 'Get',
			description: 'Get nickname, avatar, gender and unionid of WeChat customers who wrote in the last 48 hours',
			action: 'Get customers',
			module: get,
		},
	},
});
