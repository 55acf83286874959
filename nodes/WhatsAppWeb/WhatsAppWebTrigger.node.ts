import type {
	IDataObject,
	IHookFunctions,
	INodeType,
	INodeTypeDescription,
	IWebhookFunctions,
	IWebhookResponseData,
} from 'n8n-workflow';
import { NodeConnectionTypes, sleep } from 'n8n-workflow';

import type { CallbackAnswer } from '../common/retryGate';
import { SecretsCache } from '../common/secretsCache';
import { eventDedupeKey, gatewayRetryGate } from './trigger/dedupe';
import { eventItem, gatewayEventTypes, readGatewayEvent, TRIGGER_EVENTS, triggerEventOf } from './trigger/events';
import { verifyGatewaySignature, type SignatureVerdict } from './trigger/signature';
import { CREDENTIAL_TYPE, gatewayRequest, webhookSecretOf } from './transport';

// What the trigger keeps in memory between deliveries, per n8n process (docs/whatsapp.md, "In queue mode").
const retryGate = gatewayRetryGate(sleep);
/**
 * The webhook secret for 5 minutes: a credential read from a webhook costs n8n 2.41 an expression isolate
 * (bench/README.md, trigger-load). A delivery refused with the cached secret reloads it, at most every 10 s,
 * so a secret changed in both places works from the next delivery and forged deliveries cannot force a read each.
 */
const webhookSecrets = new SecretsCache<string>(5 * 60 * 1000, 10 * 1000);

/**
 * n8n sends a string answer as text/html unless the webhook declares a content type. The description's index
 * signature does not know this object-valued key, hence the cast.
 */
const PLAIN_TEXT_RESPONSE = {
	responseHeaders: { entries: [{ name: 'content-type', value: 'text/plain; charset=utf-8' }] },
} as unknown as Record<string, string>;

interface DeliveryRequest {
	rawBody?: Buffer;
	readRawBody?: () => Promise<void>;
	headers: Record<string, string | string[] | undefined>;
}

interface DeliveryResponse extends CallbackAnswer {
	status(code: number): DeliveryResponse;
	type(contentType: string): DeliveryResponse;
	send(body: string): DeliveryResponse;
}

/** Where the trigger keeps its registration at the gateway (the workflow's static data, per node). */
interface RegistrationData {
	webhookId?: string;
}

function header(req: DeliveryRequest, name: string): string | undefined {
	const value = req.headers[name];
	return Array.isArray(value) ? value[0] : value;
}

/** Answer at once, with no execution: refusals and events the operator did not choose. */
function answerNow(res: DeliveryResponse, status: number, text: string): IWebhookResponseData {
	res.status(status).type('text/plain').send(text);
	return { noWebhookResponse: true };
}

/** The credential's id: the secrets cache's key, the same in every delivery and publish of this node. */
function credentialKey(context: IWebhookFunctions | IHookFunctions): string {
	return context.getNode().credentials?.[CREDENTIAL_TYPE]?.id ?? '';
}

/** A refusal that a secret changed since it was cached could explain. */
function mayNeedFreshSecret(verdict: SignatureVerdict): boolean {
	return verdict === 'badSignature' || verdict === 'noSecret';
}

function chosenEvents(context: IWebhookFunctions | IHookFunctions): string[] {
	return context.getNodeParameter('events', []) as string[];
}

interface Registration {
	id: string;
	url: string;
	events?: string[];
}

