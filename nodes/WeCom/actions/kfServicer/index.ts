import { defineResource } from '../resource';
import * as list from './list.operation';

export const kfServicer = defineResource({
	name: 'WeChat Customer Service Servicer',
	value: 'kfServicer',
	description: 'The servicers (接待人员) of a customer service account',
	defaultOperation: 'list',
	operations: {
		list: {
			name: 'List',
			description: 'List the servicers (接待人员) of a customer service account and whether they are receiving',
			action: 'List servicers',
			module: list,
		},
	},
});
