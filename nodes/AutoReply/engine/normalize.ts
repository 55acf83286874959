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

/** The normal form used for keyword, hand-off and FAQ matching. */
export function normalizeText(text: string): string {
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
