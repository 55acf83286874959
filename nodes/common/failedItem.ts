import type { IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { NodeApiError, NodeOperationError } from 'n8n-workflow';

/** The error as n8n shows it, tied to the item that failed. */
function itemError(context: IExecuteFunctions, error: unknown, itemIndex: number): NodeApiError | NodeOperationError {
	if (error instanceof NodeApiError || error instanceof NodeOperationError) {
		if (error.context.itemIndex === undefined) error.context.itemIndex = itemIndex;
		return error;
	}
	return new NodeOperationError(context.getNode(), error instanceof Error ? error : String(error), { itemIndex });
}

/**
 * What every node of this package outputs for an input item that failed while the node is set to
 * continue on fail; when it is not, the error, tied to the item, is thrown instead.
 *
 * The item is n8n's own shape, `{ json: { error: message }, pairedItem }`, with what helps a person or an
 * expression further on: `description` (what to do) and, for platform errors, `errcode` and `errmsg`.
 * A node that passes its input items through (AutoReply) gives `input`: the item's own fields stay,
 * under these. Under "On Error: Continue (using error output)" n8n sends an item down the error output
 * only when its json holds nothing but error, message and details (n8n-core's handleNodeErrorOutput),
 * and adds the input item's fields itself: there the extras go under `details`.
 */
export function failedItem(
	context: IExecuteFunctions,
	caught: unknown,
	itemIndex: number,
	input?: IDataObject,
): INodeExecutionData {
	const error = itemError(context, caught, itemIndex);
	if (!context.continueOnFail()) throw error;
	const details: IDataObject = {};
	if (error.description) details.description = error.description;
	if (error.context.errcode !== undefined) details.errcode = error.context.errcode as number;
	if (error.context.errmsg !== undefined) details.errmsg = error.context.errmsg as string;
	const json: IDataObject =
		context.getNode().onError === 'continueErrorOutput'
			? { error: error.message, ...(Object.keys(details).length > 0 ? { details } : {}) }
			: { ...input, error: error.message, ...details };
	return { json, pairedItem: { item: itemIndex } };
}

/**
 * After a node let items fail and went on: one hint in the execution (and one line in n8n's log) that
 * says how many and why the first failed, so the operator who opens the execution sees it without
 * looking for the error items, and a log reader sees it without opening executions.
 */
export function reportFailedItems(context: IExecuteFunctions, failed: INodeExecutionData[], total: number): void {
	if (failed.length === 0) return;
	const first = String(failed[0].json.error ?? '');
	const where = context.getNode().onError === 'continueErrorOutput' ? 'left by the error output' : 'went on with an error field';
	const message = `${failed.length} of ${total} item(s) failed and ${where}. First: ${first}`;
	context.addExecutionHints({ message, type: 'warning', location: 'outputPane' });
	context.logger.warn(`${context.getNode().name}: ${message}`, { workflowId: context.getWorkflow().id });
}
