/**
 * Cutting text to a channel's length limit without breaking what the customer sees: never inside a
 * code point (a surrogate pair cut in half becomes U+FFFD on the wire) and, where Intl.Segmenter
 * can tell, never inside a grapheme cluster (an emoji ZWJ sequence such as 👨‍👩‍👧 or a flag
 * cut in half shows as its parts).
 */

/** Grapheme clusters do not depend on a locale; one segmenter serves every call. */
const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/** Bytes of `text` in UTF-8, as WeCom counts them (a lone surrogate is sent as U+FFFD: 3 bytes). */
function utf8Length(text: string): number {
	return Buffer.byteLength(text, 'utf8');
}

/** Longest prefix of `text` made of whole grapheme clusters whose total `size` is at most `max`. */
function cutAtGraphemes(text: string, max: number, size: (segment: string) => number): string {
	let used = 0;
	let end = 0;
	for (const { segment } of graphemes.segment(text)) {
		const cost = size(segment);
		if (used + cost > max) break;
		used += cost;
		end += segment.length;
	}
	return text.slice(0, end);
}

/**
 * Cuts `text` to at most `maxBytes` UTF-8 bytes at a grapheme boundary (a Chinese character is 3
 * bytes, an emoji 4, a ZWJ family emoji 18). Channel limits: channels.ts.
 */
export function truncateUtf8(text: string, maxBytes: number): string {
	// Every UTF-16 code unit is at most 3 bytes: short texts need no count.
	if (text.length * 3 <= maxBytes || utf8Length(text) <= maxBytes) return text;
	return cutAtGraphemes(text, Math.max(0, maxBytes), utf8Length);
}

/**
 * Cuts `text` to at most `maxChars` characters at a grapheme boundary, counting characters as
 * UTF-16 code units (JavaScript's length: an emoji counts 2).
 */
export function truncateChars(text: string, maxChars: number): string {
	if (text.length <= maxChars) return text;
	return cutAtGraphemes(text, Math.max(0, maxChars), (segment) => segment.length);
}

/** Characters as code points: an emoji counts 1, a Chinese character 1 (WeChat's subscribe-message limits). */
export function codePointLength(text: string): number {
	return [...text].length;
}

/** Cuts `text` to at most `maxCodePoints` code points at a grapheme boundary. */
export function truncateCodePoints(text: string, maxCodePoints: number): string {
	if (text.length <= maxCodePoints) return text;
	return cutAtGraphemes(text, Math.max(0, maxCodePoints), codePointLength);
}

/** A channel's limit for one text message. */
export type TextLimit = { unit: 'bytes'; max: number } | { unit: 'chars'; max: number };

/** `text` cut to `limit`, and whether it was cut. */
export function fitToLimit(text: string, limit: TextLimit | undefined): { text: string; truncated: boolean } {
	if (!limit) return { text, truncated: false };
	const cut = limit.unit === 'bytes' ? truncateUtf8(text, limit.max) : truncateChars(text, limit.max);
	return { text: cut, truncated: cut.length !== text.length };
}
