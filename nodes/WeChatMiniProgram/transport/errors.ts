import type { INode, JsonObject } from 'n8n-workflow';
import { NodeApiError } from 'n8n-workflow';

import { secretStripper } from '../../common/secretText';
import { readWeChat47003 } from '../subscribe/keywords';

/**
 * WeChat's errcodes for the mini-program server APIs this package calls, with what a person can do about
 * each. Pure apart from the error class, no requests. Match on errcode, never on errmsg (WeChat appends
 * " rid: …" and changes wording), except to read facts WeChat only gives there: the IP of 40164 and the
 * keyword of 47003. docs/miniprogram.md lists the sources.
 */
export interface MiniProgramErrorInfo {
	meaning: string;
	hint: string;
}

/** Where App ID, App Secret and the IP whitelist live in the mini-program's admin console. */
export const DEVELOPER_SETTINGS = 'mp.weixin.qq.com → 开发管理 → 开发设置';

const CODE_RULE =
	'A code can be used once and is valid for 5 minutes, and only with the App ID of the mini-program that issued it: let the mini-program get a fresh one and send it to this workflow once.';

export const MINIPROGRAM_ERRORS: Readonly<Record<number, MiniProgramErrorInfo>> = {
	[-1]: {
		meaning: 'WeChat is busy',
		hint: 'Try again in a moment; set "Retry On Fail" in the node settings for unattended runs.',
	},
	40001: {
		meaning: 'invalid access token',
		hint: 'The node fetched a new token and tried once more. If this repeats, another system may be forcing new tokens (stable_token with force_refresh) for this App ID, or a proxy in API Base URL changes the access_token parameter.',
	},
	40002: {
		meaning: 'invalid grant type',
		hint: 'Check that API Base URL points at WeChat (https://api.weixin.qq.com) or a proxy that passes requests on unchanged.',
	},
	40003: {
		meaning: 'the openid is not a user of this mini-program',
		hint: 'Use the openid that Auth → Code to Session returned for this same App ID; openids differ between mini-programs and official accounts.',
	},
	40013: {
		meaning: 'invalid App ID',
		hint: `Copy AppID (小程序ID) from ${DEVELOPER_SETTINGS} → 开发者ID into the credential.`,
	},
	40014: {
		meaning: 'invalid access token',
		hint: 'The node fetched a new token and tried once more; if this repeats, check that a proxy in API Base URL passes the access_token parameter on unchanged.',
	},
	40029: {
		meaning: 'invalid code',
		hint: CODE_RULE,
	},
	40037: {
		meaning: 'invalid template ID',
		hint: 'Use a template ID of this mini-program: Subscribe Message → List Templates shows them (mp.weixin.qq.com → 订阅消息 → 我的模板).',
	},
	40125: {
		meaning: 'invalid App Secret',
		hint: `Copy AppSecret (小程序密钥) from ${DEVELOPER_SETTINGS} → 开发者ID into the credential; resetting it there makes the old one stop working.`,
	},
	40163: {
		meaning: 'code already used',
		hint: CODE_RULE,
	},
	40164: {
		meaning: "this server's IP is not in the IP whitelist",
		hint: `Add this n8n server's public IP at ${DEVELOPER_SETTINGS} → IP白名单, or set API Base URL to a fixed-IP proxy whose IP is listed there.`,
	},
	40226: {
		meaning: 'WeChat blocked this user as high-risk',
		hint: 'WeChat refuses logins of users it considers high-risk; nothing in the workflow can change that.',
	},
	41001: {
		meaning: 'access token missing',
		hint: 'The request reached WeChat without access_token: a proxy in API Base URL must pass the query string on unchanged.',
	},
	41002: {
		meaning: 'App ID missing',
		hint: 'Fill in App ID in the credential.',
	},
	41004: {
		meaning: 'App Secret missing',
		hint: 'Fill in App Secret in the credential.',
	},
	41030: {
		meaning: 'invalid page',
		hint: 'Page must be a page of the published mini-program as app.json lists it, e.g. pages/index/index?id=1 (no https://).',
	},
	42001: {
		meaning: 'access token expired',
		hint: 'The node fetched a new token and tried once more; if this repeats, check the clock and the proxy in API Base URL.',
	},
	43101: {
		meaning: 'the user has no acceptance left for this template',
		hint: 'The user has not accepted this template, or used up the acceptances (each one allows one message of a one-time template), or switched it off. The mini-program must call wx.requestSubscribeMessage again when the user taps.',
	},
	45009: {
		meaning: 'daily API limit reached',
		hint: 'WeChat allows this call only so often a day; try again tomorrow, or check in mp.weixin.qq.com what uses the quota.',
	},
	45011: {
		meaning: 'minute limit reached',
		hint: 'Too many calls this minute: slow down (process items in smaller batches) and try again next minute.',
	},
	47003: {
		meaning: 'a template value is not accepted',
		hint: "Check the value against its keyword's type: thing up to 20 characters, number digits only, phrase up to 5 Chinese characters, time and date as a date or time, amount with a currency sign.",
	},
};

