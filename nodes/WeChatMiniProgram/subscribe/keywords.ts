/**
 * Subscribe-message keywords (订阅消息 template data): reading a template's keywords and checking each
 * value by its type before it is sent, so a person learns which keyword is wrong and what WeChat takes
 * instead of a bare 47003. The rules are WeChat's table for subscribeMessage.send ("订阅消息参数值内容
 * 限制说明"); docs/miniprogram-subscribe.md says how each is read here and what is not confirmed.
 *
 * Where the table leaves a doubt, the check lets the value through and WeChat decides: refusing a value
 * WeChat would take blocks a workflow with no way around it, while letting a bad one through still ends
 * in a 47003 that names the keyword (readWeChat47003).
 */

import { codePointLength, truncateCodePoints } from '../../common/text';

/** One keyword of a template: `thing1`, its type `thing`, and the label the template shows before it. */
export interface KeywordRow {
	key: string;
	type: string;
	label: string;
}

/** The parts of a template (gettemplate's `data[]`) the checks use. */
export interface SubscribeTemplate {
	content: string;
	/** Keywords whose values are restricted to a list: `keywordCode` as WeChat writes it, "phrase3.DATA". */
	keywordEnumValueList?: Array<{ keywordCode: string; enumValueList: string[] }>;
}

export interface CheckOptions {
	/** The keyword (`thing3`) and its label (`客户姓名`): they name the keyword in a refusal. */
	key?: string;
	label?: string;
	/** "Shorten Text That Is Too Long": cut thing, name and phrase values to their limit instead of refusing. */
	shorten?: boolean;
	/** The template's values for an enum keyword; without them an enum value is not checked. */
	enumValues?: readonly string[];
}

export type KeywordCheck =
	| { ok: true; value: string; shortened: boolean }
	| { ok: false; message: string };

export type DataCheck =
	| { ok: true; data: Record<string, { value: string }>; shortened: string[] }
	| { ok: false; problems: Array<{ key: string; message: string }>; message: string };

type CharKind = 'chinese' | 'digit' | 'letter' | 'symbol' | 'control';

const KIND_NAMES: Record<CharKind, string> = {
	chinese: 'a Chinese character',
	digit: 'a digit',
	letter: 'a letter',
	symbol: 'a symbol',
	control: 'a control character',
};

/**
 * WeChat's classes: 汉字, 数字 (0-9), 字母, and 符号 "common symbols other than Chinese, letters and digits,
 * never line breaks or other control characters". Letters of any script count as letters (WeChat says
 * 字母 without more: accented names pass), and whatever is none of these (emoji, full-width digits) as a
 * symbol.
 */
function kindOf(char: string): CharKind {
	if (/\p{Script=Han}/u.test(char)) return 'chinese';
	if (/[0-9]/.test(char)) return 'digit';
	if (/\p{L}/u.test(char)) return 'letter';
	if (/[\p{Cc}\u2028\u2029]/u.test(char)) return 'control';
	return 'symbol';
}

/** What WeChat takes for each type, in words; the second half of every refusal. */
const RULES: Record<string, string> = {
	thing: 'at most 20 characters of any kind (Chinese, letters, digits, symbols), without line breaks',
	number: 'only digits, with an optional decimal part, at most 32 digits',
	letter: 'only letters, at most 32',
	symbol: 'only symbols (no letters, digits or Chinese characters), at most 5',
	character_string: 'digits, letters and symbols, at most 32, and no Chinese characters',
	time: 'a 24-hour time such as 15:01 or 15:01:30, optionally after a date (2019年10月1日 15:01, 2019-10-01 15:01), or two of them joined by ~',
	date: 'a date such as 2019年10月1日, 2019-10-01, 2019/10/01, 2019.10.01, 2019-10 or 10-01, optionally followed by a 24-hour time, or two of them joined by ~',
	amount: 'one currency symbol and at most 10 digits, with an optional decimal part and an optional 元 at the end (¥12.50, 12.50元)',
	phone_number: 'digits and symbols such as + - ( ), at most 17',
	car_number: 'at most 8 letters and digits, where only the first and the last may be Chinese (粤A8Z888挂)',
	name: 'at most 10 characters when it has Chinese characters, otherwise at most 20 letters and symbols, and no digits',
	phrase: 'only Chinese characters, at most 5',
	enum: "only one of the template's values",
};

