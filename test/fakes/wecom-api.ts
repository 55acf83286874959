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

export interface FakeWeComOptions extends FakeKfOptions {
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

export interface FakeWeComApi extends FakeKfApi {
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
	/** Forget everything (records, tokens, media, codes, injected errors, kf accounts, sessions and messages);
	 * settings back to the options. */
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
	// kf errmsgs: WeCom's wording is not public for most of them; short English of doc 90313's meaning.
	95000: 'invalid open_kfid',
	95001: 'send msg count limit',
	95002: 'send msg time limit',
	95004: 'open_kfid not exist',
	95007: 'invalid msg token',
	95008: 'menu item count exceed limit',
	95009: 'invalid menu item type',
	95014: 'user is not servicer or not activated',
	95016: 'invalid service state transition',
	95018: 'session state not allow to send msg',
	95019: 'servicer has stopped receiving',
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
		// 微信客服: any app's token may call them here (WeCom also wants the app in 「微信客服-可调用接口的应用」).
		'/cgi-bin/kf/sync_msg': { auth: true, handle: (c) => this.kf.syncMsg(c) },
		'/cgi-bin/kf/send_msg': { auth: true, handle: (c) => this.kf.sendMsg(c) },
		'/cgi-bin/kf/send_msg_on_event': { auth: true, handle: (c) => this.kf.sendMsgOnEvent(c) },
		'/cgi-bin/kf/service_state/get': { auth: true, handle: (c) => this.kf.serviceStateGet(c) },
		'/cgi-bin/kf/service_state/trans': { auth: true, handle: (c) => this.kf.serviceStateTrans(c) },
		'/cgi-bin/kf/account/list': { auth: true, handle: (c) => this.kf.accountList(c) },
		'/cgi-bin/kf/servicer/list': { auth: true, handle: (c) => this.kf.servicerList(c) },
		'/cgi-bin/kf/customer/batchget': { auth: true, handle: (c) => this.kf.customerBatchget(c) },
	};
	private readonly kf: FakeKf;

	constructor(private readonly options: FakeWeComOptions) {
		this.corpId = options.corpId ?? 'ww_fake_corp';
		this.apps = (options.apps ?? [DEFAULT_APP]).map((app) => ({ ...app }));
		this.now = options.now ?? Date.now;
		this.unknownUsers = new Set((options.unknownUsers ?? []).map((id) => id.toLowerCase()));
		this.unknownParties = new Set(options.unknownParties ?? []);
		this.unknownTags = new Set(options.unknownTags ?? []);
		this.tokenTtlMs = (options.tokenTtlSeconds ?? 7200) * 1000;
		this.latencyMs = options.latencyMs ?? 0;
		this.kf = new FakeKf(options, this.now, (mediaId) => this.isLiveMedia(mediaId));
	}

	// --- kf test-side API (FakeKfApi), kept by FakeKf ------------------------------------------------

	get kfAccounts(): readonly FakeKfAccount[] {
		return this.kf.kfAccounts;
	}

	get kfSent(): FakeKfSentMessage[] {
		return this.kf.kfSent;
	}

	addKfAccount(account: FakeKfAccount): void {
		this.kf.addKfAccount(account);
	}

	addKfServicer(openKfId: string, servicer: FakeKfServicer): void {
		this.kf.addKfServicer(openKfId, servicer);
	}

	setKfServicerStatus(openKfId: string, userid: string, status: 0 | 1): void {
		this.kf.setKfServicerStatus(openKfId, userid, status);
	}

	addKfCustomer(customer: FakeKfCustomer): void {
		this.kf.addKfCustomer(customer);
	}

	kfCustomerSends(openKfId: string, externalUserId: string, message: FakeKfMessage): FakeKfPulled {
		return this.kf.kfCustomerSends(openKfId, externalUserId, message);
	}

	kfEvent(openKfId: string, externalUserId: string, event: FakeKfEvent): FakeKfPulled {
		return this.kf.kfEvent(openKfId, externalUserId, event);
	}

	kfServicerSends(
		openKfId: string,
		externalUserId: string,
		servicerUserId: string,
		message: FakeKfMessage,
	): FakeKfPulled {
		return this.kf.kfServicerSends(openKfId, externalUserId, servicerUserId, message);
	}

	setKfSessionState(openKfId: string, externalUserId: string, state: number, servicerUserId?: string): void {
		this.kf.setKfSessionState(openKfId, externalUserId, state, servicerUserId);
	}

	kfSessionState(openKfId: string, externalUserId: string): FakeKfSessionState {
		return this.kf.kfSessionState(openKfId, externalUserId);
	}

	kfCallbackToken(openKfId: string): string {
		return this.kf.kfCallbackToken(openKfId);
	}

