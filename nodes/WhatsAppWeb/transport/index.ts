import type {
	IDataObject,
	IExecuteFunctions,
	IHookFunctions,
	IHttpRequestMethods,
	IHttpRequestOptions,
} from 'n8n-workflow';
import { NodeApiError, NodeOperationError, sleep } from 'n8n-workflow';

import { readRefusal, refusalHint, refusalMessage, type GatewayRefusal } from './errors';
import { GATEWAY_TIMEOUTS } from './timeouts';

/**
 * The one place that builds a request to the WhatsApp Web gateway (docs/whatsapp-gateway-api.md): base URL
 * and API key from the credential, a time limit per call, a refusal turned into a NodeApiError that names the
 * gateway's code, the HTTP status and what to do. Errors of the HTTP client are replaced, never wrapped: they
 * carry the request with its X-Api-Key header.
 */

export const CREDENTIAL_TYPE = 'whatsAppWebGatewayApi';

export type GatewayContext = IExecuteFunctions | IHookFunctions;

export interface GatewayRequest {
	method: IHttpRequestMethods;
	/** e.g. /status, /contacts/8613800000000 */
	path: string;
	body?: IDataObject;
	qs?: IDataObject;
	itemIndex?: number;
	/** Default GATEWAY_TIMEOUTS.callMs. */
	timeoutMs?: number;
	/** The answer is a file (GET /qr): return its bytes. */
	binary?: boolean;
	/** Error statuses that are an answer here, not a failure (404 on removing what is already gone). */
	alsoFine?: number[];
	/**
	 * Try again, for up to GATEWAY_TIMEOUTS.restartWaitMs, while the gateway is restarting. For sends: a reply
	 * that meets a gateway restart goes out a few seconds later instead of failing the execution.
	 */
	waitWhileRestarting?: boolean;
}

export interface GatewayAnswer {
	/** The JSON answer, or a Buffer for `binary` requests. */
	body: IDataObject;
	headers: Record<string, unknown>;
}

interface FullResponse {
	statusCode: number;
	body: unknown;
	headers?: Record<string, unknown>;
}

export function normalizeBaseUrl(value: unknown): string {
	return (typeof value === 'string' ? value.trim() : '').replace(/\/+$/, '');
}

/** The gateway's secret for webhook signatures (the trigger); never sent anywhere. */
export async function webhookSecretOf(context: { getCredentials(type: string): Promise<IDataObject> }): Promise<string> {
	return String((await context.getCredentials(CREDENTIAL_TYPE)).webhookSecret ?? '');
}

/** ECONNREFUSED & co., on the client's error or, once n8n wrapped it (httpRequestWithAuthentication), its cause. */
function connectionCode(error: unknown): string | undefined {
	for (let current = error, depth = 0; current && depth < 3; depth++) {
		const code = (current as { code?: unknown }).code;
		if (typeof code === 'string' && /^E[A-Z_]+$/.test(code)) return code;
		current = (current as { cause?: unknown }).cause;
	}
	return undefined;
}

/** A connection that failed or timed out, in words; never the client's error itself. */
function unreachable(context: GatewayContext, baseUrl: string, error: unknown, timedOut: boolean, request: GatewayRequest) {
	const code = connectionCode(error);
	const timeoutS = Math.round((request.timeoutMs ?? GATEWAY_TIMEOUTS.callMs) / 1000);
	const message = timedOut
		? `The WhatsApp Web gateway at ${baseUrl} did not answer ${request.method} ${request.path} within ${timeoutS} s`
		: `Could not reach the WhatsApp Web gateway at ${baseUrl}`;
	const description = timedOut
		? 'The gateway may be overloaded or its browser stuck: check Session → Get Status and the gateway\'s log.' +
			(request.method === 'POST' && request.path === '/send' ? ' The message may still be sent: look at the chat before sending it again.' : '')
		: // The code goes here, not into the message: n8n replaces a message that names ECONNREFUSED & co. with its own words.
			`${code ? `The connection failed with ${code}. ` : ''}Check that the gateway runs and that the Base URL in the WhatsApp Web Gateway credential is the address n8n reaches it at (from a container, 127.0.0.1 is the container itself).`;
	return new NodeOperationError(context.getNode(), message, { description, itemIndex: request.itemIndex });
}

