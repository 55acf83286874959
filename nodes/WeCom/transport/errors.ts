import type { Failure, INode, JsonObject } from 'n8n-workflow';
import { NodeApiError } from 'n8n-workflow';

import { secretStripper } from '../../common/secretText';
import type { CallLimit } from './timeouts';

/**
 * WeCom errcodes an operator can act on, from the global errcode page (doc 90313; generated
 * table in xen0n/go-workwx errcodes/mod.go). Match on errcode, never on errmsg: WeCom appends
 * hints and warnings ("Warning: wrong json format.") to errmsg.
 */
export interface WeComErrorInfo {
	meaning: string;
	hint: string;
	failure?: Failure;
}

const MEDIA_LIMITS =
	'WeCom accepts images up to 10 MB (JPG, PNG), voice up to 2 MB (AMR), video up to 10 MB (MP4) and files up to 20 MB, each larger than 5 bytes.';

const CREDENTIAL_INVALID: Failure = { cause: 'credential-invalid' };
const CONFIGURATION_INVALID: Failure = { cause: 'configuration-invalid' };

export const WECOM_ERRORS: Readonly<Record<number, WeComErrorInfo>> = {
	[-1]: {
		meaning: 'WeCom is busy',
		hint: 'Try again in a moment; set "Retry On Fail" in the node settings for unattended runs.',
		failure: { cause: 'temporarily-unavailable' },
	},
	40001: {
		meaning: 'invalid secret',
		hint: 'Copy the Secret again from 应用管理 → your app → Secret into the WeCom API credential: it changes when someone resets it. Also check that the Corp ID belongs to the same company and that the app is enabled.',
		failure: CREDENTIAL_INVALID,
	},
	40003: {
		meaning: 'invalid user ID',
		hint: "Use the member's 账号 (UserID) from 通讯录, not their name or mobile number; members who left the company no longer have one.",
	},
	40004: {
		meaning: 'unsupported media file type',
		hint: MEDIA_LIMITS,
	},
	40005: {
		meaning: 'invalid media type',
		hint: 'The media type must be image, voice, video or file.',
	},
	40006: {
		meaning: 'media file size not allowed',
		hint: MEDIA_LIMITS,
	},
	40007: {
		meaning: 'invalid media_id',
		hint: 'A media_id from media/upload is valid for 3 days and only for its own media type; upload the file again.',
	},
	40008: {
		meaning: 'invalid message type',
		hint: 'The message type is not one WeCom supports for this app.',
	},
	40009: {
		meaning: 'image size not allowed',
		hint: 'Images must be JPG or PNG, larger than 5 bytes and at most 10 MB.',
	},
	40011: {
		meaning: 'video size not allowed',
		hint: 'Videos must be MP4, larger than 5 bytes and at most 10 MB.',
	},
	40013: {
		meaning: 'invalid Corp ID',
		hint: 'Copy the Corp ID (企业ID) from 我的企业 → 企业信息 into the WeCom API credential.',
		failure: CREDENTIAL_INVALID,
	},
	40014: {
		meaning: 'invalid access token',
		hint: 'The node fetched a new token and retried once; if this repeats, check that a proxy Base URL forwards the access_token query parameter unchanged.',
	},
	40029: {
		meaning: 'invalid OAuth code',
		hint: 'An OAuth code can be used once and expires after 5 minutes. Send the user through the OAuth page again, and use the credential of the app the OAuth link was built for.',
	},
	40031: {
		meaning: 'invalid user ID list',
		hint: "Check the spelling of the user IDs and that every member is inside the app's visible range (可见范围).",
	},
	40056: {
		meaning: 'invalid Agent ID',
		hint: 'Copy the AgentId from 应用管理 → your app into the Agent ID field of the WeCom API credential.',
		failure: CREDENTIAL_INVALID,
	},
	40058: {
		meaning: 'invalid parameter',
		hint: 'A required field is empty or too long; the WeCom message below names it. When recalling a message, use the credential of the app that sent it.',
	},
	40091: {
		meaning: 'invalid secret',
		hint: "The Secret is not one of this company's apps: copy it from 应用管理 → your app → Secret of the company whose Corp ID is in the credential.",
		failure: CREDENTIAL_INVALID,
	},
	41001: {
		meaning: 'access token missing',
		hint: 'The request reached WeCom without access_token; if the credential uses a proxy Base URL, make it forward the query string unchanged.',
	},
	41002: {
		meaning: 'Corp ID missing',
		hint: 'Fill in Corp ID (企业ID) in the WeCom API credential.',
		failure: CREDENTIAL_INVALID,
	},
	41004: {
		meaning: 'secret missing',
		hint: "Fill in the app's Secret in the WeCom API credential.",
		failure: CREDENTIAL_INVALID,
	},
	41006: {
		meaning: 'media_id missing',
		hint: 'Upload the file first (Media → Upload) and pass its media_id.',
	},
	41033: {
		meaning: 'description missing',
		hint: 'A text card needs a description.',
	},
	42001: {
		meaning: 'access token expired',
		hint: 'The node fetched a new token and retried once; if this repeats, another system may be resetting the app secret.',
	},
	44001: {
		meaning: 'empty media file',
		hint: 'The binary property holds no data: check the node before this one.',
	},
	44004: {
		meaning: 'empty message content',
		hint: 'Fill in the content of the message.',
	},
	45009: {
		meaning: 'API call limit reached',
		hint: 'WeCom blocks further calls for a minute up to a day depending on the limit hit. Repeated wrong secrets from one IP block that IP for an hour; a URL with debug=1 is limited to 5 calls a minute.',
		failure: { cause: 'rate-limited' },
	},
	45033: {
		meaning: 'too many concurrent calls',
		hint: 'Lower the concurrency: process items in smaller batches or one after another.',
		failure: { cause: 'rate-limited' },
	},
	45034: {
		meaning: 'URL without scheme',
		hint: 'URLs must start with http:// or https://.',
	},
	48002: {
		meaning: 'no permission for this API',
		hint: "This secret may not call this API. Sending app messages needs the secret of a self-built app (not the 通讯录同步 secret); Member → Get IDs (user/list_id) needs the 通讯录同步 secret (管理工具 → 通讯录同步 → Secret) in a WeCom API credential of its own.",
		failure: CONFIGURATION_INVALID,
	},
	48009: {
		meaning: 'the 通讯录同步 secret may only read IDs from this IP',
		hint: 'Since 2022-08-15 the 通讯录同步 secret reads departments and members in detail only from IPs it used before that date. Read IDs instead (Department → Get IDs, Member → Get IDs; Read With = IDs in Directory → Sync), or use the secret of a self-built app whose visible range covers the directory.',
		failure: CONFIGURATION_INVALID,
	},
	50100: {
		meaning: 'invalid or expired cursor',
		hint: 'The cursor of Member → Get IDs is no longer valid (it expires, and the directory may have changed): clear Cursor and start again from the beginning.',
	},
	60003: {
		meaning: 'department not found',
		hint: 'Check the Department ID: WeCom shows it under 通讯录 → the department → 部门ID; the root department is 1.',
	},
	60011: {
		meaning: 'no permission for the member, department or tag',
		hint: "It is outside the app's visible range: widen it under 应用管理 → your app → 可见范围 (departments there include their sub-departments), or use the 通讯录同步 secret, which sees the whole directory.",
		failure: CONFIGURATION_INVALID,
	},
	60020: {
		meaning: 'IP address not trusted',
		hint: "Add this server's public IP to 企业可信IP of the app (应用管理 → your app → 企业可信IP); it takes about a minute to apply. Or route calls through a fixed-IP proxy and set it as Base URL in the credential.",
		failure: CONFIGURATION_INVALID,
	},
	60021: {
		meaning: "user outside the app's visible range",
		hint: "Add the member to the app's visible range (应用管理 → your app → 可见范围).",
		failure: CONFIGURATION_INVALID,
	},
	60030: {
		meaning: "outside the app's visible range",
		hint: "Widen the app's visible range (应用管理 → your app → 可见范围) to cover what this call works on, e.g. the member or department read, or the servicers of a customer service account.",
		failure: CONFIGURATION_INVALID,
	},
	60111: {
		meaning: 'user ID not found',
		hint: "No member has this 账号 (UserID): check the spelling (it is the 账号 in 通讯录, not the name), or the member has left the company.",
	},
	81013: {
		meaning: 'all user IDs, department IDs and tag IDs are invalid or not permitted',
		hint: "No recipient could receive the message: check the IDs (members may have been deleted) and that they are inside the app's visible range (可见范围).",
	},
	301002: {
		meaning: 'no permission for this app',
		hint: "The Agent ID in the credential is not the app the Secret belongs to: use the AgentId and Secret of the same app.",
		failure: CREDENTIAL_INVALID,
	},
	// 微信客服 (kf) [doc 90313 95xxx; rules from doc 94677 发送消息, 95122, 94669]. The kf APIs only work for an
	// app added to 「微信客服 → API → 可调用接口的应用」 and for kf accounts set to 「通过API管理」.
	95000: {
		meaning: 'invalid open_kfid',
		hint: 'Customer Service Account ID must be the open_kfid of a WeChat Customer Service account of this company (it starts with wk); WeChat Customer Service Account → List shows them.',
	},
	95001: {
		meaning: 'message limit reached for this customer',
		hint: 'WeChat Customer Service lets the API send at most 5 messages after each message from the customer; the count starts again when the customer writes. Wait for the customer to reply, or hand the session to a human servicer (WeChat Customer Service Session → Transfer).',
		failure: { cause: 'quota-exhausted' },
	},
	95002: {
		meaning: 'more than 48 hours since the customer last wrote',
		hint: "The API may send to a customer only within 48 hours of the customer's last message. Wait until the customer writes again; a human servicer can still answer from the WeCom client.",
	},
	95003: {
		meaning: 'customer limit of an unverified company reached',
		hint: 'An unverified company can only serve a limited number of customers through WeChat Customer Service; verify the company (企业认证) to lift the limit.',
		failure: CONFIGURATION_INVALID,
	},
	95004: {
		meaning: 'open_kfid does not exist',
		hint: 'The customer service account was deleted or belongs to another company: check Customer Service Account ID (WeChat Customer Service Account → List shows the accounts this app may use).',
	},
	95005: {
		meaning: 'too many customer service accounts',
		hint: 'The company has reached its number of WeChat Customer Service accounts; delete one or raise the limit.',
	},
	95006: {
		meaning: 'invalid customer service account name',
		hint: 'Use a different account name.',
	},
	95007: {
		meaning: 'invalid or expired message token',
		hint: 'The Token of a kf_msg_or_event callback is valid for 10 minutes and only for its customer service account; pull the messages right after the callback, or pull without a token.',
	},
	95008: {
		meaning: 'too many menu items',
		hint: 'A menu message takes at most 50 items, of which at most 10 clickable (Click, View and Mini Program); a menu sent on an event takes at most 10 items.',
	},
	95009: {
		meaning: 'invalid menu item type',
		hint: 'Menu items must be of type click, view, miniprogram or text.',
	},
	95011: {
		meaning: 'WeChat Customer Service is used inside WeCom',
		hint: 'This company runs WeChat Customer Service inside WeCom: use the Secret of a self-built app added to 「微信客服 → 可调用接口的应用」, not the secret of the stand-alone WeChat Customer Service.',
		failure: CREDENTIAL_INVALID,
	},
	95012: {
		meaning: 'WeChat Customer Service is not used inside WeCom',
		hint: 'Turn on WeChat Customer Service (微信客服) in the WeCom admin console, or use the credential of the stand-alone WeChat Customer Service.',
		failure: CONFIGURATION_INVALID,
	},
	95013: {
		meaning: 'the session has already ended',
		hint: 'The customer has to write again before the session can be changed.',
	},
	95014: {
		meaning: 'not a servicer, or not activated',
		hint: 'The servicer must be one of the customer service account\'s servicers (WeChat Customer Service Servicer → List), have activated WeCom, be receiving (接待中), and be inside the app\'s visible range.',
	},
	95015: {
		meaning: 'a dedicated service is configured in the admin console',
		hint: 'Remove the 专属服务 setting of this customer service account in the admin console before assigning sessions through the API.',
		failure: CONFIGURATION_INVALID,
	},
	95016: {
		meaning: 'session state change not allowed',
		hint: 'WeCom allows: new (0) → smart assistant, queue, servicer or end; smart assistant (1) → queue, servicer or end; queue (2) → servicer or end; servicer (3) → another servicer or end. An ended session (4) cannot be changed through the API: it starts again when the customer writes.',
	},
	95017: {
		meaning: 'the API switch of WeChat Customer Service is off',
		hint: 'Turn on API access for WeChat Customer Service (微信客服 → API) in the WeCom admin console and add this app to 可调用接口的应用.',
		failure: CONFIGURATION_INVALID,
	},
	95018: {
		meaning: 'the session state does not allow sending',
		hint: 'The API may send only while the session is new (state 0) or with the smart assistant (state 1), and within 48 hours of the customer\'s last message. WeChat Customer Service Session → Get shows the state; a session with a human servicer is answered from the WeCom client.',
	},
	95019: {
		meaning: 'the servicer has stopped receiving',
		hint: 'The servicer has stopped receiving (停止接待) or is suspended: choose a servicer who is receiving (WeChat Customer Service Servicer → List shows status 0), or put the session in the queue.',
	},
	95022: {
		meaning: 'invalid location_type',
		hint: 'Check the location message fields.',
	},
	95023: {
		meaning: 'the kf API switch is delegated to a contracted developer app',
		hint: 'The API of WeChat Customer Service is authorised to a 代开发 app; use that app\'s credential or change the authorisation in the admin console.',
		failure: CONFIGURATION_INVALID,
	},
	95026: {
		meaning: 'customer service account cannot be created: low usage',
		hint: 'WeCom refuses new customer service accounts while the existing ones are little used.',
	},
	95027: {
		meaning: 'an unverified company may create only 10 customer service accounts',
		hint: 'Verify the company (企业认证) to create more.',
	},
	95030: {
		meaning: 'message type forbidden by the component',
		hint: 'This message type may not be sent in this session (component limits); send text instead.',
	},
	95031: {
		meaning: 'the customer has not written in 48 hours',
		hint: 'Only customers who wrote to the customer service account within the last 48 hours can be read or written to.',
	},
	95032: {
		meaning: 'chat history permission of the component has expired',
		hint: 'Renew the permission in the admin console.',
		failure: CONFIGURATION_INVALID,
	},
};