	setKfSyncPaging(paging: FakeKfPaging): void {
		this.kf.setKfSyncPaging(paging);
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
		this.kf.reset();
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
// 微信客服 (WeChat Customer Service, "kf") [doc 94670 接收消息和事件, 94677 发送消息, 95122 发送欢迎语等事件响应
// 消息, 94669 分配客服会话, 94661 获取客服账号列表, 94645 获取接待人员列表, 95159 获取客户基础信息]; mirror
// funcodingdev/n8n-nodes-wecom @ f6ba5db `docs/001-企业内部开发/002-服务端API/016-微信客服/…`; note §3.
//
// Behaviour the docs leave open, and what the fake does (each also said where it happens):
// - a msgid already used on the same kf account: doc 94677 only says msgid must be unique per account
//   ("不多于32字节… 如果请求参数指定了msgid，则原样返回"); wxkefu-rs's examples (examples/send_text.rs) say "the
//   API will return an error" without a code. No errcode was found in the docs, issues or SDKs searched, so
//   the fake answers 40058 不合法的参数 (the generic code of doc 90313) and sends nothing.
// - an unknown, used or expired code in send_msg_on_event: no errcode found either; 40058 likewise.
// - sync_msg without open_kfid: 40058 with WeCom's errmsg "field open_kfid unexpected empty string. invalid
//   Request Parameter" (silenceper/wechat PR #672 saw this errmsg for `""`; 40058 is the code whose errmsg is
//   "invalid Request Parameter"). An unknown cursor: 40058 as well (no code documented).
// - the state transitions that service_state/trans allows. The doc's table (94669) says: 0 → 1 (API
//   replies), 2 (queue), 3 (servicer); 1 → 2, 3; 2 → 3; 3 → 3 (another servicer), 4 (end); 4 → nothing
//   via the API. Ending (→ 4) from 0, 1 and 2 is taken from the same page's "主动结束会话前（包括…企业通过API
//   结束会话）" and its flow chart (an image). Anything else: 95016 不允许这种状态转移.

/** A kf account [doc 94661]. */
export interface FakeKfAccount {
	open_kfid: string;
	name: string;
	avatar?: string;
	/** Whether this app may manage the account ("通过API管理"); default true. */
	manage_privilege?: boolean;
}

/** An entry of servicer/list [doc 94645]: a member (status 0 接待中 / 1 停止接待) or a department. */
export type FakeKfServicer =
	| { userid: string; status?: 0 | 1; stop_type?: 0 | 1 }
	| { department_id: number };

/** A WeChat customer as customer/batchget returns it [doc 95159]. */
export interface FakeKfCustomer {
	external_userid: string;
	nickname?: string;
	avatar?: string;
	/** 0 unknown, 1 male, 2 female. */
	gender?: number;
	unionid?: string;
}

/** A message as a customer (origin 3) or a servicer (origin 5) sends it: `{ msgtype, <msgtype>: {...} }`. */
export type FakeKfMessage = { msgtype: string } & JsonObject;

/** Events the tests can play (origin 4) [doc 94670 事件消息]. */
export type FakeKfEvent =
	| {
			event_type: 'enter_session';
			scene?: string;
			scene_param?: string;
			wechat_channels?: JsonObject;
			/** Force (true) or suppress (false) the welcome_code; default: the doc's rule. */
			welcome?: boolean;
	  }
	| {
			/** 1 从接待池接入, 2 转接, 3 结束, 4 重新接入已结束/已转接会话. */
			event_type: 'session_status_change';
			change_type: 1 | 2 | 3 | 4;
			old_servicer_userid?: string;
			new_servicer_userid?: string;
	  }
	| { event_type: 'msg_send_fail'; fail_msgid: string; fail_type: number }
	| {
			event_type:
				| 'servicer_status_change'
				| 'user_recall_msg'
				| 'servicer_recall_msg'
				| 'reject_customer_msg_switch_change';
			[key: string]: unknown;
	  };

export interface FakeKfPulled {
	msgid: string;
	/** A fresh callback Token for kf/sync_msg, valid 10 minutes on the fake's clock. */
	token: string;
	/** welcome_code (enter_session) or msg_code (session_status_change 1 and 3), when issued. */
	code?: string;
}

/** A message sent through kf/send_msg or kf/send_msg_on_event, as WeCom keeps it. */
export interface FakeKfSentMessage {
	msgid: string;
	via: 'send_msg' | 'send_msg_on_event';
	open_kfid: string;
	external_userid: string;
	msgtype: string;
	/** The request body with over-long fields already truncated. */
	body: JsonObject;
	/** text.content after truncation. */
	content?: string;
	truncated: boolean;
	/** send_msg_on_event: the code used and what it was for. */
	code?: string;
	codeKind?: FakeKfCodeKind;
	time: number;
}

export type FakeKfCodeKind = 'welcome' | 'queue' | 'accept' | 'closing';

export interface FakeKfSessionState {
	service_state: number;
	servicer_userid?: string;
}

export interface FakeKfPaging {
	/** At most this many messages a page (below the request's limit); default no cap below the limit. */
	pageSize?: number;
	/** The next this-many sync_msg calls answer has_more 1 with an empty msg_list ("可能会出现has_more为1，而
	 * msg_list为空的情况" [doc 94670]); the position does not move. */
	emptyPagesWithHasMore?: number;
}

export interface FakeKfOptions {
	/** Default one account: { open_kfid: 'wkFAKEKF0001', name: '客服小助手' }. */
	kfAccounts?: FakeKfAccount[];
	/** Servicers per open_kfid; default: 'zhangsan' (接待中) on the default account. */
	kfServicers?: Record<string, FakeKfServicer[]>;
	/** Customers known from the start; a customer who sends is added anyway. */
	kfCustomers?: FakeKfCustomer[];
}

export interface FakeKfApi {
	readonly kfAccounts: readonly FakeKfAccount[];
	/** Messages sent through send_msg and send_msg_on_event, in order. */
	readonly kfSent: FakeKfSentMessage[];
	addKfAccount(account: FakeKfAccount): void;
	/** Adds (or replaces, by userid) a servicer of the account. */
	addKfServicer(open_kfid: string, servicer: FakeKfServicer): void;
	setKfServicerStatus(open_kfid: string, userid: string, status: 0 | 1): void;
	addKfCustomer(customer: FakeKfCustomer): void;
	/** The customer writes (origin 3): a new session if there was none or it had ended (state 4 → 0), and the
	 * 48-hour window and the 5-message quota start again [doc 94677]. */
	kfCustomerSends(open_kfid: string, external_userid: string, message: FakeKfMessage): FakeKfPulled;
	/** A system event (origin 4); applies its state change and issues codes as the doc says. */
	kfEvent(open_kfid: string, external_userid: string, event: FakeKfEvent): FakeKfPulled;
	/** A servicer writes from the WeCom client (origin 5). */
	kfServicerSends(
		open_kfid: string,
		external_userid: string,
		servicer_userid: string,
		message: FakeKfMessage,
	): FakeKfPulled;
	/** Sets the state directly (no codes, no checks), e.g. to put a session with a human. */
	setKfSessionState(open_kfid: string, external_userid: string, state: number, servicer_userid?: string): void;
	kfSessionState(open_kfid: string, external_userid: string): FakeKfSessionState;
	/** A fresh callback Token for the account, as a kf_msg_or_event callback would carry. */
	kfCallbackToken(open_kfid: string): string;
	setKfSyncPaging(paging: FakeKfPaging): void;
}

const KF_DEFAULT_ACCOUNT: FakeKfAccount = { open_kfid: 'wkFAKEKF0001', name: '客服小助手' };
const KF_DEFAULT_SERVICERS: Record<string, FakeKfServicer[]> = {
	[KF_DEFAULT_ACCOUNT.open_kfid]: [{ userid: 'zhangsan', status: 0 }],
};
const SECOND = 1000;
const DAY = 24 * HOUR;
/** Callback Token: "10分钟内有效" [doc 94670]. */
const KF_TOKEN_TTL = 10 * MINUTE;
/** sync_msg returns "3天内" messages [doc 94670]. */
const KF_HISTORY = 3 * DAY;
/** "仅当微信客户在主动发送消息给客服后的48小时内，企业可发送消息给客户，最多可发送5条消息；若用户继续发送消息，企业
 * 可再次下发消息" [doc 94677]. */
const KF_REPLY_WINDOW = 48 * HOUR;
const KF_REPLY_QUOTA = 5;
/** "limit 期望请求的数据量，默认值和最大值都为1000" [doc 94670]. */
const KF_SYNC_MAX = 1000;
/** send_msg_on_event code validity [doc 95122]: welcome and closing 20 s, the others 48 h. */
const KF_CODE_TTL: Record<FakeKfCodeKind, number> = {
	welcome: 20 * SECOND,
	closing: 20 * SECOND,
	queue: 48 * HOUR,
	accept: 48 * HOUR,
};
/** Message types each code allows [doc 95122]: 文本、菜单 for welcome and closing, 文本 otherwise. */
const KF_CODE_TYPES: Record<FakeKfCodeKind, readonly string[]> = {
	welcome: ['text', 'msgmenu'],
	closing: ['text', 'msgmenu'],
	queue: ['text'],
	accept: ['text'],
};
/** msgid: "不多于32字节，字符串取值范围(正则表达式)：[0-9a-zA-Z_-]*" [doc 94677, 95122]. */
const KF_MSGID = /^[0-9a-zA-Z_-]{1,32}$/;
/** msgmenu: list "不超过50个" of which click/view/miniprogram "不超过10个" [doc 94677]; send_msg_on_event
 * "不超过10个" items at all [doc 95122]. */
const KF_MENU_MAX_ITEMS = 50;
const KF_MENU_MAX_LINKS = 10;
const KF_EVENT_MENU_MAX_ITEMS = 10;
/** See the note above this section on the transitions the doc allows. */
const KF_TRANSITIONS: Record<number, readonly number[]> = {
	0: [1, 2, 3, 4],
	1: [2, 3, 4],
	2: [3, 4],
	3: [3, 4],
	4: [],
};
const KF_SEND_TYPES = new Set([
	'text',
	'image',
	'voice',
	'video',
	'file',
	'link',
	'miniprogram',
	'msgmenu',
	'location',
	'ca_link',
]);

interface KfSession {
	state: number;
	servicer_userid?: string;
	/** Time of the customer's last message (origin 3); undefined = never wrote. */
	lastCustomerMessageAt?: number;
	/** Messages sent through send_msg since that message. */
	sentSinceCustomer: number;
	/** Last customer activity (a message or entering the session): customer/batchget's 48-hour rule. */
	lastActiveAt?: number;
	lastWelcomeAt?: number;
	/** States 2 and 3 already reached in this session (msg_code comes "初次变更为…2和3时" only). */
	reached: Set<number>;
	enterContext?: JsonObject;
}

interface KfStoredMessage {
	seq: number;
	open_kfid: string;
	time: number;
	item: JsonObject;
}

interface KfCode {
	kind: FakeKfCodeKind;
	open_kfid: string;
	external_userid: string;
	expiresAt: number;
	/** The state the session must still be in (all but welcome) [doc 95122]. */
	state?: number;
	used: boolean;
}

/** The kf part of the fake: state and handlers; FakeWeComServer routes /cgi-bin/kf/* here. */
class FakeKf implements FakeKfApi {
	readonly kfAccounts: FakeKfAccount[] = [];
	readonly kfSent: FakeKfSentMessage[] = [];
	private readonly servicers = new Map<string, FakeKfServicer[]>();
	private readonly customers = new Map<string, FakeKfCustomer>();
	private readonly sessions = new Map<string, KfSession>();
	private readonly messages: KfStoredMessage[] = [];
	private readonly tokens = new Map<string, { open_kfid: string; expiresAt: number }>();
	private readonly cursorByPosition = new Map<string, string>();
	private readonly positionByCursor = new Map<string, { open_kfid: string; seq: number }>();
	private readonly codes = new Map<string, KfCode>();
	/** msgids used per account, by send_msg and send_msg_on_event. */
	private readonly usedMsgids = new Map<string, Set<string>>();
	private paging: FakeKfPaging = {};
	private seq = 0;

	constructor(
		private readonly options: FakeKfOptions,
		private readonly now: () => number,
		private readonly isLiveMedia: (mediaId: string) => boolean,
	) {
		this.reset();
	}

	reset(): void {
		this.kfAccounts.length = 0;
		this.kfAccounts.push(...(this.options.kfAccounts ?? [KF_DEFAULT_ACCOUNT]).map((a) => ({ ...a })));
		this.kfSent.length = 0;
		this.messages.length = 0;
		for (const map of [
			this.servicers,
			this.customers,
			this.sessions,
			this.tokens,
			this.cursorByPosition,
			this.positionByCursor,
			this.codes,
			this.usedMsgids,
		]) {
			map.clear();
		}
		const servicers = this.options.kfServicers ?? (this.options.kfAccounts ? {} : KF_DEFAULT_SERVICERS);
		for (const [openKfId, list] of Object.entries(servicers)) {
			this.servicers.set(openKfId, list.map((servicer) => ({ ...servicer })));
		}
		for (const customer of this.options.kfCustomers ?? [])
			this.customers.set(customer.external_userid, { ...customer });
		this.paging = {};
		this.seq = 0;
	}

	// --- test-side API ------------------------------------------------------------------------------

	addKfAccount(account: FakeKfAccount): void {
		this.kfAccounts.push({ ...account });
	}

	addKfServicer(openKfId: string, servicer: FakeKfServicer): void {
		const list = (this.servicers.get(openKfId) ?? []).filter(
			(entry) => !('userid' in servicer && 'userid' in entry && entry.userid === servicer.userid),
		);
		list.push({ ...servicer });
		this.servicers.set(openKfId, list);
	}

	setKfServicerStatus(openKfId: string, userid: string, status: 0 | 1): void {
		const servicer = this.servicer(openKfId, userid);
		if (!servicer) throw new Error(`fake kf: ${userid} is not a servicer of ${openKfId}`);
		servicer.status = status;
	}

	addKfCustomer(customer: FakeKfCustomer): void {
		this.customers.set(customer.external_userid, { ...customer });
	}

	kfCustomerSends(openKfId: string, externalUserId: string, message: FakeKfMessage): FakeKfPulled {
		this.requireAccount(openKfId);
		if (!this.customers.has(externalUserId)) {
			this.customers.set(externalUserId, { external_userid: externalUserId, nickname: `客户${this.customers.size + 1}` });
		}
		const session = this.session(openKfId, externalUserId);
		const now = this.now();
		// "客户发消息咨询后会话状态变为“未处理”" [doc 94669]: a new session begins.
		if (session.state === 4) {
			session.state = 0;
			session.servicer_userid = undefined;
			session.reached.clear();
		}
		session.lastCustomerMessageAt = now;
		session.lastActiveAt = now;
		session.sentSinceCustomer = 0;
		const msgid = this.store(openKfId, {
			open_kfid: openKfId,
			external_userid: externalUserId,
			origin: 3,
			...structuredClone(message),
		});
		return { msgid, token: this.kfCallbackToken(openKfId) };
	}

	kfServicerSends(
		openKfId: string,
		externalUserId: string,
		servicerUserId: string,
		message: FakeKfMessage,
	): FakeKfPulled {
		this.requireAccount(openKfId);
		const msgid = this.store(openKfId, {
			open_kfid: openKfId,
			external_userid: externalUserId,
			origin: 5,
			servicer_userid: servicerUserId,
			...structuredClone(message),
		});
		return { msgid, token: this.kfCallbackToken(openKfId) };
	}

	kfEvent(openKfId: string, externalUserId: string, input: FakeKfEvent): FakeKfPulled {
		this.requireAccount(openKfId);
		const session = this.session(openKfId, externalUserId);
		const now = this.now();
		// open_kfid and external_userid of an event are inside `event` only [doc 94670].
		const event: JsonObject = { event_type: input.event_type, open_kfid: openKfId, external_userid: externalUserId };
		let code: string | undefined;
		switch (input.event_type) {
			case 'enter_session': {
				const { welcome, ...fields } = input;
				if (fields.scene !== undefined) event.scene = fields.scene;
				if (fields.scene_param !== undefined) event.scene_param = fields.scene_param;
				if (fields.wechat_channels !== undefined) event.wechat_channels = fields.wechat_channels;
				session.enterContext = withoutUndefined({
					scene: fields.scene,
					scene_param: fields.scene_param,
					wechat_channels: fields.wechat_channels,
				});
				session.lastActiveAt = now;
				// welcome_code only if the customer "在过去48小时里未收过欢迎语，且未向客服发过消息" [doc 95122].
				const recent = (time: number | undefined) => time !== undefined && now - time < KF_REPLY_WINDOW;
				const eligible = !recent(session.lastWelcomeAt) && !recent(session.lastCustomerMessageAt);
				if (welcome ?? eligible) {
					code = this.issueCode('welcome', openKfId, externalUserId);
					event.welcome_code = code;
				}
				break;
			}
			case 'session_status_change': {
				event.change_type = input.change_type;
				if (input.old_servicer_userid) event.old_servicer_userid = input.old_servicer_userid;
				if (input.new_servicer_userid) event.new_servicer_userid = input.new_servicer_userid;
				if (input.change_type === 3) {
					session.state = 4;
					session.servicer_userid = undefined;
				} else {
					session.state = 3;
					session.servicer_userid = input.new_servicer_userid ?? session.servicer_userid;
					session.reached.add(3);
				}
				// msg_code for 1 (从接待池接入) and 3 (结束会话) [doc 94670]; valid in the state it was issued in.
				if (input.change_type === 1 || input.change_type === 3) {
					code = this.issueCode(input.change_type === 1 ? 'accept' : 'closing', openKfId, externalUserId);
					event.msg_code = code;
				}
				break;
			}
			default: {
				const { event_type: _type, ...fields } = input;
				Object.assign(event, fields);
			}
		}
		const msgid = this.store(openKfId, { origin: 4, msgtype: 'event', event });
		return { msgid, token: this.kfCallbackToken(openKfId), ...(code === undefined ? {} : { code }) };
	}

	setKfSessionState(openKfId: string, externalUserId: string, state: number, servicerUserId?: string): void {
		const session = this.session(openKfId, externalUserId);
		session.state = state;
		session.servicer_userid = state === 3 ? servicerUserId : undefined;
	}

	kfSessionState(openKfId: string, externalUserId: string): FakeKfSessionState {
		const session = this.sessions.get(sessionKey(openKfId, externalUserId));
		if (!session) return { service_state: 4 };
		return session.state === 3
			? { service_state: 3, servicer_userid: session.servicer_userid }
			: { service_state: session.state };
	}

	kfCallbackToken(openKfId: string): string {
		const token = `ENC${randomBytes(33).toString('base64url')}`;
		this.tokens.set(token, { open_kfid: openKfId, expiresAt: this.now() + KF_TOKEN_TTL });
		return token;
	}

	setKfSyncPaging(paging: FakeKfPaging): void {
		this.paging = { ...this.paging, ...paging };
	}

	// --- APIs ---------------------------------------------------------------------------------------

	/** POST /cgi-bin/kf/sync_msg [doc 94670]. */
	syncMsg({ body }: RequestContext): Answer {
		const openKfId = body.open_kfid;
		// open_kfid is required (是) in the current doc; see the note above this section for the errcode.
		if (typeof openKfId !== 'string' || openKfId === '')
			return { errcode: 40058, errmsg: 'field open_kfid unexpected empty string. invalid Request Parameter' };
		if (!this.account(openKfId)) return { errcode: 95004 };
		if (body.token !== undefined && body.token !== '') {
			const token = this.tokens.get(String(body.token));
			// 95007 不合法的msgtoken: unknown, expired (10 minutes) or another account's token.
			if (!token || this.now() >= token.expiresAt || token.open_kfid !== openKfId) return { errcode: 95007 };
		}
		let after = -1;
		if (body.cursor !== undefined && body.cursor !== '') {
			const position = this.positionByCursor.get(String(body.cursor));
			if (!position || position.open_kfid !== openKfId) return { errcode: 40058, errmsg: 'invalid cursor' };
			after = position.seq;
		}
		const requested = Number(body.limit ?? KF_SYNC_MAX);
		// Default and maximum 1000; a larger or non-positive limit is read as the maximum (not documented).
		let limit = Number.isInteger(requested) && requested > 0 ? Math.min(requested, KF_SYNC_MAX) : KF_SYNC_MAX;
		if (this.paging.pageSize !== undefined) limit = Math.min(limit, this.paging.pageSize);

		if ((this.paging.emptyPagesWithHasMore ?? 0) > 0) {
			this.paging.emptyPagesWithHasMore = (this.paging.emptyPagesWithHasMore ?? 0) - 1;
			return { errcode: 0, next_cursor: this.cursorAt(openKfId, after), has_more: 1, msg_list: [] };
		}
		const oldest = this.now() - KF_HISTORY;
		const pending = this.messages.filter(
			(message) => message.open_kfid === openKfId && message.seq > after && message.time >= oldest,
		);
		const page = pending.slice(0, limit);
		const last = page.length > 0 ? page[page.length - 1].seq : after;
		return {
			errcode: 0,
			next_cursor: this.cursorAt(openKfId, last),
			has_more: pending.length > page.length ? 1 : 0,
			msg_list: page.map((message) => structuredClone(message.item)),
		};
	}

	/** POST /cgi-bin/kf/send_msg [doc 94677]. */
	sendMsg({ body }: RequestContext): Answer {
		const openKfId = body.open_kfid;
		if (typeof openKfId !== 'string' || openKfId === '') return { errcode: 95000 };
		if (!this.account(openKfId)) return { errcode: 95004 };
		const touser = body.touser;
		if (typeof touser !== 'string' || touser === '')
			return { errcode: 40058, errmsg: 'field touser unexpected empty string. invalid Request Parameter' };
		const msgidError = this.checkMsgid(openKfId, body.msgid);
		if (msgidError) return msgidError;
		const msgtype = body.msgtype;
		if (typeof msgtype !== 'string' || !KF_SEND_TYPES.has(msgtype)) return { errcode: 40008 };
		const checked = checkKfBody(msgtype, body, KF_MENU_MAX_ITEMS, (id) => this.isLiveMedia(id));
		if ('errcode' in checked) return checked;

		const session = this.sessions.get(sessionKey(openKfId, touser));
		// Only "新接入待处理" (0) and "由智能助手接待" (1) may be sent to [doc 94677]; no session = 4.
		if (!session || (session.state !== 0 && session.state !== 1)) return { errcode: 95018 };
		const now = this.now();
		// 95002 发送客服消息时间限制: "仅当微信客户在主动发送消息给客服后的48小时内，企业可发送消息给客户" [doc 94677].
		// The session keeps its state here past 48 h, so a client meets 95002 rather than 95018 (WeCom's
		// sessions also last "在48h内，或主动结束会话前" [doc 94669]; which code it gives then is not documented).
		if (session.lastCustomerMessageAt === undefined || now - session.lastCustomerMessageAt >= KF_REPLY_WINDOW)
			return { errcode: 95002 };
		// 95001 发送客服消息次数限制: "最多可发送5条消息；若用户继续发送消息，企业可再次下发消息".
		if (session.sentSinceCustomer >= KF_REPLY_QUOTA) return { errcode: 95001 };

		session.sentSinceCustomer += 1;
		const msgid = this.useMsgid(openKfId, body.msgid);
		this.kfSent.push({
			msgid,
			via: 'send_msg',
			open_kfid: openKfId,
			external_userid: touser,
			msgtype,
			body: checked.body,
			...(checked.content === undefined ? {} : { content: checked.content }),
			truncated: checked.truncated,
			time: now,
		});
		return { errcode: 0, msgid };
	}

	/** POST /cgi-bin/kf/send_msg_on_event [doc 95122]. */
	sendMsgOnEvent({ body }: RequestContext): Answer {
		const codeValue = typeof body.code === 'string' ? body.code : '';
		const code = this.codes.get(codeValue);
		// "仅可使用一次"; welcome and closing codes last 20 s, the others 48 h. Unknown, used or expired: 40058
		// (see the note above this section).
		if (!code || code.used || this.now() >= code.expiresAt)
			return { errcode: 40058, errmsg: 'invalid code, hint: code is expired or has been used' };
		const msgidError = this.checkMsgid(code.open_kfid, body.msgid);
		if (msgidError) return msgidError;
		const msgtype = body.msgtype;
		if (typeof msgtype !== 'string' || !KF_CODE_TYPES[code.kind].includes(msgtype)) return { errcode: 40008 };
		const checked = checkKfBody(msgtype, body, KF_EVENT_MENU_MAX_ITEMS, (id) => this.isLiveMedia(id));
		if ('errcode' in checked) return checked;
		// "除“用户进入会话事件”以外，响应消息仅支持会话处于获取该code的会话状态时发送" [doc 95122].
		const session = this.session(code.open_kfid, code.external_userid);
		if (code.state !== undefined && session.state !== code.state) return { errcode: 95018 };

		code.used = true;
		if (code.kind === 'welcome') session.lastWelcomeAt = this.now();
		const msgid = this.useMsgid(code.open_kfid, body.msgid);
		this.kfSent.push({
			msgid,
			via: 'send_msg_on_event',
			open_kfid: code.open_kfid,
			external_userid: code.external_userid,
			msgtype,
			body: checked.body,
			...(checked.content === undefined ? {} : { content: checked.content }),
			truncated: checked.truncated,
			code: codeValue,
			codeKind: code.kind,
			time: this.now(),
		});
		return { errcode: 0, msgid };
	}

	/** POST /cgi-bin/kf/service_state/get [doc 94669]. */
	serviceStateGet({ body }: RequestContext): Answer {
		const checked = this.sessionParams(body);
		if ('errcode' in checked) return checked;
		return { errcode: 0, ...this.kfSessionState(checked.openKfId, checked.externalUserId) };
	}

	/** POST /cgi-bin/kf/service_state/trans [doc 94669]. */
	serviceStateTrans({ body }: RequestContext): Answer {
		const checked = this.sessionParams(body);
		if ('errcode' in checked) return checked;
		const { openKfId, externalUserId } = checked;
		const target = Number(body.service_state);
		if (!Number.isInteger(target) || target < 0 || target > 4) return { errcode: 40058 };
		const session = this.sessions.get(sessionKey(openKfId, externalUserId));
		const current = session?.state ?? 4;
		if (!KF_TRANSITIONS[current].includes(target)) return { errcode: 95016 };
		let servicerUserId: string | undefined;
		if (target === 3) {
			// "当state=3时要求必填，接待人员须处于“正在接待”中…必须在企业微信激活使用，否则会返回95014".
			if (typeof body.servicer_userid !== 'string' || body.servicer_userid === '')
				return { errcode: 40058, errmsg: 'field servicer_userid unexpected empty string. invalid Request Parameter' };
			const servicer = this.servicer(openKfId, body.servicer_userid);
			if (!servicer) return { errcode: 95014 };
			// 95019 接待人员已停止接待或暂时挂起.
			if (servicer.status === 1) return { errcode: 95019 };
			servicerUserId = body.servicer_userid;
		}
		const active = session ?? this.session(openKfId, externalUserId);
		active.state = target;
		active.servicer_userid = servicerUserId;
		// msg_code: "将会话初次变更为service_state为2和3时，返回回复语code，service_state为4时，返回结束语code".
		let msgCode: string | undefined;
		if (target === 4) {
			msgCode = this.issueCode('closing', openKfId, externalUserId);
		} else if ((target === 2 || target === 3) && !active.reached.has(target)) {
			msgCode = this.issueCode(target === 2 ? 'queue' : 'accept', openKfId, externalUserId);
		}
		if (target === 2 || target === 3) active.reached.add(target);
		if (target === 4) active.reached.clear();
		return { errcode: 0, ...(msgCode === undefined ? {} : { msg_code: msgCode }) };
	}

	/** POST /cgi-bin/kf/account/list [doc 94661]: offset, limit 1–100 (default 100). */
	accountList({ body }: RequestContext): Answer {
		const offset = body.offset === undefined ? 0 : Number(body.offset);
		const limit = body.limit === undefined ? 100 : Number(body.limit);
		if (!Number.isInteger(offset) || offset < 0 || !Number.isInteger(limit) || limit < 1 || limit > 100)
			return { errcode: 40058 };
		return {
			errcode: 0,
			account_list: this.kfAccounts.slice(offset, offset + limit).map((account) => ({
				open_kfid: account.open_kfid,
				name: account.name,
				avatar: account.avatar ?? `https://wework.qpic.cn/wwhead/${account.open_kfid}/0`,
				manage_privilege: account.manage_privilege ?? true,
			})),
		};
	}

	/** GET /cgi-bin/kf/servicer/list?open_kfid= [doc 94645]. */
	servicerList({ query }: RequestContext): Answer {
		if (!query.open_kfid) return { errcode: 95000 };
		if (!this.account(query.open_kfid)) return { errcode: 95004 };
		return {
			errcode: 0,
			servicer_list: (this.servicers.get(query.open_kfid) ?? []).map((servicer) =>
				'userid' in servicer
					? {
							userid: servicer.userid,
							status: servicer.status ?? 0,
							...(servicer.status === 1 ? { stop_type: servicer.stop_type ?? 0 } : {}),
						}
					: { department_id: servicer.department_id },
			),
		};
	}

	/** POST /cgi-bin/kf/customer/batchget [doc 95159]: only customers active within 48 hours. */
	customerBatchget({ body }: RequestContext): Answer {
		const ids = Array.isArray(body.external_userid_list) ? body.external_userid_list.map(String) : [];
		// "external_userid_list … 可填充个数：1 ~ 100"; outside that: 40058.
		if (ids.length < 1 || ids.length > 100) return { errcode: 40058 };
		const withContext = Number(body.need_enter_session_context) === 1;
		const now = this.now();
		const customerList: JsonObject[] = [];
		const invalid: string[] = [];
		for (const id of ids) {
			const customer = this.customers.get(id);
			const sessions = [...this.sessions.entries()].filter(([key]) => key.endsWith(`\n${id}`)).map(([, s]) => s);
			const active = sessions.some((s) => s.lastActiveAt !== undefined && now - s.lastActiveAt < KF_REPLY_WINDOW);
			if (!customer || !active) {
				invalid.push(id);
				continue;
			}
			const latest = sessions
				.filter((s) => s.enterContext)
				.sort((a, b) => (b.lastActiveAt ?? 0) - (a.lastActiveAt ?? 0))[0];
			customerList.push({
				external_userid: id,
				nickname: customer.nickname ?? '',
				avatar: customer.avatar ?? '',
				gender: customer.gender ?? 0,
				unionid: customer.unionid ?? '',
				...(withContext ? { enter_session_context: latest?.enterContext ?? {} } : {}),
			});
		}
		return { errcode: 0, customer_list: customerList, invalid_external_userid: invalid };
	}

	// --- helpers ------------------------------------------------------------------------------------

	private account(openKfId: string): FakeKfAccount | undefined {
		return this.kfAccounts.find((account) => account.open_kfid === openKfId);
	}

	private requireAccount(openKfId: string): void {
		if (!this.account(openKfId)) throw new Error(`fake kf: no account ${openKfId}`);
	}

	private servicer(openKfId: string, userid: string): { userid: string; status?: 0 | 1 } | undefined {
		for (const servicer of this.servicers.get(openKfId) ?? [])
			if ('userid' in servicer && servicer.userid === userid) return servicer;
		return undefined;
	}

	private session(openKfId: string, externalUserId: string): KfSession {
		const key = sessionKey(openKfId, externalUserId);
		let session = this.sessions.get(key);
		if (!session) {
			session = { state: 4, sentSinceCustomer: 0, reached: new Set() };
			this.sessions.set(key, session);
		}
		return session;
	}

	private sessionParams(body: JsonObject): { openKfId: string; externalUserId: string } | Answer {
		if (typeof body.open_kfid !== 'string' || body.open_kfid === '') return { errcode: 95000 };
		if (!this.account(body.open_kfid)) return { errcode: 95004 };
		if (typeof body.external_userid !== 'string' || body.external_userid === '')
			return { errcode: 40058, errmsg: 'field external_userid unexpected empty string. invalid Request Parameter' };
		return { openKfId: body.open_kfid, externalUserId: body.external_userid };
	}

	private store(openKfId: string, fields: JsonObject): string {
		const msgid = randomBytes(16).toString('hex').toUpperCase();
		const time = this.now();
		this.seq += 1;
		// Field order as in the doc's sample: msgid, open_kfid, external_userid, send_time, origin, …
		const { open_kfid, external_userid, ...rest } = fields;
		const item = withoutUndefined({
			msgid,
			open_kfid,
			external_userid,
			send_time: Math.floor(time / 1000),
			...rest,
		});
		this.messages.push({ seq: this.seq, open_kfid: openKfId, time, item });
		return msgid;
	}

	private cursorAt(openKfId: string, seq: number): string {
		const key = `${openKfId}\n${seq}`;
		let cursor = this.cursorByPosition.get(key);
		if (!cursor) {
			cursor = randomBytes(12).toString('base64url');
			this.cursorByPosition.set(key, cursor);
			this.positionByCursor.set(cursor, { open_kfid: openKfId, seq });
		}
		return cursor;
	}

	private issueCode(kind: FakeKfCodeKind, openKfId: string, externalUserId: string): string {
		const code = randomBytes(24).toString('base64url');
		const state = kind === 'welcome' ? undefined : { queue: 2, accept: 3, closing: 4 }[kind];
		this.codes.set(code, {
			kind,
			open_kfid: openKfId,
			external_userid: externalUserId,
			expiresAt: this.now() + KF_CODE_TTL[kind],
			...(state === undefined ? {} : { state }),
			used: false,
		});
		return code;
	}

	/** msgid: optional, ≤32 bytes of [0-9a-zA-Z_-], unique per kf account (see the note on duplicates). */
	private checkMsgid(openKfId: string, msgid: unknown): Answer | undefined {
		if (msgid === undefined || msgid === '') return undefined;
		if (typeof msgid !== 'string' || !KF_MSGID.test(msgid))
			return { errcode: 40058, errmsg: 'invalid msgid. invalid Request Parameter' };
		if (this.usedMsgids.get(openKfId)?.has(msgid))
			return { errcode: 40058, errmsg: 'msgid duplicated. invalid Request Parameter' };
		return undefined;
	}

	/** The msgid given ("原样返回") or a generated one, remembered for the duplicate check. */
	private useMsgid(openKfId: string, given: unknown): string {
		const msgid = typeof given === 'string' && given !== '' ? given : randomBytes(16).toString('hex');
		const used = this.usedMsgids.get(openKfId) ?? new Set<string>();
		used.add(msgid);
		this.usedMsgids.set(openKfId, used);
		return msgid;
	}
}

function sessionKey(openKfId: string, externalUserId: string): string {
	return `${openKfId}\n${externalUserId}`;
}

type KfBodyCheck = { errcode: number; errmsg?: string } | { body: JsonObject; content?: string; truncated: boolean };

/**
 * The msgtype part of a kf/send_msg or send_msg_on_event body [doc 94677, 95122]: required fields, media
 * issued by media/upload, WeCom's truncation of over-long text, and the menu limits (95008 菜单项个数超过上限,
 * 95009 不合法的菜单项类型).
 */
function checkKfBody(
	msgtype: string,
	original: JsonObject,
	maxMenuItems: number,
	isLiveMedia: (mediaId: string) => boolean,
): KfBodyCheck {
	const body = structuredClone(original);
	const part = isObject(body[msgtype]) ? (body[msgtype] as JsonObject) : {};
	let truncated = false;
	const cut = (obj: JsonObject, key: string, maxBytes: number) => {
		if (typeof obj[key] !== 'string') return;
		const short = truncateUtf8(obj[key] as string, maxBytes);
		if (short !== obj[key]) {
			obj[key] = short;
			truncated = true;
		}
	};
	const media = (mediaId: unknown): KfBodyCheck | undefined => {
		if (typeof mediaId !== 'string' || mediaId === '') return { errcode: 41006 };
		return isLiveMedia(mediaId) ? undefined : { errcode: 40007 };
	};
	const missing = (field: string): KfBodyCheck => ({
		errcode: 40058,
		errmsg: `field ${field} unexpected empty string. invalid Request Parameter`,
	});
	let content: string | undefined;
	switch (msgtype) {
		case 'text': {
			if (!nonEmpty(part.content)) return { errcode: 44004 };
			// "消息内容，最长不超过2048个字节，超过将截断".
			cut(part, 'content', 2048);
			content = part.content as string;
			break;
		}
		case 'image':
		case 'voice':
		case 'video':
		case 'file': {
			const error = media(part.media_id);
			if (error) return error;
			break;
		}
		case 'link': {
			if (!nonEmpty(part.title)) return { errcode: 41016 };
			if (!nonEmpty(part.url)) return { errcode: 41010 };
			const error = media(part.thumb_media_id);
			if (error) return error;
			cut(part, 'title', 128);
			cut(part, 'desc', 512);
			break;
		}
		case 'miniprogram': {
			if (!nonEmpty(part.appid)) return missing('appid');
			if (!nonEmpty(part.pagepath)) return missing('pagepath');
			const error = media(part.thumb_media_id);
			if (error) return error;
			cut(part, 'title', 64);
			break;
		}
		case 'msgmenu': {
			const list = part.list === undefined ? [] : part.list;
			if (!Array.isArray(list)) return { errcode: 95009 };
			if (list.length > maxMenuItems) return { errcode: 95008 };
			let links = 0;
			for (const entry of list) {
				const item: JsonObject = isObject(entry) ? entry : {};
				const type = item.type;
				if (type !== 'click' && type !== 'view' && type !== 'miniprogram' && type !== 'text')
					return { errcode: 95009 };
				const fields: JsonObject = isObject(item[type]) ? (item[type] as JsonObject) : {};
				if (!nonEmpty(fields.content)) return missing(`${type}.content`);
				if (type === 'view' && !nonEmpty(fields.url)) return missing('view.url');
				if (type === 'miniprogram' && (!nonEmpty(fields.appid) || !nonEmpty(fields.pagepath)))
					return missing('miniprogram.appid');
				if (type !== 'text') links += 1;
			}
			if (links > KF_MENU_MAX_LINKS) return { errcode: 95008 };
			break;
		}
	}
	return { body, ...(content === undefined ? {} : { content }), truncated };
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
