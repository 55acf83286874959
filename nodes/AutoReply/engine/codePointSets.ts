/**
 * What a single-character piece of a regular expression matches (a literal, a class, `.`, `\d`,
 * `\p{…}`, under given flags), as ranges of code points, one Unicode plane (65,536 code points)
 * at a time. V8 decides it, so the answer is V8's own case folding and Unicode tables: the piece is
 * run once, with the `g` flag, over a string that holds every code point of the plane, and the
 * characters it matched are read back. A piece matches one character, so this cannot backtrack;
 * it costs 0.5–4 ms per piece and plane (bench/README.md), paid once per process: the results are
 * kept, a piece like `\d` being shared by every rule that uses it.
 *
 * Ranges are an Int32Array of [start, end) pairs, sorted, as offsets within the plane.
 */

const PLANE_SIZE = 0x10000;
/** Pieces whose ranges are kept (each a few pairs; `\P{L}` a few hundred). */
const MAX_KEPT = 4096;

const kept = new Map<string, Array<Int32Array | undefined>>();
let planeText: { plane: number; text: string; codeUnits: number } | undefined;

/**
 * Every code point of `plane` once, in an order where no two surrogates pair up (for the BMP: low
 * surrogates before high ones, each then stands alone as in a JavaScript string), with
 * `codeUnits` per code point (1 in the BMP, 2 outside).
 */
function everyCodePoint(plane: number): { text: string; order: Int32Array; codeUnits: number } {
	const order = new Int32Array(PLANE_SIZE);
	if (plane === 0) {
		let at = 0;
		for (let c = 0; c < 0xd800; c++) order[at++] = c;
		for (let c = 0xdc00; c < 0xe000; c++) order[at++] = c;
		for (let c = 0xd800; c < 0xdc00; c++) order[at++] = c;
		for (let c = 0xe000; c < PLANE_SIZE; c++) order[at++] = c;
	} else {
		for (let c = 0; c < PLANE_SIZE; c++) order[c] = c;
	}
	const chunks: string[] = [];
	for (let i = 0; i < PLANE_SIZE; i += 2048) {
		chunks.push(String.fromCodePoint(...Array.from(order.subarray(i, i + 2048), (c) => plane * PLANE_SIZE + c)));
	}
	return { text: chunks.join(''), order, codeUnits: plane === 0 ? 1 : 2 };
}

const bmp = everyCodePoint(0);
const astralOrder = Int32Array.from({ length: PLANE_SIZE }, (_, c) => c);

const UNMARKED = /[^\0]/g;

/**
 * The code points of the plane's text that were replaced by NUL, as sorted [start, end) ranges of
 * offsets. The BMP text starts with NUL itself, so whether NUL matched is given (`nulMatches`).
 */
function markedRanges(marked: string, order: Int32Array, codeUnits: number, nulMatches: boolean): Int32Array {
	const isBmp = codeUnits === 1;
	// Where the BMP text's order jumps (around the surrogates): a run is cut there.
	const jumps = isBmp ? [0xd800, 0xdc00, 0xe000] : [];
	const pieces: Array<[number, number]> = nulMatches ? [[0, 1]] : [];
	for (let at = marked.indexOf('\0', isBmp ? 1 : 0); at >= 0; ) {
		UNMARKED.lastIndex = at;
		const end = UNMARKED.exec(marked)?.index ?? marked.length;
		let from = at / codeUnits;
		const to = end / codeUnits;
		for (const jump of jumps) {
			if (from < jump && jump < to) {
				pieces.push([order[from], order[jump - 1] + 1]);
				from = jump;
			}
		}
		pieces.push([order[from], order[to - 1] + 1]);
		at = end < marked.length ? marked.indexOf('\0', end) : -1;
	}
	pieces.sort((a, b) => a[0] - b[0]);
	const ranges: number[] = [];
	for (const [from, to] of pieces) {
		if (ranges.length > 0 && ranges[ranges.length - 1] === from) ranges[ranges.length - 1] = to;
		else ranges.push(from, to);
	}
	return Int32Array.from(ranges);
}

/** The complement of sorted [start, end) ranges within one plane. */
function complement(ranges: Int32Array): Int32Array {
	const out: number[] = [];
	let from = 0;
	for (let i = 0; i < ranges.length; i += 2) {
		if (ranges[i] > from) out.push(from, ranges[i]);
		from = ranges[i + 1];
	}
	if (from < PLANE_SIZE) out.push(from, PLANE_SIZE);
	return Int32Array.from(out);
}

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
	const single = new RegExp(`^(?:${piece})$`, flags);
	// Replacing costs per match: a piece that matches most characters (`.`, `[^a]`) is run as its
	// complement, which matches few.
	let sampled = 0;
	for (let c = 0; c < PLANE_SIZE; c += 257) if (single.test(String.fromCodePoint(plane * PLANE_SIZE + c))) sampled++;
	const broad = sampled > 128;
	const scanner = broad ? new RegExp(`(?!${piece})[^]`, `${flags}g`) : new RegExp(piece, `${flags}g`);
	let source = plane === 0 ? bmp : undefined;
	if (!source) {
		if (planeText?.plane !== plane) {
			const built = everyCodePoint(plane);
			planeText = { plane, text: built.text, codeUnits: built.codeUnits };
		}
		source = { text: planeText.text, order: astralOrder, codeUnits: planeText.codeUnits };
	}
	const nulMatches = plane === 0 && single.test('\0') !== broad;
	const marked = source.text.replace(scanner, source.codeUnits === 1 ? '\0' : '\0\0');
	const found = markedRanges(marked, source.order, source.codeUnits, nulMatches);
	const ranges = broad ? complement(found) : found;
	planes[plane] = ranges;
	return ranges;
}

/** Whether sorted [start, end) `ranges` hold `offset`. */
export function rangesHold(ranges: Int32Array, offset: number): boolean {
	let low = 0;
	let high = ranges.length >> 1;
	while (low < high) {
		const mid = (low + high) >> 1;
		if (ranges[2 * mid + 1] <= offset) low = mid + 1;
		else high = mid;
	}
	return low < ranges.length >> 1 && ranges[2 * low] <= offset;
}