/** The public IP WeCom saw, from a 60020 errmsg such as "…, from ip: 203.0.113.7, more info at …". */
export function ipFromErrmsg(errmsg: string): string | undefined {
	const match = /from ip:\s*([0-9a-fA-F.:]+[0-9a-fA-F])/.exec(errmsg);
	return match?.[1];
}

/** Query parameters and JSON fields that hold a secret: tokens, app secrets, JS-SDK and OAuth tickets. */
const SECRET_NAMES = ['access_token', 'corpsecret', 'secret', 'ticket', 'user_ticket'];

/**
 * Removes access_token (and secrets) from a URL, a message or an answer's JSON before it can reach an
 * error; also every occurrence of `values` (the token and secret a request carried), as is or
 * URL-encoded.
 */
export const stripSecrets = secretStripper(SECRET_NAMES);

/** The values of a request's query parameters that are secrets (access_token, corpsecret). */
export function secretValuesOf(qs: Record<string, unknown> | undefined): string[] {
	return Object.entries(qs ?? {})
		.filter(([name, value]) => SECRET_NAMES.includes(name.toLowerCase()) && typeof value === 'string')
		.map(([, value]) => value as string);
}

export interface DescribedError {
	errcode: number;
	errmsg: string;
	message: string;
	description: string;
	failure?: Failure;
}