/** The sentence that says what WeChat takes for `type`, or undefined for a type WeChat does not document. */
export function ruleOf(type: string): string | undefined {
	return RULES[type];
}

/** The type of a keyword from its key: `character_string12` → `character_string` (WeChat numbers them). */
export function keywordTypeOf(key: string): string {
	return key.replace(/\d+$/, '');
}

/**
 * The keywords of a template's `content` ("客户姓名:{{thing1.DATA}}\n时间:{{time2.DATA}}"), in order, each
 * once. The label is the text before the placeholder on its line (or since the previous placeholder),
 * without the colon, half- or full-width; a placeholder with nothing before it gets an empty label.
 */
export function parseTemplateContent(content: string): KeywordRow[] {
	const rows: KeywordRow[] = [];
	const seen = new Set<string>();
	for (const line of content.split(/\r?\n/)) {
		let labelStart = 0;
		for (const match of line.matchAll(/\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\.\s*DATA\s*\}\}/gi)) {
			const key = match[1];
			const label = line
				.slice(labelStart, match.index)
				.trim()
				.replace(/\s*[:：]$/, '')
				.trim();
			labelStart = match.index + match[0].length;
			if (seen.has(key)) continue;
			seen.add(key);
			rows.push({ key, type: keywordTypeOf(key), label });
		}
	}
	return rows;
}

/** The keyword WeChat refused in a 47003 ("argument invalid! data.thing3.value invalid rid: …" → thing3). */
export function readWeChat47003(errmsg: string | undefined): string | undefined {
	return /\bdata\.([A-Za-z_][A-Za-z0-9_]*)\.value\b/.exec(errmsg ?? '')?.[1];
}

/**
 * A sentence for a 47003: which keyword WeChat refused and what its type takes. With the template, the
 * keyword is named with its label.
 */
export function explain47003(errmsg: string | undefined, template?: SubscribeTemplate): string {
	const key = readWeChat47003(errmsg);
	if (!key) {
		return 'WeChat refused one of the keyword values (47003) without naming it: one is empty or breaks the rule for its type, so check each (a thing takes at most 20 characters, a phrase at most 5 Chinese characters).';
	}
	const row = template ? parseTemplateContent(template.content).find((r) => r.key === key) : undefined;
	const type = row?.type ?? keywordTypeOf(key);
	const rule = isEnum(key, template) ? RULES.enum : RULES[type];
	const what = rule ? `${aType(type)} takes ${rule}` : `its type ${type} is not one this node knows`;
	return `WeChat refused ${named({ key, label: row?.label })} (47003): it may be empty or break the rule for its type; ${what}.`;
}

function isEnum(key: string, template: SubscribeTemplate | undefined): boolean {
	return enumValuesOf(template).has(key);
}

function enumValuesOf(template: SubscribeTemplate | undefined): Map<string, string[]> {
	const lists = new Map<string, string[]>();
	for (const entry of template?.keywordEnumValueList ?? []) {
		lists.set(entry.keywordCode.replace(/\.DATA$/i, '').trim(), entry.enumValueList);
	}
	return lists;
}

/** "a thing", "an amount". */
function aType(type: string): string {
	return `${/^[aeiou]/.test(type) ? 'an' : 'a'} ${type}`;
}

function named(options: { key?: string; label?: string }): string {
	if (options.key && options.label) return `${options.key} (${options.label})`;
	return options.key || options.label || 'The value';
}

type Refusal = { ok: false; message: string };

function refuse(options: CheckOptions, what: string): Refusal {
	return { ok: false, message: `${named(options)} ${what}.` };
}

function tooLong(options: CheckOptions, type: string, count: number, unit: string, max: number, cuttable = false): Refusal {
	const hint = cuttable && !options.shorten ? ' (or turn on "Shorten Text That Is Too Long")' : '';
	return refuse(options, `has ${count} ${unit}; WeChat takes at most ${max} for ${aType(type)}${hint}`);
}

