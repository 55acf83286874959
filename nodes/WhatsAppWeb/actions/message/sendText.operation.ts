import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';

import { gatewayRequest, GATEWAY_TIMEOUTS } from '../../transport';
import { sentItem, textField, textOf, toField, toOf } from '../fields';

export const description = updateDisplayOptions({ show: { resource: ['message'], operation: ['sendText'] } }, [
	toField,
	textField,
]);

/** POST /send with a text. */
export async function execute(this: IExecuteFunctions, itemIndex: number): Promise<IDataObject> {
	const body = { to: toOf.call(this, itemIndex), text: textOf.call(this, itemIndex) };
	const answer = await gatewayRequest.call(this, {
		method: 'POST',
		path: '/send',
		body,
		itemIndex,
		timeoutMs: GATEWAY_TIMEOUTS.sendMs,
		waitWhileRestarting: true,
	});
	return sentItem(answer.body);
}
