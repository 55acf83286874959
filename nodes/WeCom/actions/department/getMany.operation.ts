import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';

import { departmentIdField, departmentIdOf, listOf, readDirectory } from './common';
import { departmentPlaces, type DirectoryDepartment } from './tree';

const properties: INodeProperties[] = [
	departmentIdField(
		false,
		'The department whose subtree to list (it and every department below it). Empty: every department the credential can see (a self-built app sees its visible range).',
	),
	{
		displayName: 'Output',
		name: 'output',
		type: 'options',
		options: [
			{
				name: 'Flat',
				value: 'flat',
				description: 'One item per department, as WeCom returns it',
			},
			{
				name: 'Tree',
				value: 'tree',
				description:
					'One item per department, with its path of names (总部/销售部/华南), the IDs along it, its depth and the IDs of its children',
			},
		],
		default: 'flat',
	},
];

export const description = updateDisplayOptions(
	{ show: { resource: ['department'], operation: ['getMany'] } },
	properties,
);

/**
 * department/list (doc 90208): one item per department. 48009 for the 通讯录同步 secret from an IP first used
 * after 2022-08-15; Get IDs (department/simplelist) still works there.
 */
export async function execute(this: IExecuteFunctions, itemIndex: number): Promise<IDataObject[]> {
	const id = departmentIdOf.call(this, itemIndex, false);
	const answer = await readDirectory.call(this, itemIndex, 'GET', '/cgi-bin/department/list', {
		qs: id === undefined ? {} : { id },
	});
	const departments = listOf(answer, 'department');
	if (this.getNodeParameter('output', itemIndex, 'flat') !== 'tree') return departments;
	const places = departmentPlaces(departments as unknown as DirectoryDepartment[]);
	return departments.map((department) => ({ ...department, ...places.get(Number(department.id)) }));
}