/** The IP WeChat saw, from a 40164 errmsg: "invalid ip 203.0.113.7 ipv6 ::ffff:203.0.113.7, not in whitelist rid: …". */
export function ipFromErrmsg(errmsg: string): string | undefined {
	return /invalid ip\s+([0-9a-fA-F.:]+[0-9a-fA-F])/.exec(errmsg)?.[1];
}

/** Query parameters and JSON fields that hold a secret: the token, the App Secret, session keys and codes. */
const SECRET_NAMES = ['access_token', 'secret', 'appsecret', 'session_key', 'js_code', 'code'];

/** `text` without secrets: known names in a query or JSON, and each of `values` wherever it appears. */
export const stripSecrets = secretStripper(SECRET_NAMES);

export interface DescribedMiniProgramError {
	message: string;
	description: string;
}

/** "WeChat error <errcode>: <meaning>" and what to do, with the facts WeChat's errmsg carries. */
export function describeMiniProgramError(errcode: number, rawErrmsg: string): DescribedMiniProgramError {
	const errmsg = stripSecrets(rawErrmsg);
	const info = MINIPROGRAM_ERRORS[errcode];
	if (!info) {
		return {
			message: `WeChat error ${errcode}: ${errmsg.split(' rid:')[0] || 'unknown error'}`,
			description: `WeChat answered: ${errmsg}. Look the code up in the errcode list of the API's page at developers.weixin.qq.com.`,
		};
	}
	let hint = info.hint;
	const ip = errcode === 40164 ? ipFromErrmsg(errmsg) : undefined;
	if (ip) {
		hint = `WeChat saw this call come from ${ip}. Add ${ip} at ${DEVELOPER_SETTINGS} → IP白名单 (or set API Base URL to a fixed-IP proxy whose IP is listed there).`;
	}
	const keyword = errcode === 47003 ? readWeChat47003(errmsg) : undefined;
	if (keyword) hint = `WeChat refused the value of ${keyword}. ${info.hint}`;
	return { message: `WeChat error ${errcode}: ${info.meaning}`, description: `${hint} (WeChat: ${errmsg})` };
}

/** A NodeApiError for an errcode answer: errcode, errmsg and the API path, nothing of the request. */
export function miniProgramApiError(
	node: INode,
	answer: { errcode: number; errmsg?: unknown },
	context: { endpoint: string; itemIndex?: number },
): NodeApiError {
	const described = describeMiniProgramError(answer.errcode, String(answer.errmsg ?? ''));
	const errmsg = stripSecrets(String(answer.errmsg ?? ''));
	const body: JsonObject = { errcode: answer.errcode, errmsg, endpoint: context.endpoint };
	const error = new NodeApiError(node, body, {
		message: described.message,
		description: described.description,
		httpCode: String(answer.errcode),
		itemIndex: context.itemIndex,
	});
	error.context.errcode = answer.errcode;
	error.context.errmsg = errmsg;
	error.context.endpoint = context.endpoint;
	return error;
}

/**
 * A call that got no answer from WeChat (network, time limit, something else answering). The HTTP client's
 * words go to the description only: n8n replaces a message that contains a network error code
 * (ECONNREFUSED…) with a generic one that would not name WeChat.
 */
export function miniProgramTransportError(
	node: INode,
	failure: { message: string; timeoutSeconds?: number; statusCode?: number },
	context: { endpoint: string; itemIndex?: number; secrets: readonly string[] },
): NodeApiError {
	const message =
		failure.timeoutSeconds !== undefined
			? `WeChat did not answer within ${failure.timeoutSeconds} s: ${context.endpoint}`
			: `WeChat request failed${failure.statusCode ? ` (HTTP ${failure.statusCode})` : ''}: ${context.endpoint}`;
	const detail = stripSecrets(failure.message, context.secrets);
	const error = new NodeApiError(
		node,
		{ endpoint: context.endpoint },
		{
			message,
			description: `${detail}. Try again in a moment. If this repeats, check that this server reaches the credential's API Base URL (default https://api.weixin.qq.com), or the proxy it points at.`,
			httpCode: failure.statusCode ? String(failure.statusCode) : undefined,
			itemIndex: context.itemIndex,
		},
	);
	error.context.endpoint = context.endpoint;
	return error;
}