/** "WeCom error <errcode>: <meaning>" and a hint a person can act on. */
export function describeWeComError(errcode: number, rawErrmsg: string): DescribedError {
	const errmsg = stripSecrets(rawErrmsg);
	const info = WECOM_ERRORS[errcode];
	if (!info) {
		return {
			errcode,
			errmsg,
			message: `WeCom error ${errcode}: ${errmsg.split(',')[0] || 'unknown error'}`,
			description: `WeCom answered: ${errmsg}. Look the code up at https://open.work.weixin.qq.com/devtool/query?e=${errcode}`,
		};
	}
	let hint = info.hint;
	if (errcode === 60020) {
		const ip = ipFromErrmsg(errmsg);
		if (ip) {
			hint = `WeCom saw this call from ${ip}. Add ${ip} to 企业可信IP of the app (应用管理 → your app → 企业可信IP); it takes about a minute to apply. Or route calls through a fixed-IP proxy and set it as Base URL in the WeCom API credential.`;
		}
	}
	return {
		errcode,
		errmsg,
		message: `WeCom error ${errcode}: ${info.meaning}`,
		description: `${hint} (WeCom: ${errmsg})`,
		failure: info.failure,
	};
}

export interface WeComErrorContext {
	/** The API path, e.g. /cgi-bin/message/send (never the full URL: it would carry the token). */
	endpoint: string;
	itemIndex?: number;
	/** A sentence added to the description (e.g. that a refused token fetch is being remembered). */
	note?: string;
}

