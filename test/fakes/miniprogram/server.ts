// A loopback fake of the WeChat mini-program server API (api.weixin.qq.com) for unit tests, in-process node
// tests, e2e tests in a real n8n and benchmarks. It never imports the product (nodes/): it follows WeChat's
// documentation, so it can catch the product's mistakes instead of repeating them. docs/test-fakes.md lists
// what is documented and what is guessed.
//
// Answers as WeChat does: HTTP 200 and JSON; errors as `{errcode, errmsg}` with errmsg ending in " rid: …";
// access_token read from the query string. Tokens, codes and acceptances live on the fake's own clock
// (advanceClock), so tests move time without waiting.
import { randomBytes } from 'node:crypto';
import type http from 'node:http';

import { parseJsonBody, readBody, requestTarget, sendJson, serveOnLoopback, type LoopbackServer } from '../loopback';
import { FakeSubscribe, type FakeSentSubscribeMessage, type FakeSubscribeTemplate } from './subscribe';

export interface FakeMiniProgramOptions {
	appId?: string;
	appSecret?: string;
	templates?: FakeSubscribeTemplate[];
}

export interface FakeMiniProgramCall {
	method: string;
	/** Path without the query string. */
	path: string;
	/** errcode answered (0 on success, also for answers that carry no errcode, as jscode2session's). */
	errcode: number;
	/** stable_token only: whether the caller asked for force_refresh. */
	forceRefresh?: boolean;
}

export interface FakeMiniProgram extends LoopbackServer {
	appId: string;
	appSecret: string;
	/** A wx.login() code for `openid`: single use, valid 5 minutes. */
	loginCode(openid: string, options?: { unionid?: string }): string;
	/** A getPhoneNumber button code: single use, valid 5 minutes. */
	phoneCode(phone: string, countryCode?: string): string;
	/** The user tapped "accept" in wx.requestSubscribeMessage `times` times (default 1). */
	accept(openid: string, templateId: string, times?: number): void;
	acceptances(openid: string, templateId: string): number;
	sent: FakeSentSubscribeMessage[];
	calls: FakeMiniProgramCall[];
	advanceClock(ms: number): void;
	/** WeChat drops the current tokens early: their next use answers 40001. */
	invalidateTokens(): void;
	/** An IP: every token call answers 40164 naming it, as when this IP is not in the IP whitelist. undefined: off. */
	whitelist(ip: string | undefined): void;
	/** The next `times` (default 1) calls of `path` answer `errcode`. */
	injectError(path: string, errcode: number, times?: number): void;
}

/** A token's life (WeChat: expires_in up to 7200 s). */
const TOKEN_SECONDS = 7200;
/** Normal-mode stable_token hands out a new token this long before the current one ends (both stay valid). */
const ROTATE_BEFORE_SECONDS = 300;
/** force_refresh: at most this many a day, and not again within 30 s (such a call gets the current token). */
const FORCE_REFRESH_PER_DAY = 20;
const FORCE_REFRESH_GAP_MS = 30_000;
/** Login and phone codes: 5 minutes, single use. */
const CODE_MS = 5 * 60_000;
const DAY_MS = 24 * 3600_000;

const ERRMSG: Record<number, string> = {
	[-1]: 'system error',
	40001: 'invalid credential, access_token is invalid or not latest',
	40002: 'invalid grant_type',
	40003: 'invalid openid',
	40013: 'invalid appid',
	40029: 'invalid code',
	40037: 'invalid template_id',
	40125: 'invalid appsecret',
	40163: 'code been used',
	41001: 'access_token missing',
	41002: 'appid missing',
	41004: 'appsecret missing',
	41030: 'invalid page',
	42001: 'access_token expired',
	43101: 'user refuse to accept the msg',
	45009: 'reach max api daily quota limit',
	45011: 'api minute-quota reach limit  mustslower  retry next minute',
	47003: 'argument invalid!',
};

interface Token {
	value: string;
	expiresAt: number;
	valid: boolean;
}

interface Code {
	expiresAt: number;
	used: boolean;
}

type Answer = Record<string, unknown>;

