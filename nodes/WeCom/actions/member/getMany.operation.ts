import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';

import { mapWithConcurrency } from '../../../common/concurrency';
import {
	DIRECTORY_READ_CONCURRENCY,
	departmentIdField,
	departmentIdOf,
	listOf,
	readDirectory,
} from '../department/common';
import { withheldFieldsNotice } from './common';

const properties: INodeProperties[] = [
	withheldFieldsNotice,
	departmentIdField(true, 'The numeric ID of the department whose members to list (the root department is 1)'),
	{
		displayName: 'Include Sub-Departments',
		name: 'includeSubDepartments',
		type: 'boolean',
		default: false,
		description:
			'Whether to list the members of every department below it too. Each member is output once, also when they belong to several of these departments.',
	},
	{
		displayName: 'Details',
		name: 'details',
		type: 'options',
		options: [
			{
				name: 'Full',
				value: 'full',
				description: 'Every field WeCom returns to this secret (user/list)',
			},
			{
				name: 'Simple',
				value: 'simple',
				description: 'Userid, name, departments and open_userid only (user/simplelist)',
			},
		],
		default: 'full',
	},
];

export const description = updateDisplayOptions(
	{ show: { resource: ['member'], operation: ['getMany'] } },
	properties,
);

/**
 * user/list or user/simplelist (doc 90201 / 90200), one department per call: WeCom's fetch_child is no longer
 * documented, so the node finds the sub-departments itself (department/simplelist, doc 95350).
 */
export async function execute(this: IExecuteFunctions, itemIndex: number): Promise<IDataObject[]> {
	const id = departmentIdOf.call(this, itemIndex, true) as number;
	const endpoint = this.getNodeParameter('details', itemIndex, 'full') === 'simple' ? '/cgi-bin/user/simplelist' : '/cgi-bin/user/list';
	let departmentIds = [id];
	if (this.getNodeParameter('includeSubDepartments', itemIndex, false) as boolean) {
		const tree = await readDirectory.call(this, itemIndex, 'GET', '/cgi-bin/department/simplelist', { qs: { id } });
		departmentIds = [id, ...listOf(tree, 'department_id').map((department) => Number(department.id)).filter((sub) => sub !== id)];
	}
	const pages = await mapWithConcurrency(departmentIds, DIRECTORY_READ_CONCURRENCY, async (departmentId) =>
		listOf(await readDirectory.call(this, itemIndex, 'GET', endpoint, { qs: { department_id: departmentId } }), 'userlist'),
	);
	const members = new Map<string, IDataObject>();
	for (const member of pages.flat()) {
		const userid = String(member.userid);
		if (!members.has(userid)) members.set(userid, member);
	}
	return [...members.values()];
}
