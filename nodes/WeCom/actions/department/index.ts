import { defineResource } from '../resource';
import * as get from './get.operation';
import * as getIds from './getIds.operation';
import * as getMany from './getMany.operation';

export const department = defineResource({
	name: 'Department',
	value: 'department',
	description: 'Departments of the WeCom directory (通讯录)',
	defaultOperation: 'getMany',
	operations: {
		getMany: {
			name: 'Get Many',
			description: 'List departments, flat or as a tree with paths',
			action: 'Get many departments',
			module: getMany,
		},
		get: {
			name: 'Get',
			description: 'Get one department by ID',
			action: 'Get a department',
			module: get,
		},
		getIds: {
			name: 'Get IDs',
			description: 'List department IDs with their parent and order: what the 通讯录同步 secret can read from a new IP',
			action: 'Get department IDs',
			module: getIds,
		},
	},
});
