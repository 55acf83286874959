// The WeCom server: one loopback host for every API area (as qyapi.weixin.qq.com is one host), the request
// log, the access_token check, WeCom's errmsg wording, and the control API that fails or stalls a path, or
// answers it as the world between a client and WeCom sometimes does (http-faults.ts).
//
// It answers the way WeCom does, so that a client that passes here meets no surprise there:
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
// Doc numbers refer to https://developer.work.weixin.qq.com/document/path/NNNNN.
import { randomBytes } from 'node:crypto';
import type http from 'node:http';

import { parseJsonBody, readBody, requestTarget, sendJson, serveOnLoopback, sleep, type LoopbackServer } from '../loopback';
import { multipartBoundary, parseMultipart, type MultipartPart } from '../multipart';
import { FakeAppMessages, type FakeAppApi, type FakeAppOptions } from './app';
import { FakeAuth, type FakeAuthApi, type FakeAuthOptions } from './auth';
import { FakeDirectory, type FakeDirectoryApi, type FakeDirectoryOptions } from './directory';
import { reachesWeCom, sendHttpFault, type FakeHttpFault } from './http-faults';
import {
	FakeKf,
	type FakeKfApi,
	type FakeKfFaultsApi,
	type FakeKfMessagesApi,
	type FakeKfOptions,
	type FakeKfWorldApi,
} from './kf';
import { FakeMedia, MAX_UPLOAD_BODY_BYTES, type FakeMediaApi } from './media';
import {
	FaultQueue,
	isNoAnswer,
	isObject,
	type Answer,
	type FakeTimes,
	type Reply,
	type RequestContext,
	type Routes,
} from './platform';

export interface FakeWeComOptions extends FakeAuthOptions, FakeAppOptions, FakeKfOptions {
	/** Port on 127.0.0.1; 0 (default) picks a free one. */
	port?: number;
	/** Delay before each request is handled; default 0. */
	latencyMs?: number;
	/** Clock in milliseconds, for tests that move time (token, OAuth code, media, recall windows). */
	now?: () => number;
	/** Called once a request has been answered, dropped or stalled (the local demo prints each one). */
	onRequest?: (record: FakeRequestRecord) => void;
	/** Who reads the directory and what it may see (also settable later with `directory.configure`). */
	directory?: FakeDirectoryOptions;
}

/** Summary of one part of a multipart/form-data body (no file contents). */
export type FakeMultipartPart = Omit<MultipartPart, 'data'>;

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
	/** HTTP status answered: 200 for every known API, 404 for an unknown path, 0 when none was sent, or the
	 * status of an injected HTTP fault. */
	status: number;
	/** errcode answered, when the answer was WeCom JSON (also when it was then cut short by 'truncated'). */
	errcode?: number;
	/** The rude answer sent instead of WeCom's JSON (injectHttpFault). */
	httpFault?: FakeHttpFault;
	/** Why no answer was sent: the connection was destroyed, or the request was left hanging. */
	noAnswer?: 'dropped' | 'stalled';
}

/** The test side of the server itself. */
export interface FakeWeComServerApi {
	/** http://127.0.0.1:port — use as the credential's API base URL. */
	readonly url: string;
	readonly requests: FakeRequestRecord[];
	close(): Promise<void>;
	/** Forget everything (records, tokens, media, codes, injected faults, stalled requests, kf accounts,
	 * sessions and messages); settings back to the options. */
	reset(): void;
	setLatency(ms: number): void;
	/**
	 * The next `times` calls to `pathname` (e.g. '/cgi-bin/message/send') answer this errcode before anything
	 * else is checked, after the errors already queued for it; 'always' until cleared; `times` 0 clears.
	 */
	injectError(pathname: string, errcode: number, errmsg?: string, times?: FakeTimes): void;
	/**
	 * The next `times` calls to `pathname` are read and logged, then never answered (the connection stays
	 * open until the client gives up, reset() or close()): for transport timeouts. 'always' until cleared;
	 * `times` 0 clears.
	 */
	stall(pathname: string, times?: FakeTimes): void;
	/**
	 * The next `times` calls to `pathname` get `fault` instead of WeCom's JSON (a gateway's 5xx, a proxy's HTML
	 * page, an answer cut short, `{}`: see FakeHttpFault), after the faults already queued for it. Checked
	 * after stall() and before injectError; only 'truncated' lets WeCom carry the call out. 'always' until
	 * cleared; `times` 0 clears.
	 */
	injectHttpFault(pathname: string, fault: FakeHttpFault, times?: FakeTimes): void;
	/** Resolves once `predicate` holds (checked after every request); rejects after `timeoutMs`. */
	waitFor(predicate: (api: FakeWeComApi) => boolean, timeoutMs?: number): Promise<void>;
}

