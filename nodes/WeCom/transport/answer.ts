import type { IDataObject } from 'n8n-workflow';

import { stripSecrets, type TransportFailure } from './errors';

/**
 * Tells WeCom's answer to a call apart from whatever else answered in its place. Pure, no n8n calls.
 *
 * Every WeCom server API answers with JSON that carries `errcode`, 0 meaning success (global errcode page,
 * doc 90313), with HTTP 200; a proxy may pass such an answer on with another status, and it is still
 * WeCom's. Anything else did not come from WeCom and is never taken for success: a gateway's 5xx, a proxy's
 * or web filter's HTML page, JSON cut short on the way, JSON without errcode (`{}` from a proxy or from a
 * Base URL that points at some other service), an empty body.
 */

/** An HTTP answer as n8n's request helper returns it with `returnFullResponse`. */
export interface HttpAnswer {
	statusCode: number;
	headers?: Record<string, unknown>;
	body: unknown;
}

/** Longest excerpt (page title, first line) kept for the error. */
const EXCERPT_CHARS = 100;
/** How much of a page is searched for its title: a title sits in the first bytes of any real page. */
const TITLE_SEARCH_CHARS = 64 * 1024;

/** WeCom's errcode: a whole number (WeCom sends a JSON number; a digit string is accepted too). */
function errcodeIn(value: IDataObject): boolean {
	const code = value.errcode;
	if (typeof code === 'number') return Number.isInteger(code);
	return typeof code === 'string' && /^-?\d+$/.test(code);
}

function asObject(value: unknown): IDataObject | undefined {
	return value && typeof value === 'object' && !Array.isArray(value) && !Buffer.isBuffer(value)
		? (value as IDataObject)
		: undefined;
}

function shorten(text: string): string {
	const flat = text.replace(/\s+/g, ' ').trim();
	return flat.length > EXCERPT_CHARS ? `${flat.slice(0, EXCERPT_CHARS - 1)}…` : flat;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", '#39': "'", nbsp: ' ' };

/** The <title> of an HTML page, found by index (no regex over a body of unknown size), entities read. */
function pageTitle(page: string): string | undefined {
	const head = page.slice(0, TITLE_SEARCH_CHARS);
	const lower = head.toLowerCase();
	const open = lower.indexOf('<title');
	const start = open < 0 ? -1 : lower.indexOf('>', open);
	const end = start < 0 ? -1 : lower.indexOf('</title', start);
	if (end < 0) return undefined;
	const title = head
		.slice(start + 1, end)
		.replace(/&(#39|[a-z]+);/gi, (entity, name: string) => ENTITIES[name.toLowerCase()] ?? entity);
	return shorten(title) || undefined;
}

function headerOf(answer: HttpAnswer, name: string): string {
	const value = answer.headers?.[name];
	return typeof value === 'string' ? value.toLowerCase() : '';
}

type ForeignFacts = Pick<TransportFailure, 'received' | 'message' | 'excerpt'>;

/** What a body that is not JSON was, and the phrase that says so after "WeCom request failed (HTTP n): ". */
function notJson(text: string, safeText: string, contentType: string): ForeignFacts {
	const start = safeText.trimStart();
	if (start === '') return { received: 'empty', message: 'the answer is empty' };
	if (contentType.includes('html') || start.startsWith('<')) {
		return { received: 'html-page', message: 'a proxy answered with an HTML page', excerpt: pageTitle(safeText) };
	}
	if (start.startsWith('{') || start.startsWith('[')) {
		return {
			received: 'cut-json',
			message: `the answer is not JSON: it breaks off after ${Buffer.byteLength(text)} bytes`,
		};
	}
	const line = shorten(start.split('\n')[0]);
	return { received: 'text', message: `the answer is not JSON: "${line}"`, excerpt: line };
}

/** The body as JSON (undefined when it is not JSON) and as text. */
function bodyOf(answer: HttpAnswer): { json: unknown; text: string } {
	const body = Buffer.isBuffer(answer.body) ? answer.body.toString('utf8') : answer.body;
	if (body === undefined || body === null) return { json: undefined, text: '' };
	if (typeof body !== 'string') return { json: body, text: JSON.stringify(body) };
	try {
		return { json: JSON.parse(body) as unknown, text: body };
	} catch {
		return { json: undefined, text: body };
	}
}

/**
 * WeCom's JSON answer (errcode still to be checked by the caller), or, when something else answered, a
 * TransportFailure that says what (`received`), with the HTTP status and an excerpt. `secrets` are values
 * the request carried (access_token, corpsecret) that must not reach an error even if a proxy's page
 * repeats them in a form stripSecrets does not know.
 */
export function readWeComAnswer(
	answer: HttpAnswer,
	secrets: readonly string[],
): { answer: IDataObject } | { failure: TransportFailure } {
	const { json, text } = bodyOf(answer);
	const object = asObject(json);
	if (object && errcodeIn(object)) return { answer: object };

	const safeText = stripSecrets(text, secrets);
	const what: ForeignFacts =
		json === undefined
			? notJson(text, safeText, headerOf(answer, 'content-type'))
			: { received: 'no-errcode', message: 'the answer has no errcode, so it is not WeCom’s' };
	// A cut answer is WeCom's own: its first half may hold part of a token, a ticket or a customer's
	// message, and says nothing a person can act on beyond its length. Other bodies show who answered.
	const kept = what.received === 'cut-json' || safeText.trim() === '' ? undefined : safeText;
	return { failure: { ...what, statusCode: answer.statusCode, body: kept } };
}
