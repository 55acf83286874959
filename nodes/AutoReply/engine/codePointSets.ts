/**
 * What a single-character piece of a regular expression matches (a literal, a class, `.`, `\d`,
 * `\p{…}`, under given flags), as ranges of code points, one Unicode plane (65,536 code points)
 * at a time. V8 decides it, so the answer is V8's own case folding and Unicode tables: the piece,
 * repeated (`(?:piece)+`), is run with the `g` flag over a string that holds every code point of
 * the plane once, and each match is one run of code points it accepts. A repeated single character
 * cannot backtrack, and a piece has few runs (`\d` one in the BMP, `\p{L}` some hundreds), so this
 * costs tens of microseconds per piece and plane; the results are kept for the process, a piece
 * like `\d` being shared by every rule that uses it.
 *
 * Ranges are an Int32Array of [start, end) pairs, sorted, as offsets within the plane.
 */

const PLANE_SIZE = 0x10000;
/** Pieces whose ranges are kept (each a few pairs; `\P{L}` a few hundred). */
const MAX_KEPT = 4096;

interface PlaneText {
	text: string;
	/** The offset of the code point at each position of `text` (counted in code points). */
	order: Int32Array;
	/** Code units per code point: 1 in the BMP, 2 outside. */
	width: number;
	/** Positions (in code points) where `order` jumps instead of going up by one. */
	jumps: number[];
}

/**
 * Every code point of `plane` once. In the BMP, low surrogates come before high ones so that no
 * two of them pair up: each then stands alone, as it does in a JavaScript string.
 */
function planeText(plane: number): PlaneText {
	const order = new Int32Array(PLANE_SIZE);
	let jumps: number[] = [];
	if (plane === 0) {
		let at = 0;
		for (let c = 0; c < 0xd800; c++) order[at++] = c;
		for (let c = 0xdc00; c < 0xe000; c++) order[at++] = c;
		for (let c = 0xd800; c < 0xdc00; c++) order[at++] = c;
		for (let c = 0xe000; c < PLANE_SIZE; c++) order[at++] = c;
		jumps = [0xd800, 0xdc00, 0xe000];
	} else {
		for (let c = 0; c < PLANE_SIZE; c++) order[c] = c;
	}
	const chunks: string[] = [];
	for (let i = 0; i < PLANE_SIZE; i += 2048) {
		chunks.push(String.fromCodePoint(...Array.from(order.subarray(i, i + 2048), (c) => plane * PLANE_SIZE + c)));
	}
	return { text: chunks.join(''), order, width: plane === 0 ? 1 : 2, jumps };
}

const kept = new Map<string, Array<Int32Array | undefined>>();
/** Built on first use (about 0.5 MB with `order`): the BMP's, and the last astral plane's. */
let bmp: PlaneText | undefined;
let astral: { plane: number; text: PlaneText } | undefined;

/** What `piece` (one character, with `flags` such as "iu") matches in `plane`. */
export function pieceRanges(piece: string, flags: string, plane: number): Int32Array {
	const key = `${flags}/${piece}`;
	let planes = kept.get(key);
	const known = planes?.[plane];
	if (known) return known;
	if (!planes) {
		if (kept.size >= MAX_KEPT) kept.delete(kept.keys().next().value as string);
		planes = [];
		kept.set(key, planes);
	}
	let source: PlaneText;
	if (plane === 0) {
		source = bmp ??= planeText(0);
	} else {
		if (astral?.plane !== plane) astral = { plane, text: planeText(plane) };
		source = astral.text;
	}
	const { text, order, width, jumps } = source;
	const runs = new RegExp(`(?:${piece})+`, `${flags}g`);
	const pieces: Array<[number, number]> = [];
	for (let found = runs.exec(text); found; found = runs.exec(text)) {
		let from = found.index / width;
		const to = from + found[0].length / width;
		for (const jump of jumps) {
			if (from < jump && jump < to) {
				pieces.push([order[from], order[jump - 1] + 1]);
				from = jump;
			}
		}
		pieces.push([order[from], order[to - 1] + 1]);
	}
	pieces.sort((a, b) => a[0] - b[0]);
	const ranges: number[] = [];
	for (const [from, to] of pieces) {
		if (ranges.length > 0 && ranges[ranges.length - 1] === from) ranges[ranges.length - 1] = to;
		else ranges.push(from, to);
	}
	const result = Int32Array.from(ranges);
	planes[plane] = result;
	return result;
}
