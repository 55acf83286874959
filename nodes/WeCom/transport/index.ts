import type {
	IDataObject,
	IExecuteFunctions,
	IHttpRequestMethods,
	IHttpRequestOptions,
	ILoadOptionsFunctions,
} from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { readWeComAnswer, type HttpAnswer } from './answer';
import {
	clientFailure,
	isTransientWeComError,
	secretValuesOf,
	WeComCallFailure,
	weComApiError,
	weComCallError,
} from './errors';
import { buildMediaMultipart, mediaProblem, type MediaFile, type WeComMediaType } from './media';
import { callLimit, WECOM_TIMEOUTS } from './timeouts';
import {
	accessTokenKey,
	ExpiringValueCache,
	jsApiTicketKey,
	type FetchedValue,
	type JsApiTicketType,
} from './tokens';

/**
 * The one place that builds a WeCom request: base URL from the credential, access_token from the
 * shared cache, a time limit per call (timeouts.ts), JSON answer parsed, errcode turned into a
 * NodeApiError, one retry with a fresh token when WeCom says the token is invalid or expired.
 */

/**
 * Access tokens of every WeCom credential used in this process. A gettoken that WeCom refused is
 * remembered for a minute (timeouts.ts explains why); one that got no answer is not, so a retry after
 * a network error or WeCom being busy asks again.
 */
export const accessTokenCache = new ExpiringValueCache({
	rememberFailureMs: (error) =>
		error instanceof WeComCallFailure && 'errcode' in error.detail && !isTransientWeComError(error)
			? WECOM_TIMEOUTS.refusedTokenMemoryMs
			: 0,
});

/** JS-SDK tickets (7200 s, same refresh rule as tokens). */
export const jsApiTicketCache = new ExpiringValueCache();

export type WeComContext = IExecuteFunctions | ILoadOptionsFunctions;

export const DEFAULT_BASE_URL = 'https://qyapi.weixin.qq.com';

export interface WeComApiCredentials {
	corpId: string;
	agentId: string;
	secret: string;
	baseUrl: string;
}

export interface WeComRequestOptions {
	itemIndex?: number;
	/** A ready body (multipart upload) sent as is, with this content type. */
	rawBody?: { body: Buffer; contentType: string };
}

/** Errcodes after which a fresh token may help: invalid credential, invalid token, expired token. */
const TOKEN_ERRCODES = new Set([40001, 40014, 42001]);

export function normalizeBaseUrl(value: unknown): string {
	const text = typeof value === 'string' ? value.trim() : '';
	return (text || DEFAULT_BASE_URL).replace(/\/+$/, '');
}

export function toWeComCredentials(data: IDataObject): WeComApiCredentials {
	return {
		corpId: String(data.corpId ?? '').trim(),
		agentId: String(data.agentId ?? '').trim(),
		secret: String(data.secret ?? '').trim(),
		baseUrl: normalizeBaseUrl(data.baseUrl),
	};
}

/**
 * WeCom wants agentid as an integer in JSON bodies; keep anything else as typed. The credential may have none:
 * a contacts-sync secret (通讯录同步) belongs to no app and only reads the directory.
 */
export function agentIdValue(this: WeComContext, credentials: WeComApiCredentials, itemIndex?: number): number | string {
	if (credentials.agentId === '') {
		throw new NodeOperationError(this.getNode(), 'The WeCom API credential has no Agent ID', {
			description:
				"Sending and app pages need the AgentId of a self-built app (应用管理 → your app) in the credential, with that app's Secret. A contacts-sync secret has no app: use it for directory reads only.",
			itemIndex,
		});
	}
	return /^\d+$/.test(credentials.agentId) ? Number(credentials.agentId) : credentials.agentId;
}

export async function getWeComCredentials(this: WeComContext): Promise<WeComApiCredentials> {
	return toWeComCredentials(await this.getCredentials('weComApi'));
}

function itemIndexOf(options: WeComRequestOptions | undefined): number | undefined {
	return options?.itemIndex;
}

/**
 * Sends one HTTP request within its time limit and returns WeCom's JSON answer (errcode not yet
 * checked). Throws a WeComCallFailure when no WeCom answer arrived: no answer at all, or one that is not
 * WeCom's (answer.ts). Errors of the HTTP client are replaced, not wrapped: they carry the request with
 * its access_token.
 */
