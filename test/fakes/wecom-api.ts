// A loopback fake of the WeCom (企业微信) server API (qyapi.weixin.qq.com) for unit tests, in-process node
// tests, e2e tests in a real n8n, benchmarks and the local demo. It answers the way WeCom does, so that a
// client that passes here meets no surprise there:
// - every known API answers HTTP 200 with JSON `{errcode, errmsg, …}` (errcode 0, errmsg "ok" on success);
// - an unknown path answers HTTP 404 with an empty body: a probe of qyapi.weixin.qq.com on 2026-09-11
//   (`GET /cgi-bin/this_api_does_not_exist?access_token=FAKE_TOKEN` → 404, empty body; public probe record,
//   code index id 65919429569) found no errcode JSON there;
// - access_token is read from the query string only (same probe: a token in an Authorization header or in
//   the JSON body gets 41001), and it is checked before any parameter (same probe, oa/applyevent with `{}`);
// - errcodes and their meanings are those of the global errcode page [doc 90313] (mirror
//   funcodingdev/n8n-nodes-wecom @ f6ba5db `docs/001-企业内部开发/005-附录/003-全局错误码.md`).
// errmsg texts imitate WeCom's ("…, hint: […], from ip: …, more info at …?e=CODE") but clients must match
// errcode only: doc 90313 says errmsg may change.
// Doc numbers refer to https://developer.work.weixin.qq.com/document/path/NNNNN; see also
// shared/notes/wecom-and-miniprogram.md §3–4.
// Listens on 127.0.0.1 only and uses node:http only.
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export type JsonObject = Record<string, unknown>;

export interface FakeWeComApp {
	agentId: number;
	secret: string;
}

/** What `auth/getuserinfo` answers for a code [doc 91023]: a member, or a visitor who is not one. */
export type FakeOAuthIdentity =
	| { userid: string; user_ticket?: string }
	| { openid: string; external_userid?: string };

export interface FakeWeComOptions {
	/** Port on 127.0.0.1; 0 (default) picks a free one. */
	port?: number;
	/** Default 'ww_fake_corp'. */
	corpId?: string;
	/** Default one app: agentId 1000002, secret 'fake-secret'. */
	apps?: FakeWeComApp[];
	/** Lifetime of an access_token; default 7200 like WeCom [doc 91039]. */
	tokenTtlSeconds?: number;
	/** Delay before each request is handled; default 0. */
	latencyMs?: number;
	/** User ids outside the app's visible range: reported in invaliduser (compared case-insensitively). */
	unknownUsers?: string[];
	/** Department ids reported in invalidparty. */
	unknownParties?: string[];
	/** Tag ids reported in invalidtag. */
	unknownTags?: string[];
	/** Clock in milliseconds, for tests that move time (token, OAuth code, media, recall windows). */
	now?: () => number;
	/** Called once a request has been answered (the local demo prints each one). */
	onRequest?: (record: FakeRequestRecord) => void;
}

export interface FakeMultipartPart {
	name: string;
	filename?: string;
	contentType?: string;
	size: number;
}

export interface FakeRequestRecord {
	method: string;
	/** Path without the query string. */
	path: string;
	query: Record<string, string>;
	/** Parsed JSON body; the raw text when it is not JSON; absent when empty or multipart. */
	body?: unknown;
	/** Summary of a multipart/form-data body (no file contents). */
	multipart?: FakeMultipartPart[];
	/** Arrival time (the fake's clock, ms). */
	time: number;
	/** HTTP status answered (200 for every known API, 404 for an unknown path). */
	status: number;
	/** errcode answered, when the answer was WeCom JSON. */
	errcode?: number;
}

export interface FakeSentMessage {
	msgid: string;
	agentId: number;
	msgtype: string;
	/** The request body as WeCom keeps it: over-long fields already truncated. */
	body: JsonObject;
	/** text.content or markdown.content after truncation. */
	content?: string;
	/** Whether WeCom's length limits cut any field. */
	truncated: boolean;
	invaliduser: string;
	invalidparty: string;
	invalidtag: string;
	response_code?: string;
	time: number;
}

export type FakeMediaType = 'image' | 'voice' | 'video' | 'file';

export interface FakeUploadedMedia {
	type: FakeMediaType;
	filename: string;
	size: number;
	contentType: string;
	media_id: string;
	sha256: string;
	time: number;
}

