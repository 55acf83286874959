import type { IExecuteFunctions } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

/** The `code` field of an Auth operation, trimmed; an error naming the field and what to map when it is empty. */
export function requiredCode(context: IExecuteFunctions, itemIndex: number, field: string, what: string): string {
	const code = String(context.getNodeParameter('code', itemIndex, '')).trim();
	if (!code) {
		throw new NodeOperationError(context.getNode(), `${field} is empty`, {
			description: `Map ${what}.`,
			itemIndex,
		});
	}
	return code;
}