export interface FakeWeComApi extends FakeWeComServerApi, FakeAuthApi, FakeAppApi, FakeMediaApi, FakeKfApi {
	/** The directory (通讯录): its data, who reads it, and the calls it got. */
	readonly directory: FakeDirectoryApi;
}

export async function startFakeWeComApi(options: FakeWeComOptions = {}): Promise<FakeWeComApi> {
	const server = new FakeWeComServer(options);
	await server.listen(options.port ?? 0);
	return server.api();
}

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
	41009: 'missing userid',
	45009: 'api freq out of limit',
	45033: 'api concurrent out of limit',
	48002: 'api forbidden',
	48009: 'api forbidden for contact sync new ip',
	50100: 'invalid cursor',
	60003: 'department not found',
	60011: 'no privilege to access/modify contact/party/agent',
	60030: 'not in app visible range',
	60111: 'userid not found',
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
/** The errmsg WeCom gives for an untrusted IP, used when injectError(…, 60020) names none. */
const ERRMSG_60020 =
	'not allow to access from your ip, hint: [1700000000_1_abc], from ip: 203.0.113.7, more info at https://open.work.weixin.qq.com/devtool/query?e=60020';

interface Waiter {
	check(): void;
	fail(error: Error): void;
}

class FakeWeComServer implements FakeWeComServerApi {
	readonly requests: FakeRequestRecord[] = [];
	readonly auth: FakeAuth;
	readonly media: FakeMedia;
	readonly app: FakeAppMessages;
	readonly kf: FakeKf;
	readonly directory: FakeDirectory;
	private readonly routes: Routes;
	private readonly now: () => number;
	private loopback: LoopbackServer | undefined;
	private latencyMs: number;
	private readonly injected = new FaultQueue<Answer>();
	private readonly stalls = new FaultQueue<true>();
	private readonly httpFaults = new FaultQueue<FakeHttpFault>();
	/** Requests left hanging by stall: ended by reset() and close(). */
	private readonly stalled = new Set<http.ServerResponse>();
	private readonly waiters = new Set<Waiter>();
	private hintCounter = 0;
	/** What api() handed out: waitFor's predicates get it. */
	private publicApi: FakeWeComApi | undefined;

	constructor(private readonly options: FakeWeComOptions) {
		this.now = options.now ?? Date.now;
		this.latencyMs = options.latencyMs ?? 0;
		this.auth = new FakeAuth(options, this.now);
		this.media = new FakeMedia(this.now);
		this.app = new FakeAppMessages(options, this.now, this.media);
		this.kf = new FakeKf(options, this.now, this.media);
		this.directory = new FakeDirectory(options.directory);
		this.routes = {
			...this.auth.routes,
			...this.media.routes,
			...this.app.routes,
			...this.kf.routes,
			...this.directory.routes,
		};
	}

	async listen(port: number): Promise<void> {
		this.loopback = await serveOnLoopback('WeCom', (req, res) => this.serve(req, res), port);
	}