export interface FakeWeComApi {
	/** http://127.0.0.1:port — use as the credential's API base URL. */
	readonly url: string;
	readonly corpId: string;
	readonly apps: readonly FakeWeComApp[];
	readonly requests: FakeRequestRecord[];
	/** Successful gettoken calls. */
	readonly tokenFetches: number;
	/** Successful ticket fetches: `get_jsapi_ticket` (jsapi) and `ticket/get?type=agent_config`. */
	readonly ticketFetches: { jsapi: number; agentConfig: number };
	readonly sentMessages: FakeSentMessage[];
	/** msgids recalled with message/recall. */
	readonly recalled: string[];
	readonly uploadedMedia: FakeUploadedMedia[];
	close(): Promise<void>;
	/** Forget everything (records, tokens, media, codes, injected errors); settings back to the options. */
	reset(): void;
	/** Every issued token answers 42001 from now on; the next gettoken issues a new one. */
	expireAllTokens(): void;
	/** Every issued token answers 40014 from now on (WeCom "可能会…提前使access_token失效" [doc 91039]). */
	invalidateAllTokens(): void;
	/** Lifetime of tokens, applied to those already issued too (counted from their issue time). */
	setTokenTtl(seconds: number): void;
	setLatency(ms: number): void;
	/**
	 * The next `times` calls to `pathname` (e.g. '/cgi-bin/message/send') answer this errcode, after the
	 * errors already queued for it; `times` 0 clears that queue.
	 */
	injectError(pathname: string, errcode: number, errmsg?: string, times?: number): void;
	/** Register an OAuth code for auth/getuserinfo: single use, valid 5 minutes [doc 91023]. */
	addOAuthCode(code: string, identity: FakeOAuthIdentity): void;
	/** Resolves once `predicate` holds (checked after every answered request); rejects after `timeoutMs`. */
	waitFor(predicate: (api: FakeWeComApi) => boolean, timeoutMs?: number): Promise<void>;
}

export async function startFakeWeComApi(options: FakeWeComOptions = {}): Promise<FakeWeComApi> {
	const fake = new FakeWeComServer(options);
	await fake.listen(options.port ?? 0);
	return fake;
}

// ---------------------------------------------------------------------------------------------------
// Loopback HTTP helpers, shared with the other fakes in this folder.

/** Listens on 127.0.0.1 only and resolves with the port. */
export function listenOnLoopback(server: http.Server, port: number): Promise<number> {
	return new Promise((resolve, reject) => {
		server.once('error', reject);
		server.listen(port, '127.0.0.1', () => {
			server.off('error', reject);
			resolve((server.address() as AddressInfo).port);
		});
	});
}

/** Closes the server and the keep-alive connections that clients (fetch, n8n) hold open. */
export function closeServer(server: http.Server): Promise<void> {
	return new Promise((resolve) => {
		server.close(() => resolve());
		server.closeAllConnections();
	});
}

/** Reads a request body; past `maxBytes` the data is dropped but still counted. */
export async function readRequestBody(
	req: http.IncomingMessage,
	maxBytes: number,
): Promise<{ data: Buffer; size: number; overflow: boolean }> {
	const chunks: Buffer[] = [];
	let size = 0;
	for await (const chunk of req as AsyncIterable<Buffer>) {
		size += chunk.length;
		if (size <= maxBytes) chunks.push(chunk);
	}
	return { data: Buffer.concat(chunks), size, overflow: size > maxBytes };
}

export function sleep(ms: number): Promise<void> {
	return new Promise((resolve) => setTimeout(resolve, ms));
}

// ---------------------------------------------------------------------------------------------------
// Platform constants.

const DEFAULT_APP: FakeWeComApp = { agentId: 1000002, secret: 'fake-secret' };
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
/** OAuth code: "code只能使用一次，5分钟未被使用自动过期" [doc 91023]. */
const OAUTH_CODE_TTL = 5 * MINUTE;
/** media_id "3天内有效" [doc 90253]. */
const MEDIA_TTL = 72 * HOUR;
/** message/recall: "可以撤回24小时内…推送的消息" [doc 94867]. */
const RECALL_WINDOW = 24 * HOUR;
/** jsapi tickets: "一小时内，一个企业最多可获取400次，且单个应用不能超过100次" (note §4, from doc 90454). */
const TICKET_LIMIT_PER_CORP_PER_HOUR = 400;
const TICKET_LIMIT_PER_APP_PER_HOUR = 100;
const TICKET_TTL_SECONDS = 7200;

/** Upload limits [doc 90253 "上传的媒体文件限制"]: "所有文件size必须大于5个字节"; image 10MB (older
 * copies of the page say 2MB), voice 2MB, video 10MB, file 20MB. */
const MEDIA_MAX_BYTES: Record<FakeMediaType, number> = {
	image: 10 * 1024 * 1024,
	voice: 2 * 1024 * 1024,
	video: 10 * 1024 * 1024,
	file: 20 * 1024 * 1024,
};
const MEDIA_MIN_BYTES = 6;
/** Errcode for a file over its type's limit [doc 90313]: 40009 上传图片大小不是有效值, 40011 上传视频大小
 * 不是有效值; voice and file have no code of their own, so 40006 不合法的文件大小 (the code a real voice
 * upload over the limit got: "invalid media size", public issue logs). */
const MEDIA_TOO_LARGE: Record<FakeMediaType, number> = {
	image: 40009,
	voice: 40006,
	video: 40011,
	file: 40006,
};
/** Bodies beyond this are counted, not kept: enough for the 20 MB file limit plus multipart framing. */
const MAX_BODY_BYTES = 21 * 1024 * 1024;

