import { defineResource } from '../resource';
import * as get from './get.operation';
import * as getIds from './getIds.operation';
import * as getMany from './getMany.operation';

export const member = defineResource({
	name: 'Member',
	value: 'member',
	description: 'Members of the WeCom directory (通讯录)',
	defaultOperation: 'getMany',
	operations: {
		getMany: {
			name: 'Get Many',
			description: 'List the members of a department, optionally with its sub-departments',
			action: 'Get many members',
			module: getMany,
		},
		get: {
			name: 'Get',
			description: 'Get one member by user ID',
			action: 'Get a member',
			module: get,
		},
		getIds: {
			name: 'Get IDs',
			description: 'List every userid with its departments, page by page (通讯录同步 secret only)',
			action: 'Get member IDs',
			module: getIds,
		},
	},
});