	/** The flat object tests hold: the server's own controls and each area's test side. */
	api(): FakeWeComApi {
		const api = {};
		expose<FakeWeComServerApi>(api, this, {
			url: true,
			requests: true,
			close: true,
			reset: true,
			setLatency: true,
			injectError: true,
			stall: true,
			injectHttpFault: true,
			waitFor: true,
		});
		expose<FakeAuthApi>(api, this.auth, {
			corpId: true,
			apps: true,
			tokenFetches: true,
			ticketFetches: true,
			expireAllTokens: true,
			invalidateAllTokens: true,
			setTokenTtl: true,
			addOAuthCode: true,
		});
		expose<FakeAppApi>(api, this.app, { sentMessages: true, recalled: true });
		expose<FakeMediaApi>(api, this.media, { uploadedMedia: true });
		expose<FakeKfWorldApi>(api, this.kf.state, {
			kfAccounts: true,
			addKfAccount: true,
			addKfServicer: true,
			setKfServicerStatus: true,
			addKfCustomer: true,
			kfCustomerSends: true,
			kfEvent: true,
			kfServicerSends: true,
			setKfSessionState: true,
			kfSessionState: true,
			kfCallbackToken: true,
		});
		expose<FakeKfMessagesApi>(api, this.kf.messages, { kfSent: true, setKfSyncPaging: true });
		expose<FakeKfFaultsApi>(api, this.kf.faults, { kfAttempts: true, injectKfFault: true });
		const directory = {};
		expose<FakeDirectoryApi>(directory, this.directory, {
			configure: true,
			setDepartments: true,
			setMembers: true,
			departments: true,
			members: true,
			refuse: true,
			calls: true,
		});
		Object.defineProperty(api, 'directory', { value: directory, enumerable: true });
		// Every member of every part of FakeWeComApi is now on `api` (expose's key records are complete).
		this.publicApi = api as FakeWeComApi;
		return this.publicApi;
	}

	// --- FakeWeComServerApi --------------------------------------------------------------------------

	get url(): string {
		return this.loopback?.url ?? '';
	}

	async close(): Promise<void> {
		for (const waiter of this.waiters) waiter.fail(new Error('fake WeCom closed before the condition held'));
		await this.loopback?.close();
	}

	reset(): void {
		this.requests.length = 0;
		this.injected.clear();
		this.stalls.clear();
		this.httpFaults.clear();
		for (const res of this.stalled) res.destroy();
		this.stalled.clear();
		this.latencyMs = this.options.latencyMs ?? 0;
		this.auth.reset();
		this.media.reset();
		this.app.reset();
		this.kf.reset();
		this.directory.reset();
	}

	setLatency(ms: number): void {
		this.latencyMs = ms;
	}

	injectError(pathname: string, errcode: number, errmsg?: string, times: FakeTimes = 1): void {
		const given = errmsg ?? (errcode === 60020 ? ERRMSG_60020 : undefined);
		this.injected.add(pathname, given === undefined ? { errcode } : { errcode, errmsg: given }, times);
	}

	stall(pathname: string, times: FakeTimes = 1): void {
		this.stalls.add(pathname, true, times);
	}

	injectHttpFault(pathname: string, fault: FakeHttpFault, times: FakeTimes = 1): void {
		this.httpFaults.add(pathname, fault, times);
	}