function withNote(description: string, note: string | undefined): string {
	return note ? `${description} ${note}` : description;
}

/**
 * A NodeApiError for an errcode answer. It carries errcode, errmsg and the endpoint (as
 * httpCode, context and error response) and nothing of the request: no token, no secret.
 */
export function weComApiError(
	node: INode,
	response: { errcode: number; errmsg?: unknown },
	context: WeComErrorContext,
): NodeApiError {
	const described = describeWeComError(response.errcode, String(response.errmsg ?? ''));
	const endpoint = stripSecrets(context.endpoint.split('?')[0]);
	const body: JsonObject = { errcode: described.errcode, errmsg: described.errmsg, endpoint };
	const error = new NodeApiError(node, body, {
		message: described.message,
		description: withNote(described.description, context.note),
		httpCode: String(described.errcode),
		itemIndex: context.itemIndex,
		failure: described.failure,
	});
	error.context.errcode = described.errcode;
	error.context.errmsg = described.errmsg;
	error.context.endpoint = endpoint;
	return error;
}

/**
 * What answered a call in WeCom's place (answer.ts tells them apart): a proxy's or web filter's HTML page,
 * JSON cut short on the way, plain text (a gateway's "503 Service Unavailable"), nothing, or JSON without
 * errcode, which no WeCom API answers.
 */