/** msgtypes of message/send handled here [doc 90236]. */
const MESSAGE_TYPES = new Set([
	'text',
	'markdown',
	'textcard',
	'news',
	'image',
	'voice',
	'video',
	'file',
	'mpnews',
	'template_card',
]);
/** template_card card_type values; the interactive ones return response_code [doc 90236]. */
const CARD_TYPES = new Set([
	'text_notice',
	'news_notice',
	'button_interaction',
	'vote_interaction',
	'multiple_interaction',
]);
const INTERACTIVE_CARD_TYPES = new Set([
	'button_interaction',
	'vote_interaction',
	'multiple_interaction',
]);

/** errmsg bases, in WeCom's wording where public answers show it (errmsg is informative only). */
const ERRMSG: Record<number, string> = {
	[-1]: 'system busy',
	40001: 'invalid credential',
	40005: 'invalid file type',
	40006: 'invalid media size',
	40007: 'invalid media_id',
	40008: 'invalid message type',
	40009: 'invalid image size',
	40011: 'invalid video size',
	40013: 'invalid corpid',
	40014: 'invalid access_token',
	40029: 'invalid code',
	40032: 'invalid userid list size',
	40058: 'invalid Request Parameter',
	41001: 'access_token missing',
	41002: 'corpid missing',
	41004: 'corpsecret missing',
	41006: 'media_id missing',
	41008: 'missing code',
	41010: 'missing url',
	41011: 'missing agentid',
	41016: 'missing title',
	41033: 'missing description',
	42001: 'access_token expired',
	42031: 'invalid template_card card_type',
	42052: 'msgid expired',
	44001: 'empty media data',
	44004: 'empty content',
	45008: 'article size out of limit',
	45009: 'api freq out of limit',
	60020: 'not allow to access from your ip',
	81013: 'user & party & tag all invalid',
	82001: 'All touser & toparty & totag invalid',
	82002: 'invalid party list size',
	82003: 'invalid tag list size',
	91040: 'invalid ticket type',
	301002: 'not allow operate another agent with this accesstoken.',
};
/** The errmsg WeCom gives for an untrusted IP (note §4), used when injectError(…, 60020) names none. */
const ERRMSG_60020 =
	'not allow to access from your ip, hint: [1700000000_1_abc], from ip: 203.0.113.7, more info at https://open.work.weixin.qq.com/devtool/query?e=60020';

// ---------------------------------------------------------------------------------------------------

interface TokenState {
	token: string;
	app: FakeWeComApp;
	issuedAt: number;
	expiresAt: number;
}

/** What a handler answers; the dispatcher fills in errmsg. */
interface Answer extends JsonObject {
	errcode: number;
	errmsg?: string;
}

interface RequestContext {
	query: Record<string, string>;
	/** JSON body as an object ({} when absent or not an object). */
	body: JsonObject;
	/** Parts of a multipart/form-data body. */
	multipart: MultipartPart[];
	/** Body size in bytes, also when it was too large to keep. */
	bodySize: number;
	bodyKept: boolean;
}

/** One API. All but gettoken need a valid access_token and learn which app it belongs to. */
type Route =
	| { auth: false; handle(ctx: RequestContext): Answer }
	| { auth: true; handle(ctx: RequestContext, app: FakeWeComApp): Answer };

interface InjectedError {
	errcode: number;
	errmsg?: string;
	remaining: number;
}

interface Waiter {
	check(): void;
	fail(error: Error): void;
}

class FakeWeComServer implements FakeWeComApi {
	url = '';
	readonly corpId: string;
	readonly apps: readonly FakeWeComApp[];
	readonly requests: FakeRequestRecord[] = [];
	readonly ticketFetches = { jsapi: 0, agentConfig: 0 };
	readonly sentMessages: FakeSentMessage[] = [];
	readonly recalled: string[] = [];
	readonly uploadedMedia: FakeUploadedMedia[] = [];

	private readonly server = http.createServer((req, res) => {
		this.serve(req, res).catch((error: unknown) => {
			// A bug in the fake, not a WeCom answer: make it loud.
			if (res.headersSent) return void res.destroy();
			res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' });
			res.end(`fake WeCom failed: ${error instanceof Error ? error.stack : String(error)}`);
		});
	});
	private readonly now: () => number;
	private readonly unknownUsers: Set<string>;
	private readonly unknownParties: Set<string>;
	private readonly unknownTags: Set<string>;
	private tokenTtlMs: number;
	private latencyMs: number;
	private tokenFetchCount = 0;
	/** Every token ever issued (until reset or invalidation), so an expired one still answers 42001. */
	private readonly tokens = new Map<string, TokenState>();
	/** The token gettoken hands out per agentId while it is valid. */
	private readonly currentTokens = new Map<number, TokenState>();
	private readonly injected = new Map<string, InjectedError[]>();
	private readonly oauthCodes = new Map<
		string,
		{ identity: FakeOAuthIdentity; expiresAt: number }
	>();
	private readonly media = new Map<string, FakeUploadedMedia>();
	private readonly sentById = new Map<string, FakeSentMessage>();
	private readonly ticketLog: Array<{ agentId: number; time: number }> = [];
	private readonly waiters = new Set<Waiter>();
	private hintCounter = 0;

