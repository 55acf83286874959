import type { IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { failedItem, reportFailedItems } from './failedItem';
import type { Resource } from './resource';

/** An action node's execute(): runs the one operation its resources offer for each input item (or once for all). */
export function routerFor(resources: readonly Resource[]): (this: IExecuteFunctions) => Promise<INodeExecutionData[][]> {
	const operations = new Map(resources.map((resource) => [resource.value, resource.operations]));
	return async function router(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const items = this.getInputData();
		// Read once: both fields are noDataExpression, the same for every item.
		const resource = this.getNodeParameter('resource', 0) as string;
		const operation = this.getNodeParameter('operation', 0) as string;
		const run = operations.get(resource)?.get(operation);
		if (!run) {
			throw new NodeOperationError(this.getNode(), `The operation "${operation}" of "${resource}" is not supported`);
		}

		if ('executeForAllItems' in run) return [await run.executeForAllItems.call(this)];

		const returnData: INodeExecutionData[] = [];
		const failed: INodeExecutionData[] = [];
		for (let itemIndex = 0; itemIndex < items.length; itemIndex++) {
			try {
				const result = await run.execute.call(this, itemIndex);
				for (const output of Array.isArray(result) ? result : [result]) {
					// An operation that returns a file gives { json, binary }; any other gives its json.
					const item = isExecutionData(output) ? output : { json: output };
					returnData.push({ ...item, pairedItem: { item: itemIndex } });
				}
			} catch (error) {
				const item = failedItem(this, error, itemIndex);
				failed.push(item);
				returnData.push(item);
			}
		}
		reportFailedItems(this, failed, items.length);
		return [returnData];
	};
}

function isExecutionData(output: object): output is INodeExecutionData {
	return 'json' in output && 'binary' in output;
}