const FOREIGN_ANSWERS = ['html-page', 'cut-json', 'text', 'empty', 'no-errcode'] as const;
export type ForeignAnswer = (typeof FOREIGN_ANSWERS)[number];

/** A request that got no WeCom answer: a network error, a timeout, a proxy's error page. */
export interface TransportFailure {
	message: string;
	/** Node's or the HTTP client's error code (ECONNRESET, ENOTFOUND, …). */
	code?: string;
	statusCode?: number;
	/** The answer's body, secrets removed. */
	body?: string;
	/** Set when something answered, but not WeCom's JSON: what it was. */
	received?: ForeignAnswer;
	/** The page title (html-page) or first line (text) of that answer, secrets removed. */
	excerpt?: string;
	/** Set when the transport's own time limit ended the call (seconds). */
	timeoutSeconds?: number;
	/** WeCom may have carried the call out although no answer arrived (not for reads, see timeouts.ts). */
	mayHaveBeenApplied?: boolean;
}

/** What happened, per kind of answer that was not WeCom's (none: WeCom could not be reached at all). */
function whatHappened(failure: TransportFailure): string {
	switch (failure.received) {
		case 'html-page':
			return `A proxy, firewall or login page between this server and WeCom answered instead of WeCom${failure.excerpt ? ` (page title "${stripSecrets(failure.excerpt)}")` : ''}.`;
		case 'cut-json':
			return "WeCom's answer arrived incomplete, as when a connection or a proxy cuts it short.";
		case 'no-errcode':
			return 'Every WeCom API answers with an errcode (0 means success), so this answer came from something else.';
		case 'text':
		case 'empty':
			return 'Something other than WeCom answered.';
		default:
			return 'WeCom could not be reached.';
	}
}

