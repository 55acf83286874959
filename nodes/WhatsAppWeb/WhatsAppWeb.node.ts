import type { IExecuteFunctions, INodeExecutionData, INodeType, INodeTypeDescription } from 'n8n-workflow';
import { NodeConnectionTypes } from 'n8n-workflow';

import { routerFor } from '../common/router';
import { properties, resources, subtitle } from './actions/node.description';

const router = routerFor(resources);

/** A client of the project's WhatsApp Web gateway (gateway/): not Meta's Cloud API, which n8n's own "WhatsApp" node speaks. */
export class WhatsAppWeb implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'WhatsApp Web',
		name: 'whatsAppWeb',
		icon: { light: 'file:whatsAppWeb.svg', dark: 'file:whatsAppWeb.dark.svg' },
		group: ['output'],
		version: 1,
		subtitle,
		description:
			'Send WhatsApp messages and files, check numbers, and link or log out the phone, through a WhatsApp Web gateway',
		defaults: { name: 'WhatsApp Web' },
		usableAsTool: true,
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		credentials: [{ name: 'whatsAppWebGatewayApi', required: true }],
		properties,
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return await router.call(this);
	}
}