async function sendRequest(this: WeComContext, request: IHttpRequestOptions, endpoint: string): Promise<IDataObject> {
	const bodyBytes = Buffer.isBuffer(request.body) ? request.body.length : 0;
	const limit = callLimit(endpoint, bodyBytes);
	// Two bounds of the same length: the client's `timeout` ends a call that gets no answer (or a
	// silent socket), the signal ends one whose answer trickles in, whatever the client does.
	const deadline = AbortSignal.timeout(limit.timeoutMs);
	const outcome = await this.helpers
		.httpRequest({
			...request,
			json: request.json ?? true,
			returnFullResponse: true,
			ignoreHttpStatusErrors: true,
			timeout: limit.timeoutMs,
			abortSignal: deadline,
		})
		.then(
			(response) => ({ response: response as HttpAnswer }),
			(error: unknown) => ({ error }),
		);
	if ('error' in outcome) throw new WeComCallFailure(endpoint, clientFailure(outcome.error, limit, deadline.aborted));
	const read = readWeComAnswer(outcome.response, secretValuesOf(request.qs));
	if ('failure' in read) {
		throw new WeComCallFailure(endpoint, { ...read.failure, mayHaveBeenApplied: !limit.safeToRepeat });
	}
	return read.answer;
}

/** A WeComCallFailure as the NodeApiError of this node and item; anything else unchanged. */
function forThisNode(this: WeComContext, error: unknown, itemIndex: number | undefined, note?: string): unknown {
	return error instanceof WeComCallFailure ? weComCallError(this.getNode(), error, { itemIndex, note }) : error;
}

/** The errcode of an answer that readWeComAnswer took for WeCom's: always there, a whole number. */
function errcodeOf(answer: IDataObject): number {
	return Number(answer.errcode);
}

/**
 * GET /cgi-bin/gettoken (doc 91039). Throws a WeComCallFailure, never a node's error: the failure may
 * be shared with concurrent callers and remembered for later ones (accessTokenCache).
 */
async function fetchAccessToken(this: WeComContext, credentials: WeComApiCredentials): Promise<FetchedValue> {
	const endpoint = '/cgi-bin/gettoken';
	const answer = await sendRequest.call(
		this,
		{
			method: 'GET',
			url: `${credentials.baseUrl}${endpoint}`,
			qs: { corpid: credentials.corpId, corpsecret: credentials.secret },
		},
		endpoint,
	);
	const errcode = errcodeOf(answer);
	if (errcode !== 0 || typeof answer.access_token !== 'string' || !answer.access_token) {
		throw new WeComCallFailure(endpoint, {
			errcode: errcode || -1,
			errmsg: String(answer.errmsg ?? 'gettoken returned no access_token'),
		});
	}
	return { value: answer.access_token, expiresInSeconds: Number(answer.expires_in ?? 7200) };
}

/** What a refused, remembered gettoken adds to its error: why the node did not ask again, and until when. */
function rememberedTokenNote(until: number): string {
	const seconds = Math.max(1, Math.ceil((until - Date.now()) / 1000));
	return `To keep WeCom from blocking this server's IP (45009), the node gives this same answer for the next ${seconds} s without asking WeCom; a changed Corp ID, Secret or Base URL is tried at once, and the credential's "Test" button always asks WeCom.`;
}

async function getAccessToken(
	this: WeComContext,
	credentials: WeComApiCredentials,
	itemIndex: number | undefined,
): Promise<string> {
	if (!credentials.corpId || !credentials.secret) {
		throw new NodeOperationError(this.getNode(), 'The WeCom API credential has no Corp ID or Secret', {
			description: 'Open the credential and fill in Corp ID (企业ID) and the Secret of the app.',
			itemIndex,
		});
	}
	const key = accessTokenKey(credentials.baseUrl, credentials.corpId, credentials.secret);
	try {
		return await accessTokenCache.get(key, async () => await fetchAccessToken.call(this, credentials));
	} catch (error) {
		const until = accessTokenCache.failureUntil(key);
		throw forThisNode.call(this, error, itemIndex, until === undefined ? undefined : rememberedTokenNote(until));
	}
}

/**
 * Calls a WeCom API with the app's access_token and returns its JSON answer (errcode 0).
 * `endpoint` is the path, e.g. `/cgi-bin/message/send`.
 */
