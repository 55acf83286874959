import type { IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { failedItem, reportFailedItems } from '../../shared/failedItem';
import { resources } from './node.description';

const operations = new Map(resources.map((resource) => [resource.value, resource.operations]));

export async function router(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const items = this.getInputData();
	// Read once: both fields are noDataExpression, the same for every item.
	const resource = this.getNodeParameter('resource', 0) as string;
	const operation = this.getNodeParameter('operation', 0) as string;
	const run = operations.get(resource)?.get(operation);
	if (!run) {
		throw new NodeOperationError(this.getNode(), `The operation "${operation}" of "${resource}" is not supported`);
	}

	const returnData: INodeExecutionData[] = [];
	const failed: INodeExecutionData[] = [];
	for (let itemIndex = 0; itemIndex < items.length; itemIndex++) {
		try {
			const result = await run.execute.call(this, itemIndex);
			for (const json of Array.isArray(result) ? result : [result]) {
				returnData.push({ json, pairedItem: { item: itemIndex } });
			}
		} catch (error) {
			const item = failedItem(this, error, itemIndex);
			failed.push(item);
			returnData.push(item);
		}
	}
	reportFailedItems(this, failed, items.length);
	return [returnData];
}
