import type {
	IDataObject,
	IExecuteFunctions,
	IHttpRequestMethods,
	IHttpRequestOptions,
	ILoadOptionsFunctions,
} from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { ExpiringValueCache, sha256Hex, type FetchedValue } from '../../common/expiringCache';
import { miniProgramApiError, miniProgramTransportError } from './errors';

/**
 * The one place that calls WeChat's mini-program server API: base URL from the credential, a time limit
 * per call, the access_token from the shared cache, errcode turned into a NodeApiError that says what to
 * do, and one retry with a token fetched again when WeChat says the token is stale.
 *
 * Tokens come from POST /cgi-bin/stable_token in normal mode only, never from GET /cgi-bin/token: each
 * cgi-bin/token call ends the token every other process holds, and stable_token with force_refresh ends the
 * current stable token at once (no overlap), at most 20 times a day. Normal mode returns the same token to
 * every process while it is valid and a new one in its last 5 minutes, so processes never end each other's
 * tokens. docs/miniprogram.md has the rules.
 */

export const DEFAULT_BASE_URL = 'https://api.weixin.qq.com';

export const CREDENTIAL_TYPE = 'weChatMiniProgramApi';

/**
 * Time limits per call (n8n's own default is 300 s). Not frozen: tests shorten them. The token fetch is
 * shared by every caller of the credential, so a stall there stalls them all: it gets the shorter limit.
 */
export const MINIPROGRAM_TIMEOUTS = { tokenMs: 10_000, callMs: 15_000 };

/** Errcodes after which a token fetched again may help: invalid, invalid, expired. */
const TOKEN_ERRCODES = new Set([40001, 40014, 42001]);

/** Access tokens of every mini-program credential in this process, refreshed 5 minutes before expires_in ends. */
export const accessTokenCache = new ExpiringValueCache();

export type MiniProgramContext = IExecuteFunctions | ILoadOptionsFunctions;

export interface MiniProgramCredentials {
	appId: string;
	appSecret: string;
	baseUrl: string;
}

export function toMiniProgramCredentials(data: IDataObject): MiniProgramCredentials {
	const baseUrl = typeof data.baseUrl === 'string' ? data.baseUrl.trim() : '';
	return {
		appId: String(data.appId ?? '').trim(),
		appSecret: String(data.appSecret ?? '').trim(),
		baseUrl: (baseUrl || DEFAULT_BASE_URL).replace(/\/+$/, ''),
	};
}

/** One token per mini-program and API address; the secret enters the key only as its hash. */
export function accessTokenKey(credentials: MiniProgramCredentials): string {
	return `${credentials.baseUrl}|${credentials.appId}|${sha256Hex(credentials.appSecret)}`;
}

/**
 * A failed call as plain data, before it meets a node: the token fetch is shared by concurrent executions,
 * so its failure becomes an error of each caller's own node and item.
 */
class MiniProgramCallFailure extends Error {
	constructor(
		readonly endpoint: string,
		readonly detail: { errcode: number; errmsg: string } | { message: string; timeoutSeconds?: number; statusCode?: number },
		readonly secrets: readonly string[],
	) {
		super('errcode' in detail ? `WeChat error ${detail.errcode}` : 'WeChat request failed');
		this.name = 'MiniProgramCallFailure';
	}
}

function forNode(context: MiniProgramContext, error: unknown, itemIndex: number | undefined): unknown {
	if (!(error instanceof MiniProgramCallFailure)) return error;
	const { endpoint, detail, secrets } = error;
	return 'errcode' in detail
		? miniProgramApiError(context.getNode(), detail, { endpoint, itemIndex })
		: miniProgramTransportError(context.getNode(), detail, { endpoint, itemIndex, secrets });
}

function asObject(value: unknown): IDataObject | undefined {
	if (typeof value === 'string') {
		try {
			return asObject(JSON.parse(value));
		} catch {
			return undefined;
		}
	}
	return value && typeof value === 'object' && !Array.isArray(value) && !Buffer.isBuffer(value)
		? (value as IDataObject)
		: undefined;
}

/** errcode of an answer; 0 when absent (stable_token and jscode2session answer success without one). */
function errcodeOf(answer: IDataObject): number {
	const code = Number(answer.errcode ?? 0);
	return Number.isInteger(code) ? code : -1;
}

/**
 * One HTTP call within its time limit; WeChat's JSON answer, errcode not yet checked. Throws a
 * MiniProgramCallFailure when no JSON answer arrived. `secrets`: values the request carries that must not
 * reach an error (the HTTP client's error holds the URL with its query).
 */
async function send(
	context: MiniProgramContext,
	request: IHttpRequestOptions,
	endpoint: string,
	timeoutMs: number,
	secrets: readonly string[],
): Promise<IDataObject> {
	const deadline = AbortSignal.timeout(timeoutMs);
	const outcome = await context.helpers
		.httpRequest({
			...request,
			json: true,
			returnFullResponse: true,
			ignoreHttpStatusErrors: true,
			timeout: timeoutMs,
			abortSignal: deadline,
		})
		.then(
			(response) => ({ response: response as { statusCode: number; body: unknown } }),
			(error: unknown) => ({ error: error as { message?: unknown; code?: unknown } }),
		);
	if ('error' in outcome) {
		const code = typeof outcome.error?.code === 'string' ? outcome.error.code : '';
		const timedOut = deadline.aborted || code === 'ECONNABORTED' || code === 'ETIMEDOUT';
		throw new MiniProgramCallFailure(
			endpoint,
			{
				message: typeof outcome.error?.message === 'string' ? outcome.error.message : code || 'no answer',
				timeoutSeconds: timedOut ? timeoutMs / 1000 : undefined,
			},
			secrets,
		);
	}
	const answer = asObject(outcome.response.body);
	if (!answer) {
		throw new MiniProgramCallFailure(
			endpoint,
			{ message: 'the answer is not WeChat’s JSON (a proxy or another service answered)', statusCode: outcome.response.statusCode },
			secrets,
		);
	}
	return answer;
}