function badChar(options: CheckOptions, type: string, char: string, kind: CharKind): Refusal {
	const shown = kind === 'control' ? (/[\r\n\u2028\u2029]/.test(char) ? 'a line break' : 'a control character') : `"${char}" (${KIND_NAMES[kind]})`;
	return refuse(options, `contains ${shown}; ${aType(type)} takes ${RULES[type]}`);
}

function badFormat(options: CheckOptions, type: string, value: string, hint = ''): Refusal {
	const shown = codePointLength(value) > 40 ? `${truncateCodePoints(value, 40)}…` : value;
	return refuse(options, `"${shown}" is not ${aType(type)} WeChat takes; it takes ${RULES[type]}${hint}`);
}

/** The first character of `chars` whose kind is not in `allowed`. */
function firstOutside(chars: string[], allowed: readonly CharKind[]): { char: string; kind: CharKind } | undefined {
	for (const char of chars) {
		const kind = kindOf(char);
		if (!allowed.includes(kind)) return { char, kind };
	}
	return undefined;
}

/**
 * Checks one keyword value against WeChat's rule for its type. Counts are code points (an emoji and a
 * Chinese character are 1 each). Surrounding spaces and line breaks are dropped from the value to send.
 * A type WeChat does not document is sent as it is (only an empty value is refused).
 */
export function checkKeyword(type: string, value: unknown, options: CheckOptions = {}): KeywordCheck {
	// An expression may hand over a number (12.5 is sent as "12.5") or, by mistake, a whole object.
	if (typeof value === 'object' && value !== null) {
		return refuse(options, 'is a list or an object, not text; map it to one field, such as {{ $json.name }}');
	}
	const text = String(value ?? '').trim();
	if (text === '') {
		// 47003's errmsg ends "is emp" for an empty value: WeChat refuses it for every type.
		return refuse(options, 'is empty; WeChat refuses a keyword without a value, so map it to a field that always has one');
	}
	const check = CHECKS[type];
	if (!check) return { ok: true, value: text, shortened: false };
	return check(text, options);
}

type Check = (text: string, options: CheckOptions) => KeywordCheck;

interface Limit {
	max: number;
	/** What is counted, in the refusal: "has 6 Chinese characters". */
	unit?: string;
	/**
	 * How the shorten option cuts a value that is too long; without it the value is refused. Only thing,
	 * name and phrase are cut: they are text a person reads, and its start still says what it said. A
	 * number, amount, time, date, phone or car number cut short is a different value; a character_string
	 * is usually an order or tracking number, which a cut turns into someone else's; letter and symbol
	 * values are codes. "…" marks the cut where the type takes symbols (a thing, a name in letters); a
	 * phrase takes only Chinese characters, and for a Chinese name the table names no symbol.
	 */
	cut?: 'with …' | 'plain';
}

/** Only the allowed kinds, at most `limit.max` characters. */
function plain(type: string, allowed: readonly CharKind[], limit: Limit): Check {
	const { max, unit = 'characters', cut } = limit;
	return (text, options) => {
		const chars = [...text];
		const bad = firstOutside(chars, allowed);
		if (bad) return badChar(options, type, bad.char, bad.kind);
		if (chars.length <= max) return { ok: true, value: text, shortened: false };
		if (!cut || !options.shorten) return tooLong(options, type, chars.length, unit, max, cut !== undefined);
		// At a grapheme boundary, and trimmed like every value to send: no space before the … nor at the end.
		const kept = truncateCodePoints(text, cut === 'with …' ? max - 1 : max).trimEnd();
		return { ok: true, value: cut === 'with …' ? `${kept}…` : kept, shortened: true };
	};
}

const TEXT: readonly CharKind[] = ['chinese', 'digit', 'letter', 'symbol'];
const CHINESE_NAME = plain('name', ['chinese', 'letter', 'symbol'], { max: 10, cut: 'plain' });
const NAME_IN_LETTERS = plain('name', ['letter', 'symbol'], { max: 20, cut: 'with …' });