function transportWording(failure: TransportFailure, endpoint: string): { message: string; description: string } {
	const maybeApplied = failure.mayHaveBeenApplied
		? ' The request may or may not have been applied: WeCom may have carried it out (a message sent, a session moved) without the answer arriving, so repeating it can do it twice.'
		: '';
	if (failure.timeoutSeconds !== undefined) {
		return {
			message: `WeCom did not answer within ${failure.timeoutSeconds} s: ${endpoint}`,
			description: `The node gives up after ${failure.timeoutSeconds} s rather than wait for n8n's 5-minute limit.${maybeApplied} If this repeats, check that this server reaches WeCom, or the proxy in the Base URL of the WeCom API credential.`,
		};
	}
	const status = failure.statusCode ? `HTTP ${failure.statusCode}` : (failure.code ?? 'no answer');
	const next = isTransient(transportFacts(failure))
		? 'This usually passes: try again in a moment. If it repeats, check that the Base URL of the WeCom API credential (default https://qyapi.weixin.qq.com), or the proxy it points at, reaches WeCom.'
		: "Check the Base URL of the WeCom API credential (default https://qyapi.weixin.qq.com): it must be WeCom's API, or a proxy that forwards to it and passes its answers on unchanged.";
	return {
		message: `WeCom request failed (${status}): ${stripSecrets(failure.message)}`,
		description: `${whatHappened(failure)} ${next}${maybeApplied}`,
	};
}

/**
 * A NodeApiError for a request that got no WeCom answer (network error, timeout, proxy error page).
 * Only the status, the error code and a secret-free message survive: the underlying HTTP client
 * error holds the request configuration, URL and query included, so it is not kept as the cause.
 */
export function weComTransportError(
	node: INode,
	failure: TransportFailure,
	context: WeComErrorContext,
): NodeApiError {
	const endpoint = stripSecrets(context.endpoint.split('?')[0]);
	const wording = transportWording(failure, endpoint);
	// No `code` of Node's in the body: n8n would swap our message for its generic one (ECONNABORTED…).
	const body: JsonObject = { endpoint, message: wording.message };
	if (failure.statusCode) body.statusCode = failure.statusCode;
	if (failure.body) body.body = stripSecrets(failure.body).slice(0, 500);
	const error = new NodeApiError(node, body, {
		message: wording.message,
		description: withNote(wording.description, context.note),
		httpCode: failure.statusCode ? String(failure.statusCode) : undefined,
		itemIndex: context.itemIndex,
		failure: { cause: 'temporarily-unavailable' },
	});
	error.context.endpoint = endpoint;
	if (failure.code) error.context.code = failure.code;
	if (failure.statusCode) error.context.statusCode = failure.statusCode;
	if (failure.received) error.context.received = failure.received;
	if (failure.timeoutSeconds !== undefined) error.context.timeoutSeconds = failure.timeoutSeconds;
	error.context.mayHaveBeenApplied = failure.mayHaveBeenApplied === true;
	return error;
}

