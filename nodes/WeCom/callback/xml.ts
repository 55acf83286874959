// A small XML reader and writer for WeCom's callback payloads, written for this package rather than
// pulled in: n8n community nodes may not have runtime dependencies, and the payloads are simple
// (elements, text, CDATA). It refuses DTDs outright (no entity expansion, no XXE), keeps tag names
// and values exactly as sent (MsgId is a 64-bit integer, so values stay strings), and runs in one
// forward pass: every search starts where the previous one ended, so time is linear in the input.
import { WeComCallbackError } from './crypto';

export type XmlValue = string | XmlObject;
export interface XmlObject {
	[name: string]: XmlValue | XmlValue[];
}

export interface ParseXmlOptions {
	/** UTF-8 size limit, default 1 MiB (WeCom callbacks are a few KB). */
	maxBytes?: number;
	/** Element nesting limit including the root, default 32 (the deepest WeCom sample is 7). */
	maxDepth?: number;
}

export const DEFAULT_MAX_XML_BYTES = 1024 * 1024;
export const DEFAULT_MAX_XML_DEPTH = 32;

// Name characters: ASCII letters, digits, _ : - . and anything non-ASCII; names start with a letter, _, : or non-ASCII.
const NAME_START = new Uint8Array(128);
const NAME_CHAR = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
	const letter = (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c === 58;
	NAME_START[c] = letter ? 1 : 0;
	NAME_CHAR[c] = letter || (c >= 48 && c <= 57) || c === 45 || c === 46 ? 1 : 0;
}

// charCodeAt past the end gives NaN, which fails both tests.
function isNameStart(c: number): boolean {
	return c >= 128 || NAME_START[c] === 1;
}

function isNameChar(c: number): boolean {
	return c >= 128 || NAME_CHAR[c] === 1;
}

function isSpace(c: number): boolean {
	return c === 32 || c === 10 || c === 13 || c === 9;
}

function isBlank(text: string): boolean {
	for (let i = 0; i < text.length; i++) {
		if (!isSpace(text.charCodeAt(i))) return false;
	}
	return true;
}

function shorten(text: string): string {
	return text.length > 40 ? text.slice(0, 40) + '…' : text;
}

function malformed(at: number, what: string): WeComCallbackError {
	return new WeComCallbackError(
		'malformedXml',
		`The callback XML is malformed at character ${at}: ${what}. WeCom sends plain <xml>…</xml> documents; check that the request comes from WeCom.`,
	);
}

function setChild(obj: XmlObject, name: string, value: XmlValue): void {
	const existing = obj[name];
	if (existing === undefined) {
		// Not own and not inherited (so not __proto__ either): the common case, a plain assignment.
		obj[name] = value;
	} else if (!Object.prototype.hasOwnProperty.call(obj, name)) {
		defineOwn(obj, name, value);
	} else if (Array.isArray(existing)) {
		existing.push(value);
	} else {
		defineOwn(obj, name, [existing, value]);
	}
}

// A tag called __proto__ must become an own property, not replace the object's prototype.
function defineOwn(obj: XmlObject, name: string, value: XmlValue | XmlValue[]): void {
	if (name === '__proto__') {
		Object.defineProperty(obj, name, { value, enumerable: true, writable: true, configurable: true });
	} else {
		obj[name] = value;
	}
}

const NAMED_ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

function isXmlChar(cp: number): boolean {
	return (
		cp === 0x9 ||
		cp === 0xa ||
		cp === 0xd ||
		(cp >= 0x20 && cp <= 0xd7ff) ||
		(cp >= 0xe000 && cp <= 0xfffd) ||
		(cp >= 0x10000 && cp <= 0x10ffff)
	);
}

