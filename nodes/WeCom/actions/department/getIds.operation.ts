import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';

import { departmentIdField, departmentIdOf, listOf, readDirectory } from './common';

const properties: INodeProperties[] = [
	departmentIdField(
		false,
		'The department whose subtree to list (it and every department below it). Empty: every department the credential can see.',
	),
];

export const description = updateDisplayOptions(
	{ show: { resource: ['department'], operation: ['getIds'] } },
	properties,
);

/**
 * department/simplelist (doc 95350): one item per department, { id, parentid, order }. What the 通讯录同步
 * secret can still read from a new IP since 2022-08-15, when department/list answers 48009.
 */
export async function execute(this: IExecuteFunctions, itemIndex: number): Promise<IDataObject[]> {
	const id = departmentIdOf.call(this, itemIndex, false);
	const answer = await readDirectory.call(this, itemIndex, 'GET', '/cgi-bin/department/simplelist', {
		qs: id === undefined ? {} : { id },
	});
	return listOf(answer, 'department_id');
}
