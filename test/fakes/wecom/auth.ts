// Tokens and identity: gettoken [doc 91039] and the access_token check every other API makes,
// auth/getuserinfo for OAuth codes [doc 91023], and the JS-SDK tickets [doc 90506].
import { randomBytes } from 'node:crypto';

import {
	HOUR,
	MINUTE,
	withoutUndefined,
	type Answer,
	type Clock,
	type FakeWeComApp,
	type RequestContext,
	type Routes,
} from './platform';

/** What `auth/getuserinfo` answers for a code [doc 91023]: a member, or a visitor who is not one. */
export type FakeOAuthIdentity =
	| { userid: string; user_ticket?: string }
	| { openid: string; external_userid?: string };

export interface FakeAuthOptions {
	/** Default 'ww_fake_corp'. */
	corpId?: string;
	/** Default one app: agentId 1000002, secret 'fake-secret'. */
	apps?: FakeWeComApp[];
	/** Lifetime of an access_token; default 7200 like WeCom [doc 91039]. */
	tokenTtlSeconds?: number;
}

/** The test side of tokens and identity. */
export interface FakeAuthApi {
	readonly corpId: string;
	readonly apps: readonly FakeWeComApp[];
	/** Successful gettoken calls. */
	readonly tokenFetches: number;
	/** Successful ticket fetches: `get_jsapi_ticket` (jsapi) and `ticket/get?type=agent_config`. */
	readonly ticketFetches: { jsapi: number; agentConfig: number };
	/** Every issued token answers 42001 from now on; the next gettoken issues a new one. */
	expireAllTokens(): void;
	/** Every issued token answers 40014 from now on (WeCom "可能会…提前使access_token失效" [doc 91039]). */
	invalidateAllTokens(): void;
	/** Lifetime of tokens, applied to those already issued too (counted from their issue time). */
	setTokenTtl(seconds: number): void;
	/** Register an OAuth code for auth/getuserinfo: single use, valid 5 minutes [doc 91023]. */
	addOAuthCode(code: string, identity: FakeOAuthIdentity): void;
}

const DEFAULT_APP: FakeWeComApp = { agentId: 1000002, secret: 'fake-secret' };
/** OAuth code: "code只能使用一次，5分钟未被使用自动过期" [doc 91023]. */
const OAUTH_CODE_TTL = 5 * MINUTE;
/** jsapi tickets: "一小时内，一个企业最多可获取400次，且单个应用不能超过100次" [doc 90454]. */
const TICKET_LIMIT_PER_CORP_PER_HOUR = 400;
const TICKET_LIMIT_PER_APP_PER_HOUR = 100;
const TICKET_TTL_SECONDS = 7200;

interface TokenState {
	token: string;
	app: FakeWeComApp;
	issuedAt: number;
	expiresAt: number;
}

export class FakeAuth implements FakeAuthApi {
	readonly corpId: string;
	readonly apps: readonly FakeWeComApp[];
	readonly ticketFetches = { jsapi: 0, agentConfig: 0 };
	tokenFetches = 0;

	readonly routes: Routes = {
		'/cgi-bin/gettoken': { auth: false, handle: (c) => this.getToken(c) },
		'/cgi-bin/auth/getuserinfo': { auth: true, handle: (c) => this.getUserInfo(c) },
		'/cgi-bin/get_jsapi_ticket': { auth: true, handle: (c, app) => this.getTicket(c, app, 'jsapi') },
		'/cgi-bin/ticket/get': { auth: true, handle: (c, app) => this.getTicket(c, app, 'agentConfig') },
	};

	private tokenTtlMs = 0;
	/** Every token ever issued (until reset or invalidation), so an expired one still answers 42001. */
	private readonly tokens = new Map<string, TokenState>();
	/** The token gettoken hands out per agentId while it is valid. */
	private readonly currentTokens = new Map<number, TokenState>();
	private readonly oauthCodes = new Map<string, { identity: FakeOAuthIdentity; expiresAt: number }>();
	private readonly ticketLog: Array<{ agentId: number; time: number }> = [];

	constructor(
		private readonly options: FakeAuthOptions,
		private readonly now: Clock,
	) {
		this.corpId = options.corpId ?? 'ww_fake_corp';
		this.apps = (options.apps ?? [DEFAULT_APP]).map((app) => ({ ...app }));
		this.reset();
	}

	reset(): void {
		this.tokens.clear();
		this.currentTokens.clear();
		this.oauthCodes.clear();
		this.ticketLog.length = 0;
		this.tokenFetches = 0;
		this.ticketFetches.jsapi = 0;
		this.ticketFetches.agentConfig = 0;
		this.tokenTtlMs = (this.options.tokenTtlSeconds ?? 7200) * 1000;
	}

