import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { NodeOperationError, updateDisplayOptions } from 'n8n-workflow';

import { weComApiRequest } from '../../transport';
import { withoutEnvelope } from '../output';

const properties: INodeProperties[] = [
	{
		displayName: 'Message ID',
		name: 'msgId',
		type: 'string',
		default: '',
		required: true,
		placeholder: '={{ $json.msgid }}',
		description:
			'The msgid a send operation returned. WeCom recalls app messages sent within the last 24 hours, with the credential of the app that sent them.',
	},
];

export const description = updateDisplayOptions(
	{ show: { resource: ['message'], operation: ['recall'] } },
	properties,
);

/** POST /cgi-bin/message/recall (doc 94867). */
export async function execute(this: IExecuteFunctions, itemIndex: number): Promise<IDataObject> {
	const msgId = String(this.getNodeParameter('msgId', itemIndex, '')).trim();
	if (!msgId) {
		throw new NodeOperationError(this.getNode(), 'Message ID is empty', {
			description: 'Map the msgid field of the send operation\'s output.',
			itemIndex,
		});
	}
	const answer = await weComApiRequest.call(this, 'POST', '/cgi-bin/message/recall', { msgid: msgId }, undefined, {
		itemIndex,
	});
	return { ...withoutEnvelope(answer), msgid: msgId, recalled: true };
}