	/** The route table: one entry per API path. The kf APIs (/cgi-bin/kf/*) join here. */
	private readonly routes: Record<string, Route> = {
		'/cgi-bin/gettoken': { auth: false, handle: (c) => this.getToken(c) },
		'/cgi-bin/message/send': { auth: true, handle: (c, app) => this.sendMessage(c, app) },
		'/cgi-bin/message/recall': { auth: true, handle: (c, app) => this.recallMessage(c, app) },
		'/cgi-bin/media/upload': { auth: true, handle: (c) => this.uploadMedia(c) },
		'/cgi-bin/auth/getuserinfo': { auth: true, handle: (c) => this.getUserInfo(c) },
		'/cgi-bin/get_jsapi_ticket': {
			auth: true,
			handle: (c, app) => this.getTicket(c, app, 'jsapi'),
		},
		'/cgi-bin/ticket/get': {
			auth: true,
			handle: (c, app) => this.getTicket(c, app, 'agentConfig'),
		},
	};

	constructor(private readonly options: FakeWeComOptions) {
		this.corpId = options.corpId ?? 'ww_fake_corp';
		this.apps = (options.apps ?? [DEFAULT_APP]).map((app) => ({ ...app }));
		this.now = options.now ?? Date.now;
		this.unknownUsers = new Set((options.unknownUsers ?? []).map((id) => id.toLowerCase()));
		this.unknownParties = new Set(options.unknownParties ?? []);
		this.unknownTags = new Set(options.unknownTags ?? []);
		this.tokenTtlMs = (options.tokenTtlSeconds ?? 7200) * 1000;
		this.latencyMs = options.latencyMs ?? 0;
	}

	get tokenFetches(): number {
		return this.tokenFetchCount;
	}

	async listen(port: number): Promise<void> {
		this.url = `http://127.0.0.1:${await listenOnLoopback(this.server, port)}`;
	}

	async close(): Promise<void> {
		for (const waiter of this.waiters)
			waiter.fail(new Error('fake WeCom closed before the condition held'));
		await closeServer(this.server);
	}