/**
 * Nothing reached the gateway (connection refused: it is not listening, e.g. between a stop and a start), or
 * the gateway refused before sending because its session is on its way to READY. Not a timeout, a reset or
 * any other refusal: those may come after WhatsApp took the message.
 */
function restarting(outcome: { error: unknown } | { refusal: GatewayRefusal }): boolean {
	if ('error' in outcome) return connectionCode(outcome.error) === 'ECONNREFUSED';
	const { refusal } = outcome;
	return refusal.code === 'not_ready' && /\b(STARTING|AUTHENTICATING)\b/.test(refusal.gatewayMessage ?? '');
}

export async function gatewayRequest(this: GatewayContext, request: GatewayRequest): Promise<GatewayAnswer> {
	const giveUpAt = Date.now() + GATEWAY_TIMEOUTS.restartWaitMs;
	for (let wait = GATEWAY_TIMEOUTS.restartRetryMs; ; wait = Math.min(wait * 2, 8 * GATEWAY_TIMEOUTS.restartRetryMs)) {
		const result = await gatewayRequestOnce.call(this, request);
		if ('answer' in result) return result.answer;
		if (!request.waitWhileRestarting || !restarting(result.outcome) || Date.now() + wait > giveUpAt) throw result.error;
		this.logger.info(
			`WhatsApp Web gateway restarting (${'error' in result.outcome ? 'connection refused' : 'session not ready yet'}): ${request.method} ${request.path} again in ${wait} ms`,
		);
		await sleep(wait);
	}
}

type Attempt =
	| { answer: GatewayAnswer }
	| { error: NodeApiError | NodeOperationError; outcome: { error: unknown } | { refusal: GatewayRefusal } };

async function gatewayRequestOnce(this: GatewayContext, request: GatewayRequest): Promise<Attempt> {
	const credentials = await this.getCredentials(CREDENTIAL_TYPE);
	const baseUrl = normalizeBaseUrl(credentials.baseUrl);
	if (!baseUrl) {
		throw new NodeOperationError(this.getNode(), 'The WhatsApp Web Gateway credential has no Base URL', {
			description: 'Open the credential and enter the address the gateway listens on, e.g. http://127.0.0.1:3000.',
			itemIndex: request.itemIndex,
		});
	}
	const timeoutMs = request.timeoutMs ?? GATEWAY_TIMEOUTS.callMs;
	// Two bounds of the same length: `timeout` ends a call that gets no answer, the signal one whose answer trickles.
	const deadline = AbortSignal.timeout(timeoutMs);
	const options: IHttpRequestOptions = {
		method: request.method,
		url: `${baseUrl}${request.path}`,
		returnFullResponse: true,
		ignoreHttpStatusErrors: true,
		timeout: timeoutMs,
		abortSignal: deadline,
		...(request.binary ? { encoding: 'arraybuffer', json: false } : { json: true }),
		...(request.body !== undefined ? { body: request.body } : {}),
		...(request.qs !== undefined ? { qs: request.qs } : {}),
	};
	let response: FullResponse;
	try {
		// The credential's `authenticate` adds X-Api-Key.
		response = (await this.helpers.httpRequestWithAuthentication.call(this, CREDENTIAL_TYPE, options)) as FullResponse;
	} catch (error) {
		return { error: unreachable(this, baseUrl, error, deadline.aborted, { ...request, timeoutMs }), outcome: { error } };
	}
	const headers = response.headers ?? {};
	if ((response.statusCode >= 200 && response.statusCode < 300) || request.alsoFine?.includes(response.statusCode)) {
		const body = request.binary ? Buffer.from(response.body as ArrayBuffer) : response.body;
		return { answer: { body: body as IDataObject, headers } };
	}
	const refusal = readRefusal(response.statusCode, response.body, headers);
	const error = new NodeApiError(
		this.getNode(),
		{ error: refusal.code, status: refusal.status },
		{
			message: refusalMessage(refusal),
			description: refusalHint(refusal),
			httpCode: String(refusal.status),
			itemIndex: request.itemIndex,
		},
	);
	return { error, outcome: { refusal } };
}

export { GATEWAY_TIMEOUTS, sendTimeoutMs } from './timeouts';

/** A file the gateway serves (GET /qr), as bytes. */
export async function gatewayFile(this: GatewayContext, path: string, itemIndex?: number): Promise<Buffer> {
	return (await gatewayRequest.call(this, { method: 'GET', path, itemIndex, binary: true })).body as unknown as Buffer;
}
