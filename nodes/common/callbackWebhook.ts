// What the platform-callback triggers (WeCom, WeChat Mini Program) share around n8n's webhook request and
// response: reading the raw body, answering at once, and naming the node a refusal belongs to.
import type { IHookFunctions, IWebhookFunctions, IWebhookResponseData } from 'n8n-workflow';

import type { CallbackAnswer } from './retryGate';

/**
 * n8n sends a string answer as text/html unless the webhook declares a content type; the platforms' examples
 * answer plain text. The description's index signature does not know this object-valued key, hence the cast.
 */
export const PLAIN_TEXT_RESPONSE = {
	responseHeaders: { entries: [{ name: 'content-type', value: 'text/plain; charset=utf-8' }] },
} as unknown as Record<string, string>;

interface CallbackRequest {
	rawBody?: Buffer;
	readRawBody?: () => Promise<void>;
}

export interface CallbackResponse extends CallbackAnswer {
	status(code: number): CallbackResponse;
	type(contentType: string): CallbackResponse;
	send(body: string): CallbackResponse;
}

/** The body as sent: signatures and ciphertexts are checked on these bytes, not on n8n's parsed body. */
export async function rawBodyOf(context: IWebhookFunctions): Promise<Buffer | undefined> {
	const req = context.getRequestObject() as unknown as CallbackRequest;
	if (req.rawBody === undefined && typeof req.readRawBody === 'function') await req.readRawBody();
	return req.rawBody;
}

/** The workflow and node a refusal is logged and counted for. */
export function refusalSource(context: IWebhookFunctions): { workflowId: string; nodeId: string; nodeName: string } {
	const node = context.getNode();
	return { workflowId: String(context.getWorkflow().id ?? ''), nodeId: node.id, nodeName: node.name };
}

/** Answer at once. Nothing answered here starts an execution, so nothing acknowledged can be lost. */
export function answerNow(res: CallbackResponse, status: number, text: string): IWebhookResponseData {
	res.status(status).type('text/plain').send(text);
	return { noWebhookResponse: true };
}

/**
 * WeCom and WeChat have no API to register a callback URL: the operator pastes it in the admin console. These
 * exist because n8n asks every webhook node for them on publish and unpublish.
 */
export const CONSOLE_REGISTERED_WEBHOOK_METHODS = {
	default: {
		async checkExists(this: IHookFunctions): Promise<boolean> {
			return true;
		},
		async create(this: IHookFunctions): Promise<boolean> {
			return true;
		},
		async delete(this: IHookFunctions): Promise<boolean> {
			return true;
		},
	},
};