/** One clock time, 24-hour: H:MM or H:MM:SS. */
const CLOCK = String.raw`(?:[01]?\d|2[0-3]):[0-5]\d(?::[0-5]\d)?`;

/** The date forms WeChat lists: y年m月d日, y年m月, m月d日, or joined by one of - / . (2018-01-01, 2018-01, 01-01). */
const DATE_FORMS: Array<{ pattern: RegExp; parts: Array<'y' | 'm' | 'd'> }> = [
	{ pattern: /^(\d{4})年(\d{1,2})月(\d{1,2})日/, parts: ['y', 'm', 'd'] },
	{ pattern: /^(\d{4})年(\d{1,2})月/, parts: ['y', 'm'] },
	{ pattern: /^(\d{1,2})月(\d{1,2})日/, parts: ['m', 'd'] },
	{ pattern: /^(\d{4})([-/.])(\d{1,2})\2(\d{1,2})(?![\d.])/, parts: ['y', 'm', 'd'] },
	{ pattern: /^(\d{4})([-/.])(\d{1,2})(?![\d./-])/, parts: ['y', 'm'] },
	{ pattern: /^(\d{1,2})([-/.])(\d{1,2})(?![\d./-])/, parts: ['m', 'd'] },
];

function daysIn(month: number, year: number | undefined): number {
	// Without a year, 2月29日 may be right: take a leap year.
	return new Date(Date.UTC(year ?? 2000, month, 0)).getUTCDate();
}

/** A date at the start of `text` that exists on the calendar, and the rest of `text` after it. */
function readDate(text: string): { rest: string } | undefined {
	for (const form of DATE_FORMS) {
		const match = form.pattern.exec(text);
		if (!match) continue;
		const numbers = match.slice(1).filter((part) => /^\d+$/.test(part)).map(Number);
		const value: Partial<Record<'y' | 'm' | 'd', number>> = {};
		form.parts.forEach((part, index) => (value[part] = numbers[index]));
		if (value.m !== undefined && (value.m < 1 || value.m > 12)) return undefined;
		if (value.d !== undefined && (value.d < 1 || value.d > daysIn(value.m ?? 1, value.y))) return undefined;
		return { rest: text.slice(match[0].length) };
	}
	return undefined;
}

/** One point in time: a date, a clock time, or a date then a time; `needs` is the part the type requires. */
function isMoment(text: string, needs: 'date' | 'time'): boolean {
	const date = readDate(text);
	const rest = (date ? date.rest : text).trim();
	if (!date && needs === 'date') return false;
	if (rest === '') return date !== undefined && needs === 'date';
	return new RegExp(`^${CLOCK}$`).test(rest);
}

/** time and date: one point, or a range of two joined by ~ (a full-width ～ is sent as ~). */
function moment(type: 'time' | 'date'): Check {
	return (text, options) => {
		const value = text.replace(/～/g, '~');
		const ends = value.split('~');
		if (ends.length <= 2 && ends.every((end) => isMoment(end.trim(), type))) return { ok: true, value, shortened: false };
		return badFormat(options, type, text, "; in an n8n expression, $now.toFormat('yyyy-MM-dd HH:mm') writes one");
	};
}

