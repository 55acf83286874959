import type { IDataObject, IExecuteFunctions, INode, INodeExecutionData } from 'n8n-workflow';
import { NodeApiError, NodeOperationError } from 'n8n-workflow';

import * as kfAccount from './kfAccount';
import * as kfCustomer from './kfCustomer';
import * as kfMessage from './kfMessage';
import * as kfServicer from './kfServicer';
import * as kfSession from './kfSession';
import * as media from './media';
import * as message from './message';
import * as passiveReply from './passiveReply';
import * as user from './user';

/** An operation answers one input item with one output item, or with a list (one output item each). */
type Operation = { execute(this: IExecuteFunctions, itemIndex: number): Promise<IDataObject | IDataObject[]> };

const operations: Record<string, Record<string, Operation>> = {
	message: {
		sendText: message.sendText,
		sendMarkdown: message.sendMarkdown,
		sendTextCard: message.sendTextCard,
		sendNews: message.sendNews,
		sendImage: message.sendImage,
		sendFile: message.sendFile,
		recall: message.recall,
	},
	media: { upload: media.upload },
	kfMessage: {
		pull: kfMessage.pull,
		sendText: kfMessage.sendText,
		sendImage: kfMessage.sendImage,
		sendLink: kfMessage.sendLink,
		sendMiniProgram: kfMessage.sendMiniProgram,
		sendMenu: kfMessage.sendMenu,
		sendOnEvent: kfMessage.sendOnEvent,
	},
	kfSession: { get: kfSession.get, transfer: kfSession.transfer },
	kfAccount: { list: kfAccount.list },
	kfServicer: { list: kfServicer.list },
	kfCustomer: { get: kfCustomer.get },
	passiveReply: { build: passiveReply.build },
	user: {
		getIdentityFromOAuthCode: user.getIdentityFromOAuthCode,
		getJsSdkSignature: user.getJsSdkSignature,
	},
};

/** The error as n8n shows it, tied to the item that failed. */
function itemError(node: INode, error: unknown, itemIndex: number): NodeApiError | NodeOperationError {
	if (error instanceof NodeApiError || error instanceof NodeOperationError) {
		if (error.context.itemIndex === undefined) error.context.itemIndex = itemIndex;
		return error;
	}
	return new NodeOperationError(node, error instanceof Error ? error : String(error), { itemIndex });
}

/** What an item says about its failure when the node continues on fail. */
function errorOutput(error: NodeApiError | NodeOperationError): IDataObject {
	const output: IDataObject = { error: error.message };
	if (error.description) output.description = error.description;
	if (error.context.errcode !== undefined) output.errcode = error.context.errcode;
	if (error.context.errmsg !== undefined) output.errmsg = error.context.errmsg;
	return output;
}

export async function router(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const items = this.getInputData();
	const resource = this.getNodeParameter('resource', 0) as string;
	const operation = this.getNodeParameter('operation', 0) as string;
	const run = operations[resource]?.[operation];
	if (!run) {
		throw new NodeOperationError(this.getNode(), `The operation "${operation}" of "${resource}" is not supported`);
	}

	const returnData: INodeExecutionData[] = [];
	for (let itemIndex = 0; itemIndex < items.length; itemIndex++) {
		try {
			const result = await run.execute.call(this, itemIndex);
			for (const json of Array.isArray(result) ? result : [result]) {
				returnData.push({ json, pairedItem: { item: itemIndex } });
			}
		} catch (error) {
			const nodeError = itemError(this.getNode(), error, itemIndex);
			if (this.continueOnFail()) {
				returnData.push({ json: errorOutput(nodeError), pairedItem: { item: itemIndex } });
				continue;
			}
			throw nodeError;
		}
	}
	return [returnData];
}