/** Codes of a connection that never opened: the request cannot have reached WeCom. */
const NOT_CONNECTED_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH']);

/** The HTTP client's own timeout codes (axios: ECONNABORTED, or ETIMEDOUT when told to say so). */
const CLIENT_TIMEOUT_CODES = new Set(['ECONNABORTED', 'ETIMEDOUT']);

/**
 * What an error of the HTTP client says about a call with this `limit`, secret-free fields only.
 * `deadlineHit`: the transport's own abort signal ended the call.
 */
export function clientFailure(thrown: unknown, limit: CallLimit, deadlineHit: boolean): TransportFailure {
	const error = (typeof thrown === 'object' && thrown !== null ? thrown : {}) as { message?: unknown; code?: unknown };
	const code = typeof error.code === 'string' ? error.code : undefined;
	const timedOut = deadlineHit || (code !== undefined && CLIENT_TIMEOUT_CODES.has(code));
	return {
		message: typeof error.message === 'string' ? error.message : 'request failed',
		code,
		timeoutSeconds: timedOut ? Math.round(limit.timeoutMs / 100) / 10 : undefined,
		mayHaveBeenApplied: !limit.safeToRepeat && !(code !== undefined && NOT_CONNECTED_CODES.has(code)),
	};
}

/**
 * A failed WeCom call as plain data, before it meets a node: an errcode answer or a transport
 * failure. The transport turns it into a NodeApiError for whichever node asked, so one failure
 * (a gettoken shared by concurrent callers, or remembered for a while) reaches every execution as
 * an error of its own node and item.
 */
export class WeComCallFailure extends Error {
	constructor(
		readonly endpoint: string,
		readonly detail: { errcode: number; errmsg: string } | TransportFailure,
	) {
		super('errcode' in detail ? `WeCom error ${detail.errcode}` : stripSecrets(detail.message));
		this.name = 'WeComCallFailure';
	}
}

/** The NodeApiError of `failure` for `node`. */
export function weComCallError(
	node: INode,
	failure: WeComCallFailure,
	context: Omit<WeComErrorContext, 'endpoint'>,
): NodeApiError {
	const full = { ...context, endpoint: failure.endpoint };
	return 'errcode' in failure.detail
		? weComApiError(node, failure.detail, full)
		: weComTransportError(node, failure.detail, full);
}

/**
 * Errcodes after which the same call may succeed a few seconds later: -1 (系统繁忙, WeCom busy) and
 * 45033 (too many concurrent calls). Not 45009: its limits run from a minute to a day (and an IP
 * blocked after wrong secrets stays blocked for an hour), so a quick retry only adds to the count;
 * nor 95001 (the 5-message limit lifts when the customer writes, not with time).
 */
const TRANSIENT_ERRCODES = new Set([-1, 45033]);

/**
 * Node's network error codes after which the connection may work again: dropped, refused (a proxy
 * restarting), timed out, DNS temporarily failing, and the HTTP client's own timeout. ENOTFOUND is
 * left out: an unknown host is almost always a mistyped Base URL.
 */
const TRANSIENT_NETWORK_CODES = new Set([
	'ECONNRESET',
	'ECONNREFUSED',
	'ECONNABORTED',
	'ETIMEDOUT',
	'ESOCKETTIMEDOUT',
	'EPIPE',
	'ENETUNREACH',
	'EHOSTUNREACH',
	'EAI_AGAIN',
]);

interface FailureFacts {
	errcode?: number;
	code?: string;
	statusCode?: number;
	timedOut?: boolean;
	received?: ForeignAnswer;
}

