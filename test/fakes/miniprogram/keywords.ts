// The fake's own reading of subscribe-message keyword rules: which value WeChat refuses for each keyword
// type (subscribeMessage.send, "模板参数值的限制" table of the official api_sendmessage page). Written from
// the docs, never imported from the product (nodes/WeChatMiniProgram/subscribe/), so a mistake there shows
// up here as a 47003. docs/test-fakes.md says which rules are documented and which are guessed.

/** One keyword of a template's content, "客户姓名:{{thing1.DATA}}" → { key: 'thing1', type: 'thing' }. */
export interface FakeKeyword {
	key: string;
	type: string;
}

/** The keywords of a template's `content` in order: every `{{<type><n>.DATA}}`. */
export function keywordsOf(content: string): FakeKeyword[] {
	return [...content.matchAll(/\{\{\s*([a-z_]+?)(\d+)\.DATA\s*\}\}/g)].map((m) => ({ key: `${m[1]}${m[2]}`, type: m[1] }));
}

const HAN = /\p{Script=Han}/u;
/** A date: 2019年10月1日, 2019-10-01 or 2019/10/01. */
const DATE = String.raw`\d{4}(?:年\d{1,2}月\d{1,2}日|[-/]\d{1,2}[-/]\d{1,2})`;
/** A 24-hour time: 15:01 or 15:01:30. */
const TIME = String.raw`(?:[01]?\d|2[0-3]):[0-5]\d(?::[0-5]\d)?`;
const TIME_PART = new RegExp(`^(?:${DATE}\\s*)?${TIME}$`);
const DATE_PART = new RegExp(`^${DATE}(?:\\s*${TIME})?$`);

function length(value: string): number {
	return [...value].length;
}

/** A time or a date, or a range of them "a~b" (WeChat: 支持填时间段，两个时间点之间用“~”符号连接). */
function eachPart(value: string, part: RegExp): boolean {
	const parts = value.split('~').map((p) => p.trim());
	return parts.length <= 2 && parts.every((p) => part.test(p));
}

/**
 * Whether WeChat accepts `value` for a keyword of `type`. `enumValues`: the template's list for this
 * keyword (type enum). Unknown types: at most 20 characters, like a thing.
 */
export function keywordAccepted(type: string, value: string, enumValues?: readonly string[]): boolean {
	if (value === '') return false;
	switch (type) {
		case 'thing':
			return length(value) <= 20;
		case 'number':
			return /^\d+(\.\d+)?$/.test(value) && value.replace('.', '').length <= 32;
		case 'letter':
			return /^[A-Za-z]{1,32}$/.test(value);
		case 'symbol':
			return /^[^\p{L}\p{N}\s]{1,5}$/u.test(value);
		case 'character_string':
			return /^[\x21-\x7e]{1,32}$/.test(value);
		case 'time':
			return eachPart(value, TIME_PART);
		case 'date':
			return eachPart(value, DATE_PART);
		case 'amount':
			return /^(?:[¥￥$€£]\d{1,10}(?:\.\d{1,2})?元?|\d{1,10}(?:\.\d{1,2})?元)$/.test(value);
		case 'phone_number':
			return /^[\d+\-()\s]{1,17}$/.test(value);
		case 'car_number':
			return length(value) <= 8 && /^[\p{Script=Han}A-Z0-9]?[A-Z0-9]*[\p{Script=Han}A-Z0-9]?$/u.test(value);
		case 'name':
			// Mixed text counts as Chinese (the 10-character limit).
			return HAN.test(value) ? length(value) <= 10 : /^\D{1,20}$/u.test(value);
		case 'phrase':
			return /^\p{Script=Han}{1,5}$/u.test(value);
		case 'enum':
			return (enumValues ?? []).includes(value);
		default:
			return length(value) <= 20;
	}
}
