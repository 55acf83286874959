/**
 * One normal form for everything the AutoReply node compares (message text, keywords, hand-off
 * words, FAQ questions), so that what a customer types on a phone keyboard matches what an
 * operator typed in the editor:
 *
 * - NFKC: full-width letters, digits and punctuation become half-width (ＶＩＰ → VIP, ！ → !), the
 *   ideographic space becomes a space, compatibility forms (㎏, ①) their plain letters;
 * - lower case;
 * - punctuation and white space are separators, and a separator survives only as one space between
 *   two Latin/digit words: "转 人 工" and "转人工！" both become "转人工", "Human   Agent" "human agent".
 */

/** Scripts written without spaces between words: a space next to them separates nothing. */
const UNSPACED = '\\p{Script=Han}\\p{Script=Hiragana}\\p{Script=Katakana}\\p{Script=Hangul}';
const WORD = `(?:(?![${UNSPACED}])[\\p{L}\\p{N}])`;

const SEPARATORS = /[\s\p{P}]+/gu;
const WORD_CHAR = new RegExp(`^${WORD}$`, 'u');

/**
 * Matching (hand-off words, keyword rules, FAQ) looks at the first 4,000 characters of a message
 * (UTF-16 code units) and no further, so a 100 KB message costs what a 4 KB one does. A customer
 * message is rarely longer than a few hundred characters; the cap is there for the ones that are
 * pasted or forged. The item keeps its whole text.
 */
export const MATCH_TEXT_LIMIT = 4000;

/** The part of a message that matching sees: `text` cut to MATCH_TEXT_LIMIT, never inside a surrogate pair. */
export function textForMatching(text: string): string {
	if (text.length <= MATCH_TEXT_LIMIT) return text;
	const last = text.charCodeAt(MATCH_TEXT_LIMIT - 1);
	return text.slice(0, last >= 0xd800 && last <= 0xdbff ? MATCH_TEXT_LIMIT - 1 : MATCH_TEXT_LIMIT);
}

/** The normal form used for keyword, hand-off and FAQ matching. */
export function normalizeText(text: string): string {
	return normalizeCommon(text) ?? normalizeGeneral(text);
}

/**
 * What each ASCII character is after NFKC and lower case: white space and punctuation (\s, \p{P})
 * separate; symbols such as $ + < = > ^ ` | ~ are kept like any character (not \p{P}); other
 * control characters are left to the general path.
 */
const SEPARATOR = 1;
const KEPT = 2;
const WORD_LETTER = 3;
const ASCII_CLASS = new Uint8Array(128);
for (let code = 0; code < 128; code++) {
	const character = String.fromCharCode(code);
	if (/[\s\p{P}]/u.test(character)) ASCII_CLASS[code] = SEPARATOR;
	else if (/[a-z0-9]/i.test(character)) ASCII_CLASS[code] = WORD_LETTER;
	else if (code >= 0x20 && code < 0x7f) ASCII_CLASS[code] = KEPT;
}

/** A lower-case ASCII letter or digit (the one-pass path lower-cases before it asks). */
function isAsciiWord(code: number): boolean {
	return (code >= 0x30 && code <= 0x39) || (code >= 0x61 && code <= 0x7a);
}

/**
 * The same result as normalizeGeneral for the text customers type nearly always (ASCII, CJK
 * unified ideographs, full-width ASCII forms, CJK punctuation), in one pass without ICU or a
 * Unicode-property regular expression: normalising was most of the time of a keyword match
 * (bench/README.md). Returns undefined at the first character it does not cover, and the general
 * path takes over. Tested against the general path on random text (test/unit/autoreply-engine).
 */
export function normalizeCommon(text: string): string | undefined {
	let out = '';
	// Characters that stay as they are are copied in runs: [runStart, i) of `text`.
	let runStart = 0;
	// Code of the last character written, and whether separators came after it.
	let last = -1;
	let pendingSeparator = false;
	for (let i = 0; i < text.length; i++) {
		const original = text.charCodeAt(i);
		let code = original;
		if (code >= 0xff01 && code <= 0xff5e) code -= 0xfee0; // full-width ASCII → ASCII (NFKC)
		else if (code === 0x3000) code = 0x20; // ideographic space (NFKC)
		let separator = false;
		if (code < 0x80) {
			const kind = ASCII_CLASS[code];
			if (kind === 0) return undefined;
			if (kind === SEPARATOR) separator = true;
			else if (code >= 0x41 && code <= 0x5a) code += 0x20;
		} else if ((code >= 0x3001 && code <= 0x3003) || (code >= 0x3008 && code <= 0x3011) || (code >= 0x3014 && code <= 0x301f)) {
			separator = true; // 、。〃 and the CJK brackets and quotes: punctuation NFKC keeps
		} else if (!(code >= 0x4e00 && code <= 0x9fff)) {
			return undefined;
		}
		if (separator) {
			if (runStart < i) out += text.slice(runStart, i);
			runStart = i + 1;
			pendingSeparator = true;
			continue;
		}
		if (pendingSeparator) {
			// A space survives only between two Latin/digit words (out ends with `last`).
			if (isAsciiWord(last) && isAsciiWord(code)) out += ' ';
			pendingSeparator = false;
		}
		if (code !== original) {
			if (runStart < i) out += text.slice(runStart, i);
			out += String.fromCharCode(code);
			runStart = i + 1;
		}
		last = code;
	}
	if (runStart === 0) return text; // nothing changed, nothing dropped
	if (runStart < text.length) out += text.slice(runStart);
	return out;
}

/** The reference: NFKC, lower case, Unicode separators (exported for the differential test). */
export function normalizeGeneral(text: string): string {
	const spaced = text.normalize('NFKC').toLowerCase().replace(SEPARATORS, ' ').trim();
	if (!spaced.includes(' ')) return spaced;
	// A loop rather than a look-around regular expression: this runs for every message.
	let out = '';
	let from = 0;
	for (let at = spaced.indexOf(' '); at >= 0; at = spaced.indexOf(' ', at + 1)) {
		out += spaced.slice(from, at);
		if (isWordCharAt(spaced, at - 1) && isWordCharAt(spaced, at + 1)) out += ' ';
		from = at + 1;
	}
	return out + spaced.slice(from);
}

/**
 * Whether the code unit(s) around `index` of a normalised text form a Latin/digit word character:
 * a Latin keyword must not start or end inside a word ("hi" must not match "this").
 */
export function isWordCharAt(text: string, index: number): boolean {
	if (index < 0 || index >= text.length) return false;
	const code = text.charCodeAt(index);
	if (code < 0x80) {
		return (code >= 0x30 && code <= 0x39) || (code >= 0x61 && code <= 0x7a) || (code >= 0x41 && code <= 0x5a);
	}
	const codePoint = text.codePointAt(index) ?? code;
	// A low surrogate: look at the whole code point it ends.
	if (code >= 0xdc00 && code <= 0xdfff && index > 0) {
		return WORD_CHAR.test(String.fromCodePoint(text.codePointAt(index - 1) ?? code));
	}
	return WORD_CHAR.test(String.fromCodePoint(codePoint));
}

/** Splits a list typed by a person: commas (also full-width), semicolons and new lines. */
export function splitList(value: string): string[] {
	return value
		.split(/[,，;；、\n\r]+/)
		.map((part) => part.trim())
		.filter((part) => part.length > 0);
}

/** One entry per line (similar questions, regular expressions), blank lines dropped. */
export function splitLines(value: string): string[] {
	return value
		.split(/\r?\n/)
		.map((line) => line.trim())
		.filter((line) => line !== '');
}
