// What every API area of the WeCom fake shares: the shape of a request as a handler sees it, what a
// handler answers, time units, WeCom's truncation of over-long text, and the fault queues behind the
// control API (injectError, stall, injectKfFault).
import type { MultipartPart } from '../multipart';

export type JsonObject = Record<string, unknown>;

/** An app of the corp: its token reaches the app's APIs [doc 91039]. */
export interface FakeWeComApp {
	agentId: number;
	secret: string;
}

/** What a handler answers as JSON; the dispatcher fills in errmsg in WeCom's wording. */
export interface Answer extends JsonObject {
	errcode: number;
	errmsg?: string;
}

/**
 * No answer at all: `drop` destroys the connection (the client sees a network error), `stall` keeps it open
 * and never answers (the client times out).
 */
export interface NoAnswer {
	noAnswer: 'drop' | 'stall';
}

export type Reply = Answer | NoAnswer;

export function isNoAnswer(reply: Reply): reply is NoAnswer {
	return 'noAnswer' in reply;
}

export interface RequestContext {
	query: Record<string, string>;
	/** JSON body as an object ({} when absent or not an object). */
	body: JsonObject;
	/** Parts of a multipart/form-data body. */
	multipart: MultipartPart[];
	/** Body size in bytes, also when it was too large to keep. */
	bodySize: number;
	bodyKept: boolean;
}

/**
 * One API. All but gettoken need a valid access_token and learn which app it belongs to. A handler may take
 * its time (the directory's latency and concurrency limit), so it may answer with a promise.
 */
export type Route =
	| { auth: false; handle(ctx: RequestContext): Reply }
	| { auth: true; handle(ctx: RequestContext, app: FakeWeComApp): Reply | Promise<Reply> };

export type Routes = Record<string, Route>;

/** The fake's clock in milliseconds (tests move it to expire tokens, codes and windows). */
export type Clock = () => number;

export const SECOND = 1000;
export const MINUTE = 60 * SECOND;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

/** How often a fault applies: a number of calls, or every call until cleared. */
export type FakeTimes = number | 'always';

/**
 * Faults queued per key (a path, or a path and a customer), used in order: each entry serves `times`
 * calls, 'always' never runs out (entries after it are never reached); adding with times 0 clears the key.
 */
export class FaultQueue<F> {
	private readonly queues = new Map<string, Array<{ fault: F; remaining: number }>>();

	add(key: string, fault: F, times: FakeTimes = 1): void {
		const remaining = times === 'always' ? Number.POSITIVE_INFINITY : times;
		if (remaining <= 0) return void this.queues.delete(key);
		const queue = this.queues.get(key) ?? [];
		queue.push({ fault, remaining });
		this.queues.set(key, queue);
	}

	/** The fault for this call, if one is queued for `key`. */
	take(key: string): F | undefined {
		const queue = this.queues.get(key);
		const next = queue?.[0];
		if (!queue || !next) return undefined;
		next.remaining -= 1;
		if (next.remaining <= 0) queue.shift();
		if (queue.length === 0) this.queues.delete(key);
		return next.fault;
	}

	clear(): void {
		this.queues.clear();
	}
}

/** Longest prefix of `text` within `maxBytes` of UTF-8 that does not split a character. */
export function truncateUtf8(text: string, maxBytes: number): string {
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

/**
 * WeCom cuts over-long fields instead of refusing them ("超过将截断"). Cuts `obj[key]` to `max` UTF-8
 * bytes or characters, whichever unit the doc gives, and returns whether it cut.
 */
export function cutField(obj: JsonObject, key: string, max: number, unit: 'bytes' | 'chars' = 'bytes'): boolean {
	const value = obj[key];
	if (typeof value !== 'string') return false;
	const short = unit === 'bytes' ? truncateUtf8(value, max) : [...value].slice(0, max).join('');
	if (short === value) return false;
	obj[key] = short;
	return true;
}

/** 40058 不合法的参数 with the errmsg WeCom gives for an empty required field (silenceper/wechat PR #672). */
export function missingField(field: string): Answer {
	return { errcode: 40058, errmsg: `field ${field} unexpected empty string. invalid Request Parameter` };
}

export function isObject(value: unknown): value is JsonObject {
	return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function nonEmpty(value: unknown): value is string {
	return typeof value === 'string' && value !== '';
}

export function withoutUndefined(object: object): JsonObject {
	return Object.fromEntries(Object.entries(object).filter(([, value]) => value !== undefined));
}