const CHECKS: Record<string, Check> = {
	thing: plain('thing', TEXT, { max: 20, cut: 'with …' }),
	number: (text, options) => {
		if (!/^\d+(?:\.\d+)?$/.test(text)) return badFormat(options, 'number', text);
		const digits = text.replace('.', '').length;
		return digits > 32 ? tooLong(options, 'number', digits, 'digits', 32) : { ok: true, value: text, shortened: false };
	},
	letter: plain('letter', ['letter'], { max: 32, unit: 'letters' }),
	symbol: plain('symbol', ['symbol'], { max: 5, unit: 'symbols' }),
	character_string: plain('character_string', ['digit', 'letter', 'symbol'], { max: 32 }),
	time: moment('time'),
	date: moment('date'),
	amount: (text, options) => {
		const match = /^(\p{Sc})?(\d+)(?:\.(\d+))?(元)?$/u.exec(text);
		// The table asks for a currency symbol; 元 at the end names the currency too, so either will do.
		if (!match || (!match[1] && !match[4])) return badFormat(options, 'amount', text);
		const digits = match[2].length + (match[3]?.length ?? 0);
		return digits > 10 ? tooLong(options, 'amount', digits, 'digits', 10) : { ok: true, value: text, shortened: false };
	},
	phone_number: plain('phone_number', ['digit', 'symbol'], { max: 17 }),
	car_number: (text, options) => {
		const chars = [...text];
		for (const [index, char] of chars.entries()) {
			const kind = kindOf(char);
			const edge = index === 0 || index === chars.length - 1;
			if (kind === 'digit' || kind === 'letter' || (edge && kind === 'chinese')) continue;
			return badChar(options, 'car_number', char, kind);
		}
		return chars.length > 8 ? tooLong(options, 'car_number', chars.length, 'characters', 8) : { ok: true, value: text, shortened: false };
	},
	name: (text, options) => {
		// Chinese and letters mixed counts as a Chinese name: 10 characters, not 20.
		const chinese = [...text].some((char) => kindOf(char) === 'chinese');
		return (chinese ? CHINESE_NAME : NAME_IN_LETTERS)(text, options);
	},
	phrase: plain('phrase', ['chinese'], { max: 5, unit: 'Chinese characters', cut: 'plain' }),
	enum: (text, options) => {
		const values = options.enumValues ?? [];
		if (values.length === 0 || values.includes(text)) return { ok: true, value: text, shortened: false };
		const listed = values.length > 8 ? `${values.slice(0, 8).join(', ')} and ${values.length - 8} more` : values.join(', ');
		return refuse(options, `"${text}" is not one of this template's values; WeChat takes only ${listed}`);
	},
};

/**
 * Checks every row at once and reports every keyword WeChat would refuse, not only the first. With the
 * template, keywords it does not have and keywords without a row are reported too, labels name each
 * keyword, and keywords with a value list take only those values.
 */
export function checkData(
	rows: ReadonlyArray<{ key: string; value: unknown }>,
	template?: SubscribeTemplate,
	options: { shorten?: boolean } = {},
): DataCheck {
	const keywords = template ? parseTemplateContent(template.content) : undefined;
	const enums = enumValuesOf(template);
	const problems: Array<{ key: string; message: string }> = [];
	const data: Record<string, { value: string }> = {};
	const shortenedKeys: string[] = [];
	const seen = new Set<string>();
	for (const row of rows) {
		const key = String(row.key ?? '').trim();
		if (!key) {
			problems.push({ key, message: 'A keyword row has no keyword: give it one such as thing1, or remove the row.' });
			continue;
		}
		if (seen.has(key)) {
			problems.push({ key, message: `${key} has more than one row: keep one.` });
			continue;
		}
		seen.add(key);
		const keyword = keywords?.find((k) => k.key === key);
		if (keywords && !keyword) {
			const known = keywords.map((k) => k.key).join(', ') || 'none';
			problems.push({ key, message: `${key} is not a keyword of this template; its keywords are ${known}.` });
			continue;
		}
		const values = enums.get(key);
		const type = values ? 'enum' : (keyword?.type ?? keywordTypeOf(key));
		const result = checkKeyword(type, row.value, { key, label: keyword?.label, shorten: options.shorten, enumValues: values });
		if (!result.ok) {
			problems.push({ key, message: result.message });
			continue;
		}
		data[key] = { value: result.value };
		if (result.shortened) shortenedKeys.push(key);
	}
	for (const keyword of keywords ?? []) {
		if (!seen.has(keyword.key)) {
			problems.push({ key: keyword.key, message: `${named(keyword)} has no row; the template shows every keyword, so add a row with its value.` });
		}
	}
	if (problems.length > 0) return { ok: false, problems, message: problems.map((p) => p.message).join(' ') };
	return { ok: true, data, shortened: shortenedKeys };
}
