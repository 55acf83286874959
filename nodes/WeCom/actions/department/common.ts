import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { weComApiRequest } from '../../transport';
import { MAX_RETRIES, withTransientRetries } from '../../transport/retry';

/** The Department and Member resources: reads of the directory (通讯录), with what they share. */

/** Directory calls in flight at once when a read walks many departments: well under WeCom's 45033 limit. */
export const DIRECTORY_READ_CONCURRENCY = 4;

/**
 * One directory read. Reads change nothing, so a busy WeCom (-1), 45033 or a lost answer is simply asked
 * again after a pause (retry.ts); every other errcode fails with its explanation (errors.ts).
 */
export async function readDirectory(
	this: IExecuteFunctions,
	itemIndex: number,
	method: 'GET' | 'POST',
	endpoint: string,
	query: { qs?: IDataObject; body?: IDataObject },
): Promise<IDataObject> {
	const { answer } = await withTransientRetries(
		async () => await weComApiRequest.call(this, method, endpoint, query.body, query.qs, { itemIndex }),
		{ retries: MAX_RETRIES, idempotent: true },
	);
	return answer;
}

export function departmentIdField(required: boolean, description: string): INodeProperties {
	return {
		displayName: 'Department ID',
		name: 'departmentId',
		type: 'string',
		default: '',
		required,
		placeholder: '1',
		description,
	};
}

/** The Department ID of an item: a whole number, or undefined when the field is empty and may be. */
export function departmentIdOf(this: IExecuteFunctions, itemIndex: number, required: boolean): number | undefined {
	const text = String(this.getNodeParameter('departmentId', itemIndex, '') ?? '').trim();
	if (text === '' && !required) return undefined;
	if (!/^\d+$/.test(text)) {
		throw new NodeOperationError(this.getNode(), text === '' ? 'Department ID is empty' : `Department ID "${text}" is not a number`, {
			description: 'Fill in the numeric ID WeCom shows under 通讯录 → the department → 部门ID (the root department is 1), or map the field that holds it.',
			itemIndex,
		});
	}
	return Number(text);
}

/** The `department` list of department/list, or `department_id` of department/simplelist. */
export function listOf(answer: IDataObject, key: string): IDataObject[] {
	const list = answer[key];
	return Array.isArray(list) ? (list as IDataObject[]) : [];
}