export class WhatsAppWebTrigger implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'WhatsApp Web Trigger',
		name: 'whatsAppWebTrigger',
		icon: { light: 'file:whatsAppWeb.svg', dark: 'file:whatsAppWeb.dark.svg' },
		group: ['trigger'],
		// 1.1, not 1: for version-1 webhook nodes n8n evaluates one more expression on every request.
		version: 1.1,
		subtitle: '={{ "On: " + ($parameter["events"] || []).join(", ") }}',
		description:
			'Starts the workflow on WhatsApp messages, acks and session changes from a WhatsApp Web gateway, which it registers with on publish',
		defaults: { name: 'WhatsApp Web Trigger' },
		inputs: [],
		outputs: [NodeConnectionTypes.Main],
		credentials: [{ name: 'whatsAppWebGatewayApi', required: true }],
		webhooks: [
			{
				// The answer goes out through n8n's own path, once n8n has stored the execution: the gateway retries
				// until it gets a 2xx, so an event acknowledged before it was stored could be lost (docs/callbacks.md).
				name: 'default',
				httpMethod: 'POST',
				responseMode: 'onReceived',
				responseData: '',
				path: 'webhook',
				...PLAIN_TEXT_RESPONSE,
			},
		],
		properties: [
			{
				displayName: 'Trigger On',
				name: 'events',
				type: 'multiOptions',
				options: [...TRIGGER_EVENTS],
				default: ['incoming'],
				required: true,
				description:
					'Which events start the workflow. The trigger registers for just these with the gateway when the workflow is published.',
			},
			{
				displayName:
					'Publish the workflow: the trigger then registers its Production URL with the gateway itself, and removes it when unpublished. The gateway must reach n8n at that URL (set WEBHOOK_URL when n8n runs behind a proxy or in a container).',
				name: 'setupNotice',
				type: 'notice',
				default: '',
			},
		],
	};

	webhookMethods = {
		default: {
			/** Registered, at this URL, for these events: a changed choice registers again (the gateway updates it). */
			async checkExists(this: IHookFunctions): Promise<boolean> {
				const data = this.getWorkflowStaticData('node') as RegistrationData;
				if (!data.webhookId) return false;
				const url = this.getNodeWebhookUrl('default');
				const { body } = await gatewayRequest.call(this, { method: 'GET', path: '/webhooks' });
				const registrations = (Array.isArray(body.webhooks) ? body.webhooks : []) as Registration[];
				const mine = registrations.find((registration) => registration.id === data.webhookId && registration.url === url);
				const wanted = gatewayEventTypes(chosenEvents(this)).join(',');
				if (mine && [...(mine.events ?? [])].sort().join(',') === wanted) return true;
				delete data.webhookId;
				return false;
			},
			async create(this: IHookFunctions): Promise<boolean> {
				// Publishing again after the operator changed the Webhook Secret: no delivery is judged by the old one.
				webhookSecrets.forget(credentialKey(this));
				const url = this.getNodeWebhookUrl('default');
				const events = gatewayEventTypes(chosenEvents(this));
				const { body } = await gatewayRequest.call(this, { method: 'POST', path: '/webhooks', body: { url, events } });
				(this.getWorkflowStaticData('node') as RegistrationData).webhookId = String(body.id);
				return true;
			},
			async delete(this: IHookFunctions): Promise<boolean> {
				const data = this.getWorkflowStaticData('node') as RegistrationData;
				if (data.webhookId) {
					// 404: already gone at the gateway (its data folder was reset), nothing left to remove.
					await gatewayRequest.call(this, {
						method: 'DELETE',
						path: `/webhooks/${encodeURIComponent(data.webhookId)}`,
						alsoFine: [404],
					});
					delete data.webhookId;
				}
				return true;
			},
		},
	};

	async webhook(this: IWebhookFunctions): Promise<IWebhookResponseData> {
		const req = this.getRequestObject() as unknown as DeliveryRequest;
		const res = this.getResponseObject() as unknown as DeliveryResponse;
		if (req.rawBody === undefined && typeof req.readRawBody === 'function') await req.readRawBody();
		const rawBody = req.rawBody ?? Buffer.alloc(0);

		// The signature is checked over the bytes as received, before anything reads them.
		const verdict = await webhookSecrets.useWithReload(
			credentialKey(this),
			async () => await webhookSecretOf(this),
			(secret) =>
				verifyGatewaySignature({
					secret,
					timestamp: header(req, 'x-gateway-timestamp'),
					signature: header(req, 'x-gateway-signature'),
					rawBody,
					nowSeconds: Math.floor(Date.now() / 1000),
				}),
			mayNeedFreshSecret,
		);
		if (verdict !== 'ok') {
			// The reason goes to n8n's log; the caller learns nothing from the answer.
			this.logger.warn(`WhatsApp Web Trigger refused a delivery: ${verdict}`, {
				workflowId: this.getWorkflow().id,
				node: this.getNode().name,
			});
			return answerNow(res, 401, 'Unauthorized');
		}

		let parsed: unknown;
		try {
			parsed = JSON.parse(rawBody.toString('utf8'));
		} catch {
			parsed = undefined;
		}
		const event = readGatewayEvent(parsed);
		if (!event) return answerNow(res, 400, 'Bad Request');
		const triggerEvent = triggerEventOf(event);
		// Not chosen (or a type newer than this node): acknowledged, so the gateway does not retry it, and dropped.
		if (!triggerEvent || !chosenEvents(this).includes(triggerEvent)) return answerNow(res, 200, 'OK');

		// The id inside the signed body, not the X-Gateway-Event-Id header, which the signature does not cover.
		const key = eventDedupeKey(String(this.getWorkflow().id ?? ''), this.getNode().id, event.id);
		if (key !== undefined) {
			const repeat = await retryGate.admitRetry(key, res);
			// Stored already: acknowledged, so the gateway stops sending it.
			if (repeat === 'duplicate') return answerNow(res, 200, 'OK');
			// n8n is still storing the first delivery: the gateway sends this one again after its backoff.
			if (repeat === 'pending') return answerNow(res, 503, 'Service Unavailable');
		}

		return {
			workflowData: [[{ json: eventItem(event, triggerEvent) as IDataObject }]],
			webhookResponse: 'OK',
		};
	}
}