export async function startFakeMiniProgram(options: FakeMiniProgramOptions = {}): Promise<FakeMiniProgram> {
	const appId = options.appId ?? `wx${randomBytes(8).toString('hex')}`;
	const appSecret = options.appSecret ?? randomBytes(16).toString('hex');
	let clock = Date.now();
	const now = () => clock;
	const calls: FakeMiniProgramCall[] = [];
	const tokens = new Map<string, Token>();
	/** The stable_token normal mode hands out, and the one cgi-bin/token last handed out (separate, as WeChat's). */
	let stable: Token | undefined;
	let plain: Token | undefined;
	const forceRefreshes: number[] = [];
	const loginCodes = new Map<string, Code & { openid: string; unionid?: string }>();
	const phoneCodes = new Map<string, Code & { phone: string; countryCode: string }>();
	const injected = new Map<string, Array<number>>();
	let refusedIp: string | undefined;
	const subscribe = new FakeSubscribe(options.templates ?? []);

	const rid = () => `${randomBytes(4).toString('hex')}-${randomBytes(4).toString('hex')}`;
	const error = (errcode: number, detail?: string): Answer => ({
		errcode,
		errmsg: `${detail ?? ERRMSG[errcode] ?? 'error'} rid: ${rid()}`,
	});

	function newToken(): Token {
		const token = { value: `MP_${randomBytes(24).toString('base64url')}`, expiresAt: now() + TOKEN_SECONDS * 1000, valid: true };
		tokens.set(token.value, token);
		return token;
	}

	/** The checks every token endpoint makes, in WeChat's order: appid, secret, then the caller's IP. */
	function credentialError(appid: unknown, secret: unknown): Answer | undefined {
		if (!appid) return error(41002);
		if (appid !== appId) return error(40013);
		if (!secret) return error(41004);
		if (secret !== appSecret) return error(40125);
		if (refusedIp) return error(40164, `invalid ip ${refusedIp} ipv6 ::ffff:${refusedIp}, not in whitelist`);
		return undefined;
	}

	function stableToken(body: Answer): Answer {
		if (body.grant_type !== 'client_credential') return error(40002);
		const refused = credentialError(body.appid, body.secret);
		if (refused) return refused;
		const remaining = stable && stable.valid ? stable.expiresAt - now() : 0;
		if (body.force_refresh === true) {
			const today = forceRefreshes.filter((at) => now() - at < DAY_MS);
			const last = today[today.length - 1];
			if (last === undefined || now() - last >= FORCE_REFRESH_GAP_MS || !stable) {
				if (today.length >= FORCE_REFRESH_PER_DAY) return error(45009);
				forceRefreshes.push(now());
				// A forced refresh ends the previous token at once: no overlap.
				if (stable) stable.valid = false;
				stable = newToken();
			}
		} else if (remaining <= ROTATE_BEFORE_SECONDS * 1000) {
			// The old token stays valid until its own end; callers get the new one from now on.
			stable = newToken();
		}
		const current = stable as Token;
		return { access_token: current.value, expires_in: Math.floor((current.expiresAt - now()) / 1000) };
	}

	function plainToken(query: Record<string, string>): Answer {
		if (query.grant_type !== 'client_credential') return error(40002);
		const refused = credentialError(query.appid, query.secret);
		if (refused) return refused;
		// "重复获取将导致上次获取的access_token失效": each call ends the previous token of this endpoint.
		if (plain) plain.valid = false;
		plain = newToken();
		return { access_token: plain.value, expires_in: TOKEN_SECONDS };
	}

	/** 41001 / 40001 / 42001 for a call's access_token, or undefined when it may be used. */
	function tokenError(value: string | undefined): Answer | undefined {
		if (!value) return error(41001);
		const token = tokens.get(value);
		if (!token || !token.valid) return error(40001);
		if (now() >= token.expiresAt) return error(42001);
		return undefined;
	}

	/** 40029 for an unknown or expired code, 40163 for one used before; marks the code used. */
	function useCode(code: Code | undefined): Answer | undefined {
		if (!code || now() >= code.expiresAt) return error(40029);
		if (code.used) return error(40163);
		code.used = true;
		return undefined;
	}

	function codeToSession(query: Record<string, string>): Answer {
		const refused = credentialError(query.appid, query.secret);
		if (refused && refused.errcode !== 40164) return refused;
		if (query.grant_type !== 'authorization_code') return error(40002);
		const code = loginCodes.get(query.js_code ?? '');
		const used = useCode(code);
		if (used || !code) return used ?? error(40029);
		subscribe.knowOpenid(code.openid);
		// Success carries no errcode (as WeChat answers it).
		return {
			openid: code.openid,
			session_key: randomBytes(16).toString('base64'),
			...(code.unionid ? { unionid: code.unionid } : {}),
		};
	}

	function phoneNumber(body: Answer): Answer {
		const code = phoneCodes.get(typeof body.code === 'string' ? body.code : '');
		const used = useCode(code);
		if (used || !code) return used ?? error(40029);
		const pure = code.phone;
		return {
			errcode: 0,
			errmsg: 'ok',
			phone_info: {
				phoneNumber: code.countryCode === '86' ? pure : `+${code.countryCode}${pure}`,
				purePhoneNumber: pure,
				countryCode: code.countryCode,
				watermark: { timestamp: Math.floor(now() / 1000), appid: appId },
			},
		};
	}

	async function answer(req: http.IncomingMessage, path: string, query: Record<string, string>): Promise<{ answer: Answer; forceRefresh?: boolean }> {
		const method = req.method ?? 'GET';
		const raw = method === 'POST' ? await readBody(req, 1024 * 1024) : undefined;
		const isJson = (req.headers['content-type'] ?? '').includes('json');
		const parsed = raw ? parseJsonBody(raw) : ({ kind: 'empty' } as const);
		const body = (parsed.kind === 'json' && parsed.value && typeof parsed.value === 'object' ? parsed.value : {}) as Answer;

		if (path === '/cgi-bin/stable_token' && method === 'POST') {
			// JSON only: a form body is read as no body at all, so appid is "missing".
			const forceRefresh = isJson && body.force_refresh === true;
			return { answer: isJson ? stableToken(body) : error(41002), forceRefresh };
		}
		if (path === '/cgi-bin/token' && method === 'GET') return { answer: plainToken(query) };
		if (path === '/sns/jscode2session' && method === 'GET') return { answer: codeToSession(query) };

		const withToken: Record<string, (body: Answer) => Answer> = {
			'POST /wxa/business/getuserphonenumber': phoneNumber,
			'POST /cgi-bin/message/subscribe/send': (b) => subscribe.send(b, error),
			'GET /wxaapi/newtmpl/gettemplate': () => ({ errcode: 0, errmsg: 'ok', data: subscribe.templateList() }),
		};
		const handler = withToken[`${method} ${path}`];
		if (!handler) return { answer: { errcode: 404, errmsg: `not found: ${method} ${path}` } };
		return { answer: tokenError(query.access_token) ?? handler(body) };
	}

	const server = await serveOnLoopback('WeChat mini-program', async (req, res) => {
		const { path, query } = requestTarget(req);
		const queued = injected.get(path);
		let result: { answer: Answer; forceRefresh?: boolean };
		if (queued && queued.length > 0) {
			req.resume();
			result = { answer: error(queued.shift() as number) };
		} else {
			result = await answer(req, path, query);
		}
		const errcode = typeof result.answer.errcode === 'number' ? result.answer.errcode : 0;
		calls.push({
			method: req.method ?? 'GET',
			path,
			errcode,
			...(path === '/cgi-bin/stable_token' ? { forceRefresh: result.forceRefresh === true } : {}),
		});
		if (errcode === 404) return void res.writeHead(404).end();
		sendJson(res, 200, result.answer);
	});

	const newCode = () => randomBytes(16).toString('hex');
	return {
		...server,
		appId,
		appSecret,
		sent: subscribe.sent,
		calls,
		loginCode(openid, codeOptions) {
			const code = newCode();
			loginCodes.set(code, { openid, unionid: codeOptions?.unionid, expiresAt: now() + CODE_MS, used: false });
			return code;
		},
		phoneCode(phone, countryCode = '86') {
			const code = newCode();
			phoneCodes.set(code, { phone, countryCode, expiresAt: now() + CODE_MS, used: false });
			return code;
		},
		accept: (openid, templateId, times = 1) => subscribe.accept(openid, templateId, times),
		acceptances: (openid, templateId) => subscribe.acceptances(openid, templateId),
		advanceClock(ms) {
			clock += ms;
		},
		invalidateTokens() {
			for (const token of tokens.values()) token.valid = false;
			stable = undefined;
			plain = undefined;
		},
		whitelist(ip) {
			refusedIp = ip;
		},
		injectError(path, errcode, times = 1) {
			injected.set(path, [...(injected.get(path) ?? []), ...Array<number>(times).fill(errcode)]);
		},
	};
}