	waitFor(predicate: (api: FakeWeComApi) => boolean, timeoutMs = 5000): Promise<void> {
		const api = this.publicApi;
		if (!api) return Promise.reject(new Error('fake WeCom: waitFor before start'));
		return new Promise((resolve, reject) => {
			const waiter: Waiter = {
				check: () => {
					let held: boolean;
					try {
						held = predicate(api);
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
							`(${this.requests.length} requests, ${this.app.sentMessages.length} app messages and ` +
							`${this.kf.messages.kfSent.length} kf messages sent)`,
					),
				);
			}, timeoutMs);
			this.waiters.add(waiter);
			waiter.check();
		});
	}

	// --- dispatch ------------------------------------------------------------------------------------

	private async serve(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
		const { path, query } = requestTarget(req);
		const raw = await readBody(req, MAX_UPLOAD_BODY_BYTES);
		const record: FakeRequestRecord = { method: req.method ?? 'GET', path, query, time: this.now(), status: 200 };
		const boundary = multipartBoundary(req.headers['content-type'] ?? '');
		const multipart = boundary === undefined ? undefined : parseMultipart(raw.data, boundary);
		const json = multipart ? ({ kind: 'empty' } as const) : parseJsonBody(raw);
		if (multipart) record.multipart = multipart.map(({ data: _data, ...summary }) => summary);
		else if (json.kind === 'json') record.body = json.value;
		else if (json.kind === 'broken') record.body = json.text;
		this.requests.push(record);

		const asked = { method: record.method, url: req.url ?? path, host: req.headers.host ?? '' };
		const stalled = this.stalls.take(path) === true;
		const httpFault = stalled ? undefined : this.httpFaults.take(path);
		if (!stalled && this.latencyMs > 0) await sleep(this.latencyMs);
		if (stalled) {
			this.leaveHanging(record, res);
		} else if (httpFault !== undefined && !reachesWeCom(httpFault)) {
			record.httpFault = httpFault;
			record.status = sendHttpFault(res, httpFault, asked);
		} else {
			const reply = await this.reply(path, {
				query,
				body: json.kind === 'json' && isObject(json.value) ? json.value : {},
				multipart: multipart ?? [],
				bodySize: raw.size,
				bodyKept: !raw.overflow,
			});
			if (reply === undefined) {
				record.status = 404;
				res.writeHead(404, { 'Content-Length': '0' });
				res.end();
			} else if (isNoAnswer(reply)) {
				if (reply.noAnswer === 'stall') {
					this.leaveHanging(record, res);
				} else {
					record.status = 0;
					record.noAnswer = 'dropped';
					req.socket.destroy();
				}
			} else {
				const { errcode, errmsg: given, ...fields } = reply;
				let errmsg = given ?? this.errmsg(errcode, req);
				// WeCom parses what it can of malformed JSON and says so in errmsg [doc 90313].
				if (json.kind === 'broken' && errcode !== 0) errmsg += ' Warning: wrong json format.';
				record.errcode = errcode;
				if (httpFault === undefined) {
					sendJson(res, 200, { errcode, errmsg, ...fields });
				} else {
					record.httpFault = httpFault;
					record.status = sendHttpFault(res, httpFault, asked, { errcode, errmsg, ...fields });
				}
			}
		}
		this.options.onRequest?.(record);
		for (const waiter of this.waiters) waiter.check();
	}

	private leaveHanging(record: FakeRequestRecord, res: http.ServerResponse): void {
		record.status = 0;
		record.noAnswer = 'stalled';
		this.stalled.add(res);
		res.once('close', () => this.stalled.delete(res));
	}

	/** undefined = unknown path (HTTP 404). */
	private async reply(path: string, ctx: RequestContext): Promise<Reply | undefined> {
		const injected = this.injected.take(path);
		if (injected) return { ...injected };
		const route = this.routes[path];
		if (!route) return undefined;
		if (!route.auth) return route.handle(ctx);
		const app = this.auth.appOf(ctx.query.access_token);
		if ('errcode' in app) return app;
		return route.handle(ctx, app);
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
}

/**
 * Makes the `keys` of `source` members of `target`: methods bound to `source`, other members as live
 * getters (counters and lists stay current). Listing the keys as a record lets the compiler check that
 * each one exists in the area's interface.
 */
function expose<T extends object>(target: object, source: T, keys: Record<keyof T, true>): void {
	for (const key of Object.keys(keys) as Array<keyof T>) {
		const value = source[key];
		Object.defineProperty(
			target,
			key,
			typeof value === 'function'
				? { value: (value as (...args: unknown[]) => unknown).bind(source), enumerable: true }
				: { get: () => source[key], enumerable: true },
		);
	}
}