function objectOf(value: unknown): Record<string, unknown> | undefined {
	return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
}

function transportFacts(failure: TransportFailure): FailureFacts {
	return {
		code: failure.code,
		statusCode: failure.statusCode,
		timedOut: failure.timeoutSeconds !== undefined,
		received: failure.received,
	};
}

function factsOf(error: unknown): FailureFacts {
	if (error instanceof WeComCallFailure) {
		const detail = error.detail;
		return 'errcode' in detail ? { errcode: detail.errcode } : transportFacts(detail);
	}
	const thrown = objectOf(error);
	if (!thrown) return {};
	// Errors built by this file keep their facts in `context`; other errors (a raw network error) on themselves.
	const context = objectOf(thrown.context);
	const source = context && ('errcode' in context || 'endpoint' in context) ? context : thrown;
	const errcode = source.errcode;
	const code = source.code;
	const statusCode = source.statusCode ?? objectOf(thrown.response)?.status;
	return {
		errcode: typeof errcode === 'number' ? errcode : undefined,
		code: typeof code === 'string' ? code : undefined,
		statusCode: typeof statusCode === 'number' ? statusCode : undefined,
		timedOut: typeof source.timeoutSeconds === 'number',
		received: FOREIGN_ANSWERS.find((kind) => kind === source.received),
	};
}

/** The verdict of isTransientWeComError on the facts of one failure. */
function isTransient(facts: FailureFacts): boolean {
	if (facts.errcode !== undefined) return TRANSIENT_ERRCODES.has(facts.errcode);
	if (facts.timedOut) return true;
	// Cut on the way, like a dropped connection: the same call may well be answered whole a moment later.
	if (facts.received === 'cut-json') return true;
	if (facts.statusCode !== undefined) {
		return facts.statusCode === 408 || facts.statusCode === 429 || facts.statusCode >= 500;
	}
	return facts.code !== undefined && TRANSIENT_NETWORK_CODES.has(facts.code);
}

/**
 * Whether a failed WeCom call is worth making again, unchanged, after a pause of seconds.
 *
 * Contract, for any error a caller of this transport can catch (the NodeApiErrors of weComApiRequest
 * and weComUploadMedia, a WeComCallFailure, or a raw Node/HTTP-client error):
 * - true: WeCom busy (-1) or too many concurrent calls (45033); no answer within the transport's time
 *   limit (timeouts.ts); a dropped, refused or timed-out connection or a DNS hiccup (ECONNRESET,
 *   ECONNREFUSED, ETIMEDOUT, EAI_AGAIN, …); HTTP 408, 429 or 5xx from WeCom or a proxy, whatever the body
 *   (a gateway's text, a proxy's HTML page); an answer whose JSON breaks off (cut on the way).
 * - false: every other errcode (a wrong field, a missing permission, a wrong secret, an untrusted IP,
 *   a limit a pause of seconds does not lift: 45009, 95001); an expired token (42001/40014: the
 *   transport already fetched a new one and tried once more); a gettoken failure being remembered
 *   (timeouts.ts refusedTokenMemoryMs); refusals before any call (no Corp ID, a file WeCom would
 *   refuse); an unknown host; an answer that is not WeCom's with any other status (a web filter's or
 *   login page with 200, `{}` or other JSON without errcode: a Base URL or proxy that answers so keeps
 *   answering so); anything that is not an error of a WeCom call.
 *
 * Worth repeating is not harmless to repeat: after a timeout or a dropped connection WeCom may have
 * carried the first call out (the NodeApiError's `context.mayHaveBeenApplied` says so for calls that
 * are not reads). A kf send retried with the same Message ID (msgid) cannot reach the customer twice:
 * WeCom refuses a second message with the same msgid (doc 94677; the errcode it gives is not
 * documented, so a refused retry is reported as a failure, not taken for a delivery).
 */
export function isTransientWeComError(error: unknown): boolean {
	return isTransient(factsOf(error));
}