	reset(): void {
		for (const list of [
			this.requests,
			this.sentMessages,
			this.recalled,
			this.uploadedMedia,
			this.ticketLog,
		]) {
			list.length = 0;
		}
		for (const map of [
			this.tokens,
			this.currentTokens,
			this.injected,
			this.oauthCodes,
			this.media,
			this.sentById,
		]) {
			map.clear();
		}
		this.tokenFetchCount = 0;
		this.ticketFetches.jsapi = 0;
		this.ticketFetches.agentConfig = 0;
		this.tokenTtlMs = (this.options.tokenTtlSeconds ?? 7200) * 1000;
		this.latencyMs = this.options.latencyMs ?? 0;
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

	setLatency(ms: number): void {
		this.latencyMs = ms;
	}

	injectError(pathname: string, errcode: number, errmsg?: string, times = 1): void {
		if (times <= 0) return void this.injected.delete(pathname);
		const queue = this.injected.get(pathname) ?? [];
		queue.push({
			errcode,
			errmsg: errmsg ?? (errcode === 60020 ? ERRMSG_60020 : undefined),
			remaining: times,
		});
		this.injected.set(pathname, queue);
	}

	addOAuthCode(code: string, identity: FakeOAuthIdentity): void {
		this.oauthCodes.set(code, {
			identity: { ...identity },
			expiresAt: this.now() + OAUTH_CODE_TTL,
		});
	}

	waitFor(predicate: (api: FakeWeComApi) => boolean, timeoutMs = 5000): Promise<void> {
		return new Promise((resolve, reject) => {
			const waiter: Waiter = {
				check: () => {
					let held: boolean;
					try {
						held = predicate(this);
					} catch (error) {
						waiter.fail(error instanceof Error ? error : new Error(String(error)));
						return;
					}
					if (!held) return;
					clearTimeout(timer);
					this.waiters.delete(waiter);
					resolve();
				},
				fail: (error) => {
					clearTimeout(timer);
					this.waiters.delete(waiter);
					reject(error);
				},
			};
			const timer = setTimeout(() => {
				waiter.fail(
					new Error(
						`fake WeCom: condition not met within ${timeoutMs} ms ` +
							`(${this.requests.length} requests, ${this.sentMessages.length} messages sent)`,
					),
				);
			}, timeoutMs);
			this.waiters.add(waiter);
			waiter.check();
		});
	}

	// --- dispatch ------------------------------------------------------------------------------------

	private async serve(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
		const url = new URL(req.url ?? '/', 'http://127.0.0.1');
		const query = Object.fromEntries(url.searchParams);
		const { data: raw, size: bodySize, overflow } = await readRequestBody(req, MAX_BODY_BYTES);
		const record: FakeRequestRecord = {
			method: req.method ?? 'GET',
			path: url.pathname,
			query,
			time: this.now(),
			status: 200,
		};
		const parsed = parseBody(raw, req.headers['content-type'] ?? '');
		if (parsed.multipart) record.multipart = parsed.multipart.map((part) => summarisePart(part));
		else if (parsed.body !== undefined) record.body = parsed.body;
		this.requests.push(record);

		if (this.latencyMs > 0) await sleep(this.latencyMs);

		const answer = this.answer(url.pathname, {
			query,
			body: isObject(parsed.body) ? parsed.body : {},
			multipart: parsed.multipart ?? [],
			bodySize,
			bodyKept: !overflow,
		});
		if (answer === undefined) {
			record.status = 404;
			res.writeHead(404, { 'Content-Length': '0' });
			res.end();
		} else {
			const { errcode, errmsg: given, ...fields } = answer;
			let errmsg = given ?? this.errmsg(errcode, req);
			// WeCom parses what it can of malformed JSON and says so in errmsg [doc 90313].
			if (parsed.brokenJson && errcode !== 0) errmsg += ' Warning: wrong json format.';
			record.errcode = errcode;
			const text = JSON.stringify({ errcode, errmsg, ...fields });
			res.writeHead(200, {
				'Content-Type': 'application/json; charset=UTF-8',
				'Content-Length': Buffer.byteLength(text),
			});
			res.end(text);
		}
		this.options.onRequest?.(record);
		for (const waiter of this.waiters) waiter.check();
	}

	/** undefined = unknown path (HTTP 404). */
	private answer(pathname: string, ctx: RequestContext): Answer | undefined {
		const injected = this.takeInjected(pathname);
		if (injected) return injected;
		const route = this.routes[pathname];
		if (!route) return undefined;
		if (!route.auth) return route.handle(ctx);
		const token = ctx.query.access_token;
		if (!token) return { errcode: 41001 };
		const state = this.tokens.get(token);
		if (!state) return { errcode: 40014 };
		if (this.now() >= state.expiresAt) return { errcode: 42001 };
		return route.handle(ctx, state.app);
	}

	private takeInjected(pathname: string): Answer | undefined {
		const queue = this.injected.get(pathname);
		const next = queue?.[0];
		if (!queue || !next) return undefined;
		next.remaining -= 1;
		if (next.remaining <= 0) queue.shift();
		return next.errmsg === undefined
			? { errcode: next.errcode }
			: { errcode: next.errcode, errmsg: next.errmsg };
	}

	private errmsg(errcode: number, req: http.IncomingMessage): string {
		if (errcode === 0) return 'ok';
		this.hintCounter += 1;
		const hint = `${Math.floor(this.now() / 1000)}_${this.hintCounter}_${randomBytes(16).toString('hex')}`;
		const ip = (req.socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, '');
		return (
			`${ERRMSG[errcode] ?? 'fake WeCom error'}, hint: [${hint}], from ip: ${ip}, ` +
			`more info at https://open.work.weixin.qq.com/devtool/query?e=${errcode}`
		);
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
		// so (note §4), but nothing says the opposite, unlike the mini-program cgi-bin/token.
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
		this.tokenFetchCount += 1;
		return {
			errcode: 0,
			access_token: state.token,
			expires_in: Math.ceil((state.expiresAt - now) / 1000),
		};
	}

	// --- message/send [doc 90236] --------------------------------------------------------------------

	private sendMessage({ body }: RequestContext, app: FakeWeComApp): Answer {
		if (body.agentid === undefined || body.agentid === '') return { errcode: 41011 };
		// A token belongs to one app: "获取到的access_token只能本应用使用" [doc 91039] → 301002.
		if (Number(body.agentid) !== app.agentId) return { errcode: 301002 };
		const msgtype = body.msgtype;
		if (typeof msgtype !== 'string' || !MESSAGE_TYPES.has(msgtype)) return { errcode: 40008 };

		const users = splitIds(body.touser);
		const parties = splitIds(body.toparty);
		const tags = splitIds(body.totag);
		// "touser、toparty、totag不能同时为空" [doc 90236]; the errcode for it is 82001 指定的成员/部门/标签全部为空
		// [doc 90313], and WeCom answers it with errmsg "All touser & toparty & totag invalid" (cnblogs
		// HLeng/p/5683514: a body that spelled `toUser` got exactly that).
		if (users.length + parties.length + tags.length === 0) return { errcode: 82001 };
		// "最多支持1000个" users, "最多支持100个" parties and tags [doc 90236]; codes from doc 90313.
		if (users.length > 1000) return { errcode: 40032 };
		if (parties.length > 100) return { errcode: 82002 };
		if (tags.length > 100) return { errcode: 82003 };

		const checked = checkMessageBody(msgtype, body, (mediaId) => this.isLiveMedia(mediaId));
		if ('errcode' in checked) return checked;

		// "@all" sends to the whole visible range and ignores toparty/totag [doc 90236].
		const toAll = users.includes('@all');
		// "返回包中的userid，不区分大小写，统一转为小写" [doc 90236].
		const invalidUsers = toAll
			? []
			: users.map((id) => id.toLowerCase()).filter((id) => this.unknownUsers.has(id));
		const invalidParties = toAll ? [] : parties.filter((id) => this.unknownParties.has(id));
		const invalidTags = toAll ? [] : tags.filter((id) => this.unknownTags.has(id));
		const lists = {
			invaliduser: invalidUsers.join('|'),
			invalidparty: invalidParties.join('|'),
			invalidtag: invalidTags.join('|'),
			unlicenseduser: '',
		};
		const validCount =
			users.length +
			parties.length +
			tags.length -
			invalidUsers.length -
			invalidParties.length -
			invalidTags.length;
		// "如果部分接收人无权限或不存在，发送仍然执行…如果全部接收人无权限或不存在，则本次调用返回失败，errcode为81013"
		if (!toAll && validCount === 0) return { errcode: 81013, ...lists };

		const msgid = randomBytes(47).toString('base64url');
		const responseCode = checked.interactive ? randomBytes(32).toString('base64url') : undefined;
		const sent: FakeSentMessage = {
			msgid,
			agentId: app.agentId,
			msgtype,
			body: checked.body,
			...(checked.content === undefined ? {} : { content: checked.content }),
			truncated: checked.truncated,
			invaliduser: lists.invaliduser,
			invalidparty: lists.invalidparty,
			invalidtag: lists.invalidtag,
			...(responseCode === undefined ? {} : { response_code: responseCode }),
			time: this.now(),
		};
		this.sentMessages.push(sent);
		this.sentById.set(msgid, sent);
		// response_code only for the interactive template cards (and text/news notices with action_menu)
		// [doc 90236 "参数说明"].
		return {
			errcode: 0,
			...lists,
			msgid,
			...(responseCode === undefined ? {} : { response_code: responseCode }),
		};
	}

	private isLiveMedia(mediaId: string): boolean {
		const media = this.media.get(mediaId);
		return media !== undefined && this.now() < media.time + MEDIA_TTL;
	}

	// --- message/recall [doc 94867] ------------------------------------------------------------------

	private recallMessage({ body }: RequestContext, app: FakeWeComApp): Answer {
		const msgid = typeof body.msgid === 'string' ? body.msgid : '';
		const sent = this.sentById.get(msgid);
		// No errcode is documented for a msgid that was never sent (or was already recalled); doc 90313's
		// generic 40058 不合法的参数 is used. 42052 "msgid已过期 仅可撤回24小时内的消息" is documented.
		if (!sent || sent.agentId !== app.agentId || this.recalled.includes(msgid))
			return { errcode: 40058 };
		if (this.now() - sent.time > RECALL_WINDOW) return { errcode: 42052 };
		this.recalled.push(msgid);
		return { errcode: 0 };
	}

	// --- media/upload [doc 90253] --------------------------------------------------------------------

	private uploadMedia({ query, multipart, bodySize, bodyKept }: RequestContext): Answer {
		const type = query.type;
		if (!isMediaType(type)) return { errcode: 40005 };
		// A body past MAX_BODY_BYTES holds a file past every type's limit.
		if (!bodyKept && bodySize > MEDIA_MAX_BYTES[type]) return { errcode: MEDIA_TOO_LARGE[type] };
		// "使用multipart/form-data POST上传文件， 文件标识名为"media"", with filename [doc 90253]. Without it
		// WeCom finds no media: 44001 多媒体文件为空 (probe 2026-09-11: an empty `media` part → 44001).
		const part = multipart.find(
			(candidate) => candidate.name === 'media' && candidate.filename !== undefined,
		);
		const size = part?.data.length ?? 0;
		if (!part || size === 0) return { errcode: 44001 };
		if (size < MEDIA_MIN_BYTES) return { errcode: 40006 };
		if (size > MEDIA_MAX_BYTES[type]) return { errcode: MEDIA_TOO_LARGE[type] };

		const now = this.now();
		const media: FakeUploadedMedia = {
			type,
			filename: part.filename ?? '',
			size,
			contentType: part.contentType ?? 'application/octet-stream',
			media_id: `3${randomBytes(32).toString('base64url')}`,
			sha256: createHash('sha256').update(part.data).digest('hex'),
			time: now,
		};
		this.uploadedMedia.push(media);
		this.media.set(media.media_id, media);
		return {
			errcode: 0,
			type,
			media_id: media.media_id,
			created_at: String(Math.floor(now / 1000)),
		};
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

	private getTicket(
		{ query }: RequestContext,
		app: FakeWeComApp,
		kind: 'jsapi' | 'agentConfig',
	): Answer {
		// "type 固定为agent_config"; any other value: 91040 获取ticket的类型无效 [doc 90313].
		if (kind === 'agentConfig' && query.type !== 'agent_config') return { errcode: 91040 };
		const now = this.now();
		while (this.ticketLog.length > 0 && now - this.ticketLog[0].time >= HOUR)
			this.ticketLog.shift();
		// Both kinds of ticket count against the hourly limits of the corp and of the app; beyond: 45009.
		const byApp = this.ticketLog.filter((entry) => entry.agentId === app.agentId).length;
		if (
			this.ticketLog.length >= TICKET_LIMIT_PER_CORP_PER_HOUR ||
			byApp >= TICKET_LIMIT_PER_APP_PER_HOUR
		) {
			return { errcode: 45009 };
		}
		this.ticketLog.push({ agentId: app.agentId, time: now });
		this.ticketFetches[kind] += 1;
		return {
			errcode: 0,
			ticket: randomBytes(48).toString('base64url'),
			expires_in: TICKET_TTL_SECONDS,
		};
	}
}

// ---------------------------------------------------------------------------------------------------
// message/send bodies [doc 90236].

type BodyCheck =
	| { errcode: number }
	| { body: JsonObject; content?: string; truncated: boolean; interactive: boolean };

/**
 * Validates the part of a message/send body that belongs to its msgtype and applies WeCom's truncation
 * ("超过将截断"). Missing fields get the doc 90313 code that names them (41006 media_id, 41010 url, 41016
 * title, 41033 description, 44004 content); a media_id the fake never issued (or older than 3 days) gets
 * 40007.
 */
function checkMessageBody(
	msgtype: string,
	original: JsonObject,
	isLiveMedia: (mediaId: string) => boolean,
): BodyCheck {
	const body = structuredClone(original);
	const part = isObject(body[msgtype]) ? (body[msgtype] as JsonObject) : {};
	let truncated = false;
	/** Cuts `obj[key]` to `max` UTF-8 bytes or characters and notes whether it did. */
	const cut = (obj: JsonObject, key: string, max: number, unit: 'bytes' | 'chars') => {
		const value = obj[key];
		if (typeof value !== 'string') return;
		const short = unit === 'bytes' ? truncateUtf8(value, max) : [...value].slice(0, max).join('');
		if (short !== value) {
			obj[key] = short;
			truncated = true;
		}
	};
	const mediaError = (mediaId: unknown): number | undefined => {
		if (typeof mediaId !== 'string' || mediaId === '') return 41006;
		return isLiveMedia(mediaId) ? undefined : 40007;
	};
	let content: string | undefined;
	let interactive = false;

	switch (msgtype) {
		case 'text':
		case 'markdown': {
			if (typeof part.content !== 'string' || part.content === '') return { errcode: 44004 };
			// text and markdown: "最长不超过2048个字节，超过将截断". Cut at a character boundary.
			cut(part, 'content', 2048, 'bytes');
			content = part.content as string;
			break;
		}
		case 'textcard': {
			if (!nonEmpty(part.title)) return { errcode: 41016 };
			if (!nonEmpty(part.description)) return { errcode: 41033 };
			if (!nonEmpty(part.url)) return { errcode: 41010 };
			cut(part, 'title', 128, 'chars');
			cut(part, 'description', 512, 'chars');
			cut(part, 'btntxt', 4, 'chars');
			break;
		}
		case 'news':
		case 'mpnews': {
			const articles = Array.isArray(part.articles) ? part.articles : [];
			// "一个图文消息支持1到8条图文"; 45008 图文消息的文章数量不符合系统限制.
			if (articles.length < 1 || articles.length > 8) return { errcode: 45008 };
			for (const article of articles) {
				const item: JsonObject = isObject(article) ? article : {};
				if (!nonEmpty(item.title)) return { errcode: 41016 };
				if (msgtype === 'news') {
					// "小程序或者url必须填写一个"
					if (!nonEmpty(item.url) && !(nonEmpty(item.appid) && nonEmpty(item.pagepath)))
						return { errcode: 41010 };
					cut(item, 'description', 512, 'bytes');
				} else {
					const error = mediaError(item.thumb_media_id);
					if (error) return { errcode: error };
					if (!nonEmpty(item.content)) return { errcode: 44004 };
					cut(item, 'digest', 512, 'bytes');
				}
				cut(item, 'title', 128, 'bytes');
			}
			break;
		}
		case 'image':
		case 'voice':
		case 'video':
		case 'file': {
			const error = mediaError(part.media_id);
			if (error) return { errcode: error };
			if (msgtype === 'video') {
				cut(part, 'title', 128, 'bytes');
				cut(part, 'description', 512, 'bytes');
			}
			break;
		}
		case 'template_card': {
			// 42031 Template_Card.CardType 字段不合法 [doc 90313].
			if (typeof part.card_type !== 'string' || !CARD_TYPES.has(part.card_type))
				return { errcode: 42031 };
			interactive = INTERACTIVE_CARD_TYPES.has(part.card_type) || isObject(part.action_menu);
			break;
		}
	}
	return { body, ...(content === undefined ? {} : { content }), truncated, interactive };
}

/** Longest prefix of `text` within `maxBytes` of UTF-8 that does not split a character. */
function truncateUtf8(text: string, maxBytes: number): string {
	if (Buffer.byteLength(text) <= maxBytes) return text;
	let bytes = 0;
	let end = 0;
	for (const char of text) {
		const size = Buffer.byteLength(char);
		if (bytes + size > maxBytes) break;
		bytes += size;
		end += char.length;
	}
	return text.slice(0, end);
}

/** "UserID1|UserID2" → ids; WeCom's own examples put spaces around the bars ("TagID1 | TagID2"). */
function splitIds(value: unknown): string[] {
	if (typeof value !== 'string' && typeof value !== 'number') return [];
	return String(value)
		.split('|')
		.map((id) => id.trim())
		.filter((id) => id !== '');
}

// ---------------------------------------------------------------------------------------------------
// Bodies.

interface MultipartPart extends FakeMultipartPart {
	data: Buffer;
}

function parseBody(
	raw: Buffer,
	contentType: string,
): { body?: unknown; brokenJson: boolean; multipart?: MultipartPart[] } {
	if (raw.length === 0) return { brokenJson: false };
	const boundary = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(contentType);
	if (/^multipart\/form-data/i.test(contentType) && boundary) {
		return {
			brokenJson: false,
			multipart: parseMultipart(raw, (boundary[1] ?? boundary[2]).trim()),
		};
	}
	const text = raw.toString('utf8');
	try {
		return { body: JSON.parse(text) as unknown, brokenJson: false };
	} catch {
		return { body: text, brokenJson: true };
	}
}

/**
 * A multipart/form-data parser for the fake (RFC 7578), enough for what clients send to media/upload:
 * WeCom's own example part header is `Content-Disposition: form-data; name="media";filename="wework.txt";
 * filelength=6` [doc 90253]; browsers and undici send `filename*=` only for non-ASCII names, if at all.
 */
function parseMultipart(raw: Buffer, boundary: string): MultipartPart[] {
	const parts: MultipartPart[] = [];
	const first = Buffer.from(`--${boundary}`);
	const next = Buffer.from(`\r\n--${boundary}`);
	let position = raw.indexOf(first);
	if (position === -1) return parts;
	position += first.length;
	for (;;) {
		// After a delimiter: "--" closes the body, CRLF opens a part.
		if (raw[position] === 0x2d && raw[position + 1] === 0x2d) break;
		if (raw[position] === 0x0d && raw[position + 1] === 0x0a) position += 2;
		const end = raw.indexOf(next, position);
		if (end === -1) break;
		const part = raw.subarray(position, end);
		const headerEnd = part.indexOf('\r\n\r\n');
		if (headerEnd !== -1) {
			const headers = parseHeaders(part.subarray(0, headerEnd).toString('utf8'));
			const disposition = parseParams(headers['content-disposition'] ?? '');
			const data = part.subarray(headerEnd + 4);
			parts.push({
				name: disposition.name ?? '',
				...(disposition.filename === undefined ? {} : { filename: disposition.filename }),
				...(headers['content-type'] === undefined ? {} : { contentType: headers['content-type'] }),
				size: data.length,
				data,
			});
		}
		position = end + next.length;
	}
	return parts;
}

function summarisePart({ data: _data, ...summary }: MultipartPart): FakeMultipartPart {
	return summary;
}

function parseHeaders(text: string): Record<string, string> {
	const headers: Record<string, string> = {};
	for (const line of text.split('\r\n')) {
		const colon = line.indexOf(':');
		if (colon > 0)
			headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
	}
	return headers;
}

/** `form-data; name="media";filename="a.jpg"; filename*=UTF-8''%E5%9B%BE.jpg` → { name, filename }. */
function parseParams(header: string): Record<string, string> {
	const params: Record<string, string> = {};
	for (const match of header.matchAll(/;\s*([\w*.-]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;]*)/g)) {
		const key = match[1].toLowerCase();
		let value = match[2].trim();
		if (value.startsWith('"')) value = value.slice(1, -1).replace(/\\(.)/g, '$1');
		if (key.endsWith('*')) {
			const encoded = /^[\w-]*'[\w-]*'(.*)$/.exec(value);
			params[key.slice(0, -1)] = decodeURIComponent(encoded ? encoded[1] : value);
		} else if (params[key] === undefined) {
			params[key] = value;
		}
	}
	return params;
}

// ---------------------------------------------------------------------------------------------------

function isObject(value: unknown): value is JsonObject {
	return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function nonEmpty(value: unknown): boolean {
	return typeof value === 'string' && value !== '';
}

function isMediaType(value: unknown): value is FakeMediaType {
	return value === 'image' || value === 'voice' || value === 'video' || value === 'file';
}

function withoutUndefined(object: object): JsonObject {
	return Object.fromEntries(Object.entries(object).filter(([, value]) => value !== undefined));
}