// offset: where `raw` starts in the document, for error messages.
function decodeEntities(raw: string, offset: number): string {
	let amp = raw.indexOf('&');
	if (amp === -1) return raw;
	let out = '';
	let from = 0;
	while (amp !== -1) {
		out += raw.slice(from, amp);
		// The longest reference accepted is &#x10FFFF; (10 characters). A longer or missing one ends the
		// parse, so only one search can run far and the whole stays linear.
		const semi = raw.indexOf(';', amp + 1);
		if (semi === -1 || semi - amp > 10) throw malformed(offset + amp, 'an & that does not start an entity');
		const body = raw.slice(amp + 1, semi);
		let decoded: string | undefined;
		if (body.charCodeAt(0) === 35 /* # */) {
			const hex = body.charCodeAt(1) === 120; /* x */
			const digits = body.slice(hex ? 2 : 1);
			const valid = hex ? /^[0-9A-Fa-f]{1,6}$/.test(digits) : /^[0-9]{1,7}$/.test(digits);
			const cp = valid ? parseInt(digits, hex ? 16 : 10) : -1;
			if (isXmlChar(cp)) decoded = String.fromCodePoint(cp);
		} else if (Object.prototype.hasOwnProperty.call(NAMED_ENTITIES, body)) {
			decoded = NAMED_ENTITIES[body];
		}
		if (decoded === undefined) throw malformed(offset + amp, `unknown entity &${shorten(body)};`);
		out += decoded;
		from = semi + 1;
		amp = raw.indexOf('&', from);
	}
	return out + raw.slice(from);
}

interface Frame {
	name: string;
	/** Set at the first child element; from then on only layout whitespace may appear as text. */
	children: XmlObject | undefined;
	text: string;
}

function mixedContent(frame: Frame, at: number): WeComCallbackError {
	return malformed(at, `<${shorten(frame.name)}> mixes text with child elements`);
}

function addChild(parent: Frame, name: string, value: XmlValue, at: number): void {
	let children = parent.children;
	if (children === undefined) {
		if (!isBlank(parent.text)) throw mixedContent(parent, at);
		parent.text = '';
		children = parent.children = {};
	}
	setChild(children, name, value);
}

/**
 * Parses a WeCom XML payload and returns the children of its root element (normally <xml>).
 * Leaves become strings (text and CDATA joined, entities decoded, '' when empty), elements with
 * children become objects, repeated siblings become arrays, attributes are ignored.
 */
