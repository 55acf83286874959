import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';

import { withoutEnvelope } from '../output';
import { departmentIdField, departmentIdOf, readDirectory } from './common';

const properties: INodeProperties[] = [
	departmentIdField(true, 'The numeric ID of the department (通讯录 → the department → 部门ID; the root is 1)'),
];

export const description = updateDisplayOptions({ show: { resource: ['department'], operation: ['get'] } }, properties);

/** department/get (doc 95351): one department; 60011 when it is outside the app's visible range. */
export async function execute(this: IExecuteFunctions, itemIndex: number): Promise<IDataObject> {
	const id = departmentIdOf.call(this, itemIndex, true);
	const answer = await readDirectory.call(this, itemIndex, 'GET', '/cgi-bin/department/get', { qs: { id } });
	const department = answer.department;
	return typeof department === 'object' && department !== null ? (department as IDataObject) : withoutEnvelope(answer);
}
