import { defineResource } from '../resource';
import * as sync from './sync.operation';

export const directory = defineResource({
	name: 'Directory',
	value: 'directory',
	description: 'Compare the WeCom directory (通讯录) with the rows a table holds',
	defaultOperation: 'sync',
	operations: {
		sync: {
			name: 'Sync',
			description: 'Read every department and member the credential can see and say which rows to create, update or remove',
			action: 'Sync the directory',
			module: sync,
		},
	},
});