export function parseXml(xml: string, options: ParseXmlOptions = {}): XmlObject {
	if (typeof xml !== 'string') throw malformed(0, 'the body is not text');
	const maxBytes = options.maxBytes ?? DEFAULT_MAX_XML_BYTES;
	const maxDepth = options.maxDepth ?? DEFAULT_MAX_XML_DEPTH;
	// Each UTF-16 unit is at least one UTF-8 byte and at most three, so byteLength is rarely needed.
	if (xml.length > maxBytes || (xml.length * 3 > maxBytes && Buffer.byteLength(xml, 'utf8') > maxBytes)) {
		throw new WeComCallbackError(
			'bodyTooLarge',
			`The callback body is larger than the ${maxBytes} bytes allowed: WeCom callbacks are a few KB, so this request is probably not from WeCom.`,
		);
	}

	const n = xml.length;
	const start = xml.charCodeAt(0) === 0xfeff ? 1 : 0;
	const stack: Frame[] = [];
	let result: XmlObject | undefined;
	let i = start;

	while (i < n) {
		const lt = xml.indexOf('<', i);
		const textEnd = lt === -1 ? n : lt;
		if (textEnd > i) {
			const top = stack[stack.length - 1];
			if (top === undefined || top.children !== undefined) {
				// Outside the root, or between child elements: only layout whitespace, checked in place.
				for (let k = i; k < textEnd; k++) {
					if (!isSpace(xml.charCodeAt(k))) {
						throw top === undefined ? malformed(k, 'text outside the root element') : mixedContent(top, k);
					}
				}
			} else {
				top.text += decodeEntities(xml.slice(i, textEnd), i);
			}
		}
		if (lt === -1) break;
		i = lt;
		const next = xml.charCodeAt(i + 1);

		if (next === 47 /* / */) {
			const frame = stack.pop();
			const name = frame?.name ?? '';
			let j = i + 2 + name.length;
			if (frame === undefined || !xml.startsWith(name, i + 2) || isNameChar(xml.charCodeAt(j))) {
				let k = i + 2;
				while (k < n && isNameChar(xml.charCodeAt(k))) k++;
				const found = shorten(xml.slice(i + 2, k));
				throw malformed(
					i,
					frame === undefined
						? `a closing tag </${found}> without an opening tag`
						: `the closing tag </${found}> does not match <${shorten(name)}>`,
				);
			}
			while (j < n && isSpace(xml.charCodeAt(j))) j++;
			if (xml.charCodeAt(j) !== 62 /* > */) throw malformed(i, `a broken closing tag </${shorten(name)}`);
			i = j + 1;
			const parent = stack[stack.length - 1];
			if (parent !== undefined) {
				addChild(parent, name, frame.children ?? frame.text, i);
			} else if (frame.children !== undefined) {
				result = frame.children;
			} else if (isBlank(frame.text)) {
				result = {};
			} else {
				throw malformed(i, 'the root element holds text instead of elements');
			}
			continue;
		}

		if (next === 33 /* ! */) {
			if (xml.startsWith('<![CDATA[', i)) {
				const top = stack[stack.length - 1];
				if (top === undefined) throw malformed(i, 'CDATA outside the root element');
				const end = xml.indexOf(']]>', i + 9);
				if (end === -1) throw malformed(i, 'an unclosed CDATA section');
				if (top.children === undefined) top.text += xml.slice(i + 9, end);
				else if (!isBlank(xml.slice(i + 9, end))) throw mixedContent(top, i);
				i = end + 3;
			} else if (xml.startsWith('<!--', i)) {
				const end = xml.indexOf('-->', i + 4);
				if (end === -1) throw malformed(i, 'an unclosed comment');
				i = end + 3;
			} else {
				// <!DOCTYPE, <!ENTITY, <!ELEMENT…: refusing every declaration is what rules out XXE and entity bombs.
				throw malformed(i, 'a DOCTYPE or other declaration, which is refused');
			}
			continue;
		}

		if (next === 63 /* ? */) {
			const end = xml.indexOf('?>', i + 2);
			if (end === -1) throw malformed(i, 'an unclosed processing instruction');
			let t = i + 2;
			while (t < end && isNameChar(xml.charCodeAt(t))) t++;
			const target = xml.slice(i + 2, t);
			if (target.length === 0) throw malformed(i, 'a processing instruction without a name');
			if (target.toLowerCase() === 'xml' && i !== start) {
				throw malformed(i, 'an XML declaration that is not at the very start');
			}
			i = end + 2;
			continue;
		}

		// Opening tag.
		let j = i + 1;
		if (!isNameStart(xml.charCodeAt(j))) throw malformed(i, 'a < that does not start a tag');
		while (j < n && isNameChar(xml.charCodeAt(j))) j++;
		const name = xml.slice(i + 1, j);
		let selfClosing = false;
		for (;;) {
			const beforeSpace = j;
			while (j < n && isSpace(xml.charCodeAt(j))) j++;
			const c = xml.charCodeAt(j);
			if (c === 62 /* > */) {
				j++;
				break;
			}
			if (c === 47 /* / */ && xml.charCodeAt(j + 1) === 62) {
				selfClosing = true;
				j += 2;
				break;
			}
			if (j >= n) throw malformed(i, `an unclosed tag <${shorten(name)}`);
			// Attribute: skipped, but parsed strictly so that a quoted '>' cannot end the tag early.
			if (j === beforeSpace || !isNameStart(c)) throw malformed(j, `a broken attribute in <${shorten(name)}>`);
			while (j < n && isNameChar(xml.charCodeAt(j))) j++;
			while (j < n && isSpace(xml.charCodeAt(j))) j++;
			if (xml.charCodeAt(j) !== 61 /* = */) throw malformed(j, `an attribute without a value in <${shorten(name)}>`);
			j++;
			while (j < n && isSpace(xml.charCodeAt(j))) j++;
			const quote = xml.charCodeAt(j);
			if (quote !== 34 && quote !== 39) throw malformed(j, `an unquoted attribute value in <${shorten(name)}>`);
			const end = xml.indexOf(quote === 34 ? '"' : "'", j + 1);
			if (end === -1) throw malformed(j, `an unclosed attribute value in <${shorten(name)}>`);
			for (let k = j + 1; k < end; k++) {
				if (xml.charCodeAt(k) === 60) throw malformed(k, `a < inside an attribute value of <${shorten(name)}>`);
			}
			j = end + 1;
		}

		if (stack.length === 0 && result !== undefined) throw malformed(i, 'a second root element');
		if (stack.length >= maxDepth) throw malformed(i, `elements nested deeper than ${maxDepth} levels`);
		const parent = stack[stack.length - 1];
		if (!selfClosing) {
			stack.push({ name, children: undefined, text: '' });
		} else if (parent === undefined) {
			result = {};
		} else {
			addChild(parent, name, '', i);
		}
		i = j;
	}

	const open = stack[stack.length - 1];
	if (open !== undefined) throw malformed(n, `<${shorten(open.name)}> is never closed`);
	if (result === undefined) throw malformed(n, 'there is no root element');
	return result;
}