/** POST /cgi-bin/stable_token in normal mode (force_refresh is never sent: see the top of this file). */
async function fetchStableToken(context: MiniProgramContext, credentials: MiniProgramCredentials): Promise<FetchedValue> {
	const endpoint = '/cgi-bin/stable_token';
	const answer = await send(
		context,
		{
			method: 'POST',
			url: `${credentials.baseUrl}${endpoint}`,
			// JSON only: WeChat reads a form body as no body (41002).
			body: { grant_type: 'client_credential', appid: credentials.appId, secret: credentials.appSecret },
		},
		endpoint,
		MINIPROGRAM_TIMEOUTS.tokenMs,
		[credentials.appSecret],
	);
	const errcode = errcodeOf(answer);
	if (errcode !== 0 || typeof answer.access_token !== 'string' || !answer.access_token) {
		throw new MiniProgramCallFailure(
			endpoint,
			{ errcode: errcode || -1, errmsg: String(answer.errmsg ?? 'stable_token returned no access_token') },
			[credentials.appSecret],
		);
	}
	return { value: answer.access_token, expiresInSeconds: Number(answer.expires_in ?? 7200) };
}

async function getCredentials(context: MiniProgramContext, itemIndex: number | undefined): Promise<MiniProgramCredentials> {
	const credentials = toMiniProgramCredentials(await context.getCredentials(CREDENTIAL_TYPE));
	if (!credentials.appId || !credentials.appSecret) {
		throw new NodeOperationError(context.getNode(), 'The WeChat Mini Program API credential has no App ID or App Secret', {
			description: 'Open the credential and fill in AppID and AppSecret from mp.weixin.qq.com → 开发管理 → 开发设置.',
			itemIndex,
		});
	}
	return credentials;
}

export interface MiniProgramRequestOptions {
	itemIndex?: number;
	/**
	 * What to tell the person for an errcode the caller knows more about than the transport (Send names the
	 * refused keyword with its template's label); undefined keeps the transport's description.
	 */
	explain?: (errcode: number, errmsg: string) => string | undefined;
}

/**
 * Calls a mini-program API with the access_token and returns its JSON answer (errcode 0). `endpoint` is the
 * path, e.g. /wxa/business/getuserphonenumber.
 */
export async function miniProgramApiRequest(
	this: MiniProgramContext,
	method: IHttpRequestMethods,
	endpoint: string,
	body?: IDataObject,
	options: MiniProgramRequestOptions = {},
): Promise<IDataObject> {
	const { itemIndex } = options;
	const credentials = await getCredentials(this, itemIndex);
	const key = accessTokenKey(credentials);
	for (let attempt = 0; ; attempt++) {
		let accessToken: string;
		try {
			accessToken = await accessTokenCache.get(key, async () => await fetchStableToken(this, credentials));
		} catch (error) {
			throw forNode(this, error, itemIndex);
		}
		const request: IHttpRequestOptions = { method, url: `${credentials.baseUrl}${endpoint}`, qs: { access_token: accessToken } };
		if (body !== undefined) request.body = body;
		let answer: IDataObject;
		try {
			answer = await send(this, request, endpoint, MINIPROGRAM_TIMEOUTS.callMs, [accessToken, credentials.appSecret]);
		} catch (error) {
			throw forNode(this, error, itemIndex);
		}
		const errcode = errcodeOf(answer);
		if (errcode === 0) return answer;
		// Stale token (another process, or WeChat ending it early): fetch again in normal mode, once.
		if (TOKEN_ERRCODES.has(errcode) && attempt === 0) {
			accessTokenCache.invalidate(key, accessToken);
			continue;
		}
		const error = miniProgramApiError(this.getNode(), { errcode, errmsg: answer.errmsg }, { endpoint, itemIndex });
		const explained = options.explain?.(errcode, String(error.context.errmsg ?? ''));
		if (explained) error.description = `${explained} (WeChat: ${String(error.context.errmsg ?? '')})`;
		throw error;
	}
}

/**
 * GET /sns/jscode2session: a wx.login() code → openid, unionid, session_key. Authenticated by App ID and
 * App Secret in the query, not by a token, so the URL itself is secret: it never reaches an error.
 */
export async function miniProgramCodeToSession(
	this: MiniProgramContext,
	jsCode: string,
	options: MiniProgramRequestOptions = {},
): Promise<IDataObject> {
	const { itemIndex } = options;
	const credentials = await getCredentials(this, itemIndex);
	const endpoint = '/sns/jscode2session';
	let answer: IDataObject;
	try {
		answer = await send(
			this,
			{
				method: 'GET',
				url: `${credentials.baseUrl}${endpoint}`,
				qs: { appid: credentials.appId, secret: credentials.appSecret, js_code: jsCode, grant_type: 'authorization_code' },
			},
			endpoint,
			MINIPROGRAM_TIMEOUTS.callMs,
			[credentials.appSecret, jsCode],
		);
	} catch (error) {
		throw forNode(this, error, itemIndex);
	}
	const errcode = errcodeOf(answer);
	if (errcode !== 0) throw miniProgramApiError(this.getNode(), { errcode, errmsg: answer.errmsg }, { endpoint, itemIndex });
	return answer;
}

/** Empties the token cache (tests). */
export function resetMiniProgramCaches(): void {
	accessTokenCache.clear();
}

export {
	describeMiniProgramError,
	ipFromErrmsg,
	MINIPROGRAM_ERRORS,
	stripSecrets,
} from './errors';