export async function weComApiRequest(
	this: WeComContext,
	method: IHttpRequestMethods,
	endpoint: string,
	body?: IDataObject,
	qs?: IDataObject,
	options?: WeComRequestOptions,
): Promise<IDataObject> {
	const itemIndex = itemIndexOf(options);
	const credentials = await getWeComCredentials.call(this);
	const key = accessTokenKey(credentials.baseUrl, credentials.corpId, credentials.secret);

	for (let attempt = 0; ; attempt++) {
		const accessToken = await getAccessToken.call(this, credentials, itemIndex);
		const request: IHttpRequestOptions = {
			method,
			url: `${credentials.baseUrl}${endpoint}`,
			qs: { ...(qs ?? {}), access_token: accessToken },
		};
		if (options?.rawBody) {
			request.body = options.rawBody.body;
			request.headers = { 'Content-Type': options.rawBody.contentType };
		} else if (body !== undefined) {
			request.body = body;
		}
		let answer: IDataObject;
		try {
			answer = await sendRequest.call(this, request, endpoint);
		} catch (error) {
			throw forThisNode.call(this, error, itemIndex);
		}
		const errcode = errcodeOf(answer);
		if (errcode === 0) return answer;
		if (TOKEN_ERRCODES.has(errcode) && attempt === 0) {
			accessTokenCache.invalidate(key, accessToken);
			continue;
		}
		throw weComApiError(this.getNode(), { errcode, errmsg: answer.errmsg }, { endpoint, itemIndex });
	}
}

/**
 * POST /cgi-bin/media/upload (doc 90253). Checks WeCom's size and format rules first, so a file
 * WeCom would refuse is never sent. Returns { type, media_id, created_at }; media_id lasts 3 days.
 */
export async function weComUploadMedia(
	this: WeComContext,
	type: WeComMediaType,
	file: MediaFile,
	itemIndex?: number,
): Promise<IDataObject> {
	const problem = mediaProblem(type, file);
	if (problem) {
		throw new NodeOperationError(this.getNode(), `WeCom would refuse this ${type}: ${problem}`, {
			description: 'Convert or compress the file before this node, or send it as a file (up to 20 MB) instead.',
			itemIndex,
		});
	}
	return await weComApiRequest.call(this, 'POST', '/cgi-bin/media/upload', undefined, { type }, {
		itemIndex,
		rawBody: buildMediaMultipart(type, file),
	});
}

const TICKET_ENDPOINTS: Record<JsApiTicketType, { endpoint: string; qs?: IDataObject }> = {
	corp: { endpoint: '/cgi-bin/get_jsapi_ticket' },
	agent: { endpoint: '/cgi-bin/ticket/get', qs: { type: 'agent_config' } },
};

/**
 * The JS-SDK ticket (doc 90506): `corp` for wx.config, `agent` for wx.agentConfig. Cached like
 * tokens: WeCom allows 400 fetches an hour per company and 100 per app.
 */
export async function getJsApiTicket(
	this: WeComContext,
	ticketType: JsApiTicketType,
	itemIndex?: number,
): Promise<string> {
	const credentials = await getWeComCredentials.call(this);
	const key = jsApiTicketKey(accessTokenKey(credentials.baseUrl, credentials.corpId, credentials.secret), ticketType);
	const { endpoint, qs } = TICKET_ENDPOINTS[ticketType];
	return await jsApiTicketCache.get(key, async () => {
		const answer = await weComApiRequest.call(this, 'GET', endpoint, undefined, qs, { itemIndex });
		if (typeof answer.ticket !== 'string' || !answer.ticket) {
			throw weComApiError(this.getNode(), { errcode: -1, errmsg: 'no ticket in the answer' }, { endpoint, itemIndex });
		}
		return { value: answer.ticket, expiresInSeconds: Number(answer.expires_in ?? 7200) };
	});
}

/** Empties the token and ticket caches (tests; a credential whose secret was reset is keyed anew anyway). */
export function resetWeComCaches(): void {
	accessTokenCache.clear();
	jsApiTicketCache.clear();
}

export { describeWeComError, isTransientWeComError, stripSecrets, WECOM_ERRORS } from './errors';
export { WECOM_TIMEOUTS } from './timeouts';
export type { MediaFile, WeComMediaType } from './media';