/** What buildXml accepts: strings become CDATA, numbers plain text, objects nested elements, arrays repeated elements. */
export type XmlBuildValue = string | number | bigint | boolean | null | undefined | XmlBuildObject | readonly XmlBuildValue[];
export interface XmlBuildObject {
	readonly [name: string]: XmlBuildValue;
}

/** A CDATA section holding any text: each "]]>" is split across two sections. */
export function toCdata(text: string): string {
	return '<![CDATA[' + text.split(']]>').join(']]]]><![CDATA[>') + ']]>';
}

const BUILD_NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

function checkName(name: string): void {
	if (!BUILD_NAME.test(name)) {
		throw new WeComCallbackError(
			'malformedXml',
			`Cannot build the reply XML: "${shorten(name)}" is not a valid element name (letters, digits, _ . -).`,
		);
	}
}

function buildValue(name: string, value: XmlBuildValue, depth: number): string {
	if (value === undefined) return '';
	if (value === null) return `<${name}></${name}>`;
	if (typeof value === 'string') return `<${name}>${toCdata(value)}</${name}>`;
	if (typeof value === 'number') {
		if (!Number.isFinite(value)) {
			throw new WeComCallbackError('malformedXml', `Cannot build the reply XML: <${name}> is ${value}, not a finite number.`);
		}
		return `<${name}>${String(value)}</${name}>`;
	}
	if (typeof value === 'bigint' || typeof value === 'boolean') return `<${name}>${String(value)}</${name}>`;
	if (Array.isArray(value)) {
		let out = '';
		for (const item of value as readonly XmlBuildValue[]) {
			if (Array.isArray(item)) {
				throw new WeComCallbackError('malformedXml', `Cannot build the reply XML: <${name}> holds a list inside a list.`);
			}
			out += buildValue(name, item, depth);
		}
		return out;
	}
	return `<${name}>${buildChildren(value as XmlBuildObject, depth + 1)}</${name}>`;
}

function buildChildren(obj: XmlBuildObject, depth: number): string {
	if (depth > DEFAULT_MAX_XML_DEPTH) {
		throw new WeComCallbackError('malformedXml', 'Cannot build the reply XML: it is nested too deeply (or refers to itself).');
	}
	let out = '';
	for (const name of Object.keys(obj)) {
		checkName(name);
		out += buildValue(name, obj[name], depth);
	}
	return out;
}

/** The inverse of parseXml, for passive-reply plaintext: <xml><ToUserName><![CDATA[…]]></ToUserName>…</xml>. */
export function buildXml(obj: XmlBuildObject, rootName = 'xml'): string {
	checkName(rootName);
	return `<${rootName}>${buildChildren(obj, 1)}</${rootName}>`;
}

export interface EncryptedEnvelope {
	encrypted: string;
	toUserName?: string;
	agentId?: string;
}

/** Reads the POST envelope <xml><ToUserName/><AgentID/><Encrypt/></xml> [doc 90930]. */
export function extractEncrypt(bodyXml: string): EncryptedEnvelope {
	const envelope = parseXml(bodyXml);
	const encrypted = envelope.Encrypt;
	if (Array.isArray(encrypted)) {
		throw new WeComCallbackError('malformedXml', 'The callback body has more than one Encrypt element.');
	}
	if (typeof encrypted !== 'string' || encrypted.length === 0) {
		throw new WeComCallbackError(
			'missingParameter',
			'The callback body has no Encrypt element: WeCom posts <xml><ToUserName/><AgentID/><Encrypt/></xml>; check that the request comes from WeCom.',
		);
	}
	const out: EncryptedEnvelope = { encrypted };
	if (typeof envelope.ToUserName === 'string') out.toUserName = envelope.ToUserName;
	if (typeof envelope.AgentID === 'string') out.agentId = envelope.AgentID;
	return out;
}