	/** The app an access_token belongs to, or the errcode WeCom gives for it. */
	appOf(token: string | undefined): FakeWeComApp | Answer {
		if (!token) return { errcode: 41001 };
		const state = this.tokens.get(token);
		if (!state) return { errcode: 40014 };
		if (this.now() >= state.expiresAt) return { errcode: 42001 };
		return state.app;
	}

	expireAllTokens(): void {
		const now = this.now();
		for (const state of this.tokens.values()) state.expiresAt = Math.min(state.expiresAt, now);
	}

	invalidateAllTokens(): void {
		this.tokens.clear();
		this.currentTokens.clear();
	}

	setTokenTtl(seconds: number): void {
		this.tokenTtlMs = seconds * 1000;
		for (const state of this.tokens.values()) state.expiresAt = state.issuedAt + this.tokenTtlMs;
	}

	addOAuthCode(code: string, identity: FakeOAuthIdentity): void {
		this.oauthCodes.set(code, { identity: { ...identity }, expiresAt: this.now() + OAUTH_CODE_TTL });
	}

	// --- gettoken [doc 91039] ------------------------------------------------------------------------

	private getToken({ query }: RequestContext): Answer {
		// Order of checks as probed on qyapi (2026-09-11): no parameters at all → 41004, so the secret is
		// checked before the corpid.
		if (!query.corpsecret) return { errcode: 41004 };
		if (!query.corpid) return { errcode: 41002 };
		if (query.corpid !== this.corpId) return { errcode: 40013 };
		const app = this.apps.find((candidate) => candidate.secret === query.corpsecret);
		if (!app) return { errcode: 40001 };
		const now = this.now();
		// While a token is valid, gettoken hands out the same one and does not invalidate it; after expiry it
		// issues a new one. Older wording of doc 91039 (quoted in github yanjunhui/chat issue #17):
		// "有效期内重复获取返回相同结果，过期后获取会返回新的access_token". The current page no longer says
		// so, but nothing says the opposite, unlike the mini-program's cgi-bin/token.
		// expires_in is what is left of that lifetime, so a client that trusts it never uses a dead token.
		let state = this.currentTokens.get(app.agentId);
		if (!state || now >= state.expiresAt) {
			state = {
				token: randomBytes(96).toString('base64url'),
				app,
				issuedAt: now,
				expiresAt: now + this.tokenTtlMs,
			};
			this.tokens.set(state.token, state);
			this.currentTokens.set(app.agentId, state);
		}
		this.tokenFetches += 1;
		return { errcode: 0, access_token: state.token, expires_in: Math.ceil((state.expiresAt - now) / 1000) };
	}

	// --- auth/getuserinfo [doc 91023] ----------------------------------------------------------------

	private getUserInfo({ query }: RequestContext): Answer {
		if (!query.code) return { errcode: 41008 };
		const entry = this.oauthCodes.get(query.code);
		// Unknown, used or expired code: 40029 不合法的oauth_code, the error example of doc 91023.
		if (!entry || this.now() >= entry.expiresAt) return { errcode: 40029 };
		this.oauthCodes.delete(query.code);
		return { errcode: 0, ...withoutUndefined(entry.identity) };
	}

	// --- get_jsapi_ticket and ticket/get?type=agent_config [doc 90506] --------------------------------

	private getTicket({ query }: RequestContext, app: FakeWeComApp, kind: 'jsapi' | 'agentConfig'): Answer {
		// "type 固定为agent_config"; any other value: 91040 获取ticket的类型无效 [doc 90313].
		if (kind === 'agentConfig' && query.type !== 'agent_config') return { errcode: 91040 };
		const now = this.now();
		while (this.ticketLog.length > 0 && now - this.ticketLog[0].time >= HOUR) this.ticketLog.shift();
		// Both kinds of ticket count against the hourly limits of the corp and of the app; beyond: 45009.
		const byApp = this.ticketLog.filter((entry) => entry.agentId === app.agentId).length;
		if (this.ticketLog.length >= TICKET_LIMIT_PER_CORP_PER_HOUR || byApp >= TICKET_LIMIT_PER_APP_PER_HOUR) {
			return { errcode: 45009 };
		}
		this.ticketLog.push({ agentId: app.agentId, time: now });
		this.ticketFetches[kind] += 1;
		return { errcode: 0, ticket: randomBytes(48).toString('base64url'), expires_in: TICKET_TTL_SECONDS };
	}
}
