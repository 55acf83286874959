import {
	ASSERT,
	ATOM,
	compilePattern,
	INPUT_END,
	INPUT_START,
	IS_LINE_TERMINATOR,
	IS_WORD,
	IS_WORD_I,
	LINE_END,
	LINE_START,
	LOOK,
	NOT_WORD_BOUNDARY,
	NOT_WORD_BOUNDARY_I,
	SPLIT,
	skipperFor,
	startsAnchored,
	TRAIT_PIECES,
	WORD_BOUNDARY,
	WORD_BOUNDARY_I,
	type Piece,
	type Program,
} from './regexProgram';
import { pieceRanges } from './codePointSets';

/**
 * Regular expressions of keyword rules, matched in time linear in the text: operators write them,
 * customers write the text, and V8's own engine backtracks (`^(\d+\s?)+$` on 40 digits and an "x"
 * runs for hours and blocks the whole n8n process). V8 cannot be interrupted from a community node
 * (node:vm and worker_threads are outside what n8n's rules for community nodes allow), so the
 * pattern runs here instead, as an automaton (regexProgram.ts) whose every alternative is followed
 * at once: a character costs at most one step per instruction, whatever the pattern.
 * docs/autoreply.md has the reasoning and the measurements.
 *
 * The meaning stays V8's: V8 compiles the pattern first (an invalid one fails exactly as before),
 * and what each single-character piece (a literal, a class, `.`, `\d`, `\p{…}`) matches is V8's
 * answer for every code point (codePointSets.ts). Lookahead and lookbehind are kept: each is a
 * table over the text's positions, filled in one extra pass. To be fast as well:
 * - the sets of instructions met while reading texts are kept as the states of a deterministic
 *   automaton with their transitions, built as texts need them (as RE2 does), so a character
 *   usually costs one array read;
 * - while nothing is under way, V8 looks for the next character that can start a match (a union of
 *   single characters, which it matches in one pass), so text no rule cares about is skipped.
 * Each run has a limit (RegexLimit): past it, the outcome is 'timedOut' and the caller moves on.
 */

export type RegexOutcome = 'match' | 'noMatch' | 'timedOut';

/**
 * How long one pattern may run on one text: `milliseconds`, or `steps` automaton steps, whichever
 * comes first. A step is one instruction followed at one position, one cached transition or one
 * character skipped, a few nanoseconds. The step bound makes the outcome the same on every machine,
 * the clock keeps it short on a slow or busy one. The clock is read every STEPS_PER_CHECK steps,
 * starting at the first check, so a run that ends before it (nearly all) never reads the clock.
 */
export interface RegexLimit {
	milliseconds: number;
	steps: number;
}

const UNLIMITED: RegexLimit = { milliseconds: Infinity, steps: Infinity };

/** The clock is read once per this many steps. */
const STEPS_PER_CHECK = 1 << 14;
/** Code points whose class each pattern keeps at hand (a power of two). */
const RECENT_SIZE = 256;
/** Array entries of the cached automaton per pattern (thread sets and transitions): a few hundred KB at most. */
const MAX_CACHE_ENTRIES = 32 * 1024;
/** Cache flushes in one text after which the rest of it is simulated without the cache. */
const MAX_FLUSHES_PER_TEXT = 4;

/**
 * A state of the cached automaton: the set of instructions waiting at a position (before their
 * closure), and the traits of the character just read (for \b and multiline anchors). `next[class]`
 * is the state after reading a character of that class, ACCEPTED when the pattern matches at the
 * position before it, or undefined until first needed.
 */
interface CachedState {
	pending: Int32Array;
	traits: number;
	/** Position 0: ^ holds and the program starts there even if anchored. */
	initial: boolean;
	next: Array<CachedState | undefined>;
	/** Whether the program matches at the end of the text from this state, once known. */
	atEnd?: boolean;
}

const NOTHING = new Int32Array(0);
const ACCEPTED: CachedState = {
	pending: NOTHING,
	traits: 0,
	initial: false,
	next: [],
};

export class LinearRegex {
	private readonly main: Program;
	private readonly looks: Array<{
		program: Program;
		ahead: boolean;
		negate: boolean;
	}>;
	/** Atoms of the pattern; the pieces after them tell the traits. */
	private readonly atomCount: number;
	/** Every way through the pattern starts with ^ (without the m flag): a match can only start at 0. */
	private readonly anchored: boolean;

	/**
	 * Characters sorted into classes that no atom tells apart: per class, one byte per atom (1 if
	 * it accepts the class) and then the traits. A plane's code points are cut into segments where
	 * some atom starts or stops matching, and each segment is one class; planes 0 (BMP) and 1
	 * (emoji) are cut when the pattern is compiled, the others when a text first needs them.
	 */
	private readonly pieces: Piece[];
	private readonly classRows: Uint8Array[] = [];
	private readonly classIndex = new Map<string, number>();
	private readonly planes: Array<{ starts: Int32Array; classes: Int32Array } | undefined> = [];
	private readonly asciiClass = new Int32Array(128);
	private readonly recentCodePoints = new Int32Array(RECENT_SIZE).fill(-1);
	private readonly recentClasses = new Int32Array(RECENT_SIZE);

	/**
	 * The automaton over sets of instructions, built lazily as texts need it, as RE2 does: a
	 * character then costs one array read instead of a walk over every live instruction. States
	 * are kept by a hash of their instruction set. Lookarounds read tables of the text, so a
	 * pattern with one is simulated without the cache.
	 */
	private cache = new Map<number, CachedState[]>();
	private cacheEntries = 0;
	/** Flushes so far (per pattern, not per text): a state from before a flush is no longer in the cache. */
	private flushes = 0;
	private flushesBeforeText = 0;
	private initialState: CachedState | undefined;
	private initialFlushes = 0;
	private idleStates: CachedState[] = [];
	private idleFlushes = 0;
	/**
	 * Finds the next character that can start a match (any of the atoms a match can begin with),
	 * for a pattern that cannot match without reading one: most rules start with a literal, and
	 * most messages match no rule, so most of a text is skipped at V8's speed. It is a union of
	 * single characters, which V8 matches in one pass without backtracking.
	 */
	private readonly skipper: RegExp | undefined;

	private steps = 0;
	private nextCheck = 0;
	private limit = UNLIMITED;
	/** Date.now() past which the run stops; set at the first clock check. */
	private deadline = Infinity;
	/** Set by `expand`. */
	private matched = false;
	/** Set by `spend` once the limit is passed: the text's outcome is then 'timedOut'. */
	private timedOut = false;

	/** Throws V8's SyntaxError for an invalid pattern, UnsupportedRegexError for one it cannot run. */
	constructor(readonly source: string) {
		new RegExp(source, 'iu'); // V8 decides what is valid, with its own error message
		const { main, looks, atoms } = compilePattern(source);
		this.main = main;
		this.looks = looks;
		this.atomCount = atoms.length;
		const usesTraits = main.usesTraits || looks.some((look) => look.program.usesTraits);
		this.pieces = [...atoms, ...(usesTraits ? TRAIT_PIECES.map(([, piece]) => piece) : [])];
		this.anchored = startsAnchored(main);
		this.skipper = this.anchored || looks.length > 0 ? undefined : skipperFor(main, atoms);
		this.cutPlane(0);
		this.cutPlane(1);
		for (let c = 0; c < 128; c++) this.asciiClass[c] = this.segmentClass(c);
	}

	/** Whether the pattern occurs in `text`, or 'timedOut' when it would run past `limit`. */
	test(text: string, limit: RegexLimit = UNLIMITED): RegexOutcome {
		this.limit = limit;
		this.deadline = Infinity;
		this.steps = 0;
		this.nextCheck = STEPS_PER_CHECK;
		this.flushesBeforeText = this.flushes;
		this.timedOut = false;
		let matched: boolean;
		if (this.looks.length === 0) {
			matched = this.run(text);
		} else {
			const tables = this.looks.map(() => new Uint8Array(text.length + 1));
			for (let k = 0; k < this.looks.length && !this.timedOut; k++) {
				const look = this.looks[k];
				this.scan(look.program, text, !look.ahead, true, tables, look.ahead ? text.length : 0, NOTHING, tables[k]);
				if (look.negate) for (let p = 0; p <= text.length; p++) tables[k][p] ^= 1;
			}
			matched = !this.timedOut && this.scan(this.main, text, true, !this.anchored, tables, 0, NOTHING);
		}
		return this.timedOut ? 'timedOut' : matched ? 'match' : 'noMatch';
	}

	/**
	 * Counts `steps`; past the limit, sets `timedOut`, which every loop over the text checks once
	 * per character (an exception would do, but n8n's rules for community nodes want every error
	 * thrown in a catch block to be a node error).
	 */
	private spend(steps: number): void {
		this.steps += steps;
		if (this.steps < this.nextCheck) return;
		this.nextCheck = this.steps + STEPS_PER_CHECK;
		const now = Date.now();
		if (this.deadline === Infinity) this.deadline = now + this.limit.milliseconds;
		if (this.steps > this.limit.steps || now > this.deadline) this.timedOut = true;
	}

	/** The class of a code point. */
	private classFor(codePoint: number): number {
		if (codePoint < 128) return this.asciiClass[codePoint];
		// A small direct-mapped memory in front of the binary search: a chat reuses its characters.
		const slot = codePoint & (RECENT_SIZE - 1);
		if (this.recentCodePoints[slot] === codePoint) return this.recentClasses[slot];
		const classId = this.segmentClass(codePoint);
		this.recentCodePoints[slot] = codePoint;
		this.recentClasses[slot] = classId;
		return classId;
	}

	private segmentClass(codePoint: number): number {
		const plane = this.planes[codePoint >>> 16] ?? this.cutPlane(codePoint >>> 16);
		const { starts } = plane;
		const offset = codePoint & 0xffff;
		// The last segment that starts at or before the offset (starts[0] is 0).
		let low = 0;
		let high = starts.length - 1;
		while (low < high) {
			const mid = (low + high + 1) >> 1;
			if (starts[mid] <= offset) low = mid;
			else high = mid - 1;
		}
		return plane.classes[low];
	}

	/** Cuts a plane into segments of code points every atom treats alike, and gives each its class. */
	private cutPlane(plane: number): { starts: Int32Array; classes: Int32Array } {
		const ranges = this.pieces.map(({ piece, flags }) => pieceRanges(piece, flags, plane));
		const cuts = new Set<number>([0]);
		for (const pieceRanges of ranges) for (const bound of pieceRanges) if (bound < 0x10000) cuts.add(bound);
		const starts = Int32Array.from(cuts).sort();
		const classes = new Int32Array(starts.length);
		const atoms = this.atomCount;
		// Each piece's ranges are walked once, alongside the segments.
		const next = new Int32Array(ranges.length);
		for (let segment = 0; segment < starts.length; segment++) {
			const offset = starts[segment];
			const row = new Uint8Array(atoms + 1);
			for (let r = 0; r < ranges.length; r++) {
				const pieceRanges = ranges[r];
				while (next[r] < pieceRanges.length && pieceRanges[next[r] + 1] <= offset) next[r] += 2;
				const inside = next[r] < pieceRanges.length && pieceRanges[next[r]] <= offset;
				if (r < atoms) row[r] = inside ? 1 : 0;
				else if (inside) row[atoms] |= TRAIT_PIECES[r - atoms][0];
			}
			const key = String.fromCharCode(...row);
			let id = this.classIndex.get(key);
			if (id === undefined) {
				id = this.classRows.length;
				this.classRows.push(row);
				this.classIndex.set(key, id);
			}
			classes[segment] = id;
		}
		const cut = { starts, classes };
		this.planes[plane] = cut;
		// Paid by the text that needs the plane (V8 scans each piece over the plane once per process).
		this.spend(ranges.length * 1000 + starts.length);
		return cut;
	}

	private flushCache(): void {
		this.cache = new Map();
		this.cacheEntries = 0;
		this.flushes++;
	}

	private traits(codePoint: number): number {
		return codePoint < 0 ? 0 : this.traitsOfClass(this.classFor(codePoint));
	}

	/**
	 * The instructions of `program` that consume a character at position `at`, from the `count`
	 * instructions waiting in `program.pending` (and the start, if `restart`), followed through
	 * splits and assertions; into `program.consuming`, and their number is returned. Sets
	 * `this.matched` when the program matches at `at` (and stops there if `stopAtMatch`).
	 */
	private expand(
		program: Program,
		count: number,
		restart: boolean,
		at: Position,
		tables: Uint8Array[],
		stopAtMatch: boolean,
	): number {
		const { op, arg, next, alt, stack, seen, pending, consuming } = program;
		if (++program.generation === 0x40000000) {
			seen.fill(0);
			program.generation = 1;
		}
		const generation = program.generation;
		this.matched = false;
		let added = 0;
		let visited = 0;
		let top = 0;
		// An instruction is marked when pushed, so the stack never holds more than the program.
		for (let t = 0; t <= count; t++) {
			const first = t < count ? pending[t] : restart ? program.start : -1;
			if (first < 0 || seen[first] === generation) continue;
			seen[first] = generation;
			stack[top++] = first;
			while (top > 0) {
				const pc = stack[--top];
				visited++;
				const code = op[pc];
				let to = -1;
				if (code === ATOM) consuming[added++] = pc;
				else if (code === SPLIT) {
					const other = alt[pc];
					if (seen[other] !== generation) {
						seen[other] = generation;
						stack[top++] = other;
					}
					to = next[pc];
				} else if (code === ASSERT) {
					if (holds(arg[pc], at, tables)) to = next[pc];
				} else {
					this.matched = true;
					if (stopAtMatch) {
						this.spend(visited);
						return added;
					}
				}
				if (to >= 0 && seen[to] !== generation) {
					seen[to] = generation;
					stack[top++] = to;
				}
			}
		}
		this.spend(visited + 1);
		return added;
	}

	/** Reads a character of class `classId`: the instructions it lets through go to `program.pending`. */
	private advance(program: Program, added: number, classId: number): number {
		const { arg, next, pending, consuming } = program;
		const row = this.classRows[classId];
		let count = 0;
		for (let t = 0; t < added; t++) {
			const pc = consuming[t];
			if (row[arg[pc]] === 1) pending[count++] = next[pc];
		}
		return count;
	}

	/**
	 * Runs `program` over `text` without the cache, from position `from` with the instructions
	 * `waiting` there. `restart` starts the program anew at every position (at 0 in any case).
	 * Without `record`, it returns at the first position where the program matches; with it, it
	 * marks every position where a match ends (forward: a lookbehind's program) or starts
	 * (backward: a lookahead's program, compiled reversed) and reads the whole text.
	 */
	private scan(
		program: Program,
		text: string,
		forward: boolean,
		restart: boolean,
		tables: Uint8Array[],
		from: number,
		waiting: Int32Array,
		record?: Uint8Array,
	): boolean {
		const length = text.length;
		let p = from;
		let count = waiting.length;
		program.pending.set(waiting);
		const at: Position = { p, length, before: 0, after: 0 };
		for (;;) {
			at.p = p;
			if (program.usesTraits) {
				at.before = this.traits(codePointBefore(text, p));
				at.after = this.traits(p < length ? (text.codePointAt(p) ?? 0) : -1);
			}
			const added = this.expand(program, count, restart || p === 0, at, tables, !record);
			if (this.matched) {
				if (!record) return true;
				record[p] = 1;
			}
			if ((forward ? p >= length : p <= 0) || this.timedOut) return false;
			const codePoint = forward ? (text.codePointAt(p) ?? 0) : codePointBefore(text, p);
			count = this.advance(program, added, this.classFor(codePoint));
			if (!restart && count === 0) return false;
			const width = codePoint > 0xffff ? 2 : 1;
			p += forward ? width : -width;
		}
	}

	/** The main program over `text` (no lookarounds), through the cached automaton. */
	private run(text: string): boolean {
		const program = this.main;
		const length = text.length;
		const restart = !this.anchored;
		if (length === 0) return this.acceptsAtEnd(this.initial, 0);
		let flushes = this.flushes;
		const first = text.codePointAt(0) ?? 0;
		let classId = this.classFor(first);
		let state = this.initial.next[classId] ?? this.transition(this.initial, classId);
		if (state === ACCEPTED) return true;
		let p = first > 0xffff ? 2 : 1;
		const { skipper } = this;
		// Where the skipper is worth asking again: where it found nothing to skip, it waits twice as
		// long each time (a pattern that starts with `.` or \w would otherwise be asked at every character).
		let skipFrom = 0;
		let backOff = 1;
		while (p < length) {
			if (this.timedOut) return false;
			if (state.pending.length === 0) {
				if (!restart) return false;
				if (skipper && p >= skipFrom) {
					// Nothing under way: V8 finds the next character that can start a match.
					skipper.lastIndex = p;
					if (!skipper.test(text)) {
						this.spend(length - p);
						return false;
					}
					const end = skipper.lastIndex;
					const start = end - (end - p >= 2 && isSurrogatePair(text, end - 2) ? 2 : 1);
					if (start > p) {
						this.spend(start - p);
						p = start;
						state = this.idle(program.usesTraits ? this.traits(codePointBefore(text, p)) : 0);
						backOff = 1;
					} else {
						skipFrom = p + backOff;
						backOff = Math.min(backOff * 2, 256);
					}
				}
			}
			const codePoint = text.codePointAt(p) ?? 0;
			classId = this.classFor(codePoint);
			if (this.flushes !== flushes) {
				// The cache started over: carry on from this state's copy in the new cache, so the old
				// states can go.
				if (this.flushes - this.flushesBeforeText > MAX_FLUSHES_PER_TEXT) {
					return this.scan(program, text, true, restart, [], p, state.pending);
				}
				state = this.state(state.pending, state.pending.length, state.traits, false);
				flushes = this.flushes;
			}
			const target = state.next[classId] ?? this.transition(state, classId);
			if (target === ACCEPTED) return true;
			state = target;
			if (++this.steps >= this.nextCheck) this.spend(0);
			p += codePoint > 0xffff ? 2 : 1;
		}
		return this.acceptsAtEnd(state, length);
	}

	/** Whether the program matches at the end of the text (where $ holds), from `state` there. */
	private acceptsAtEnd(state: CachedState, length: number): boolean {
		if (state.atEnd === undefined) {
			const program = this.main;
			program.pending.set(state.pending);
			const at: Position = {
				p: length,
				length,
				before: state.traits,
				after: 0,
			};
			this.expand(program, state.pending.length, state.initial || !this.anchored, at, [], true);
			state.atEnd = this.matched;
		}
		return state.atEnd;
	}

	/** Where `state` goes on a character of class `classId`. */
	private transition(state: CachedState, classId: number): CachedState {
		const program = this.main;
		program.pending.set(state.pending);
		// The initial state is at position 0, where ^ holds; any other is inside the text (p = 1
		// against a length of -1: neither start nor end).
		const at: Position = state.initial
			? { p: 0, length: -1, before: 0, after: this.traitsOfClass(classId) }
			: {
					p: 1,
					length: -1,
					before: state.traits,
					after: this.traitsOfClass(classId),
				};
		const added = this.expand(program, state.pending.length, state.initial || !this.anchored, at, [], true);
		const target = this.matched
			? ACCEPTED
			: this.state(program.pending, this.advance(program, added, classId), at.after, false);
		state.next[classId] = target;
		this.cacheEntries++;
		return target;
	}

	/** The cached state for the first `count` instructions of `pending` after a character with `traits`. */
	private state(pending: Int32Array, count: number, traits: number, initial: boolean): CachedState {
		const kept = this.main.usesTraits ? traits : 0;
		const sorted = pending.slice(0, count).sort();
		let size = 0;
		for (let i = 0; i < count; i++) if (i === 0 || sorted[i] !== sorted[i - 1]) sorted[size++] = sorted[i];
		const members = sorted.subarray(0, size);
		let hash = initial ? -1 : kept;
		for (let i = 0; i < size; i++) hash = Math.imul(hash ^ members[i], 0x01000193);
		this.spend(size);
		const bucket = this.cache.get(hash);
		const found = bucket?.find(
			(state) => state.initial === initial && state.traits === kept && sameMembers(state.pending, members),
		);
		if (found) return found;
		if (this.cacheEntries > MAX_CACHE_ENTRIES) this.flushCache();
		const state: CachedState = {
			pending: members.slice(),
			traits: kept,
			initial,
			next: [],
		};
		const list = this.cache.get(hash);
		if (list) list.push(state);
		else this.cache.set(hash, [state]);
		this.cacheEntries += size + 4;
		return state;
	}

	/** The state with nothing under way after a character with `traits` (one per traits value). */
	private idle(traits: number): CachedState {
		if (this.idleFlushes !== this.flushes) {
			this.idleStates = [];
			this.idleFlushes = this.flushes;
		}
		return (this.idleStates[traits] ??= this.state(NOTHING, 0, traits, false));
	}

	/** The state at position 0 of every text (kept apart from the cache's map: it is needed for every text). */
	private get initial(): CachedState {
		if (!this.initialState || this.initialFlushes !== this.flushes) {
			this.initialState = this.state(NOTHING, 0, 0, true);
			this.initialFlushes = this.flushes;
		}
		return this.initialState;
	}

	private traitsOfClass(classId: number): number {
		return this.classRows[classId][this.atomCount];
	}
}

/** A position in a text, with the traits of the characters on either side (0 at an edge). */
interface Position {
	p: number;
	length: number;
	before: number;
	after: number;
}

function isSurrogatePair(text: string, at: number): boolean {
	const high = text.charCodeAt(at);
	const low = text.charCodeAt(at + 1);
	return high >= 0xd800 && high <= 0xdbff && low >= 0xdc00 && low <= 0xdfff;
}

function sameMembers(a: Int32Array, b: Int32Array): boolean {
	if (a.length !== b.length) return false;
	for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
	return true;
}

function codePointBefore(text: string, p: number): number {
	if (p <= 0) return -1;
	const low = text.charCodeAt(p - 1);
	if (low >= 0xdc00 && low <= 0xdfff && p >= 2) {
		const high = text.charCodeAt(p - 2);
		if (high >= 0xd800 && high <= 0xdbff) return (high - 0xd800) * 0x400 + (low - 0xdc00) + 0x10000;
	}
	return low;
}

function holds(kind: number, at: Position, tables: Uint8Array[]): boolean {
	const { before, after } = at;
	switch (kind) {
		case INPUT_START:
			return at.p === 0;
		case INPUT_END:
			return at.p === at.length;
		case LINE_START:
			return at.p === 0 || (before & IS_LINE_TERMINATOR) !== 0;
		case LINE_END:
			return at.p === at.length || (after & IS_LINE_TERMINATOR) !== 0;
		case WORD_BOUNDARY:
			return ((before & IS_WORD) !== 0) !== ((after & IS_WORD) !== 0);
		case NOT_WORD_BOUNDARY:
			return ((before & IS_WORD) !== 0) === ((after & IS_WORD) !== 0);
		case WORD_BOUNDARY_I:
			return ((before & IS_WORD_I) !== 0) !== ((after & IS_WORD_I) !== 0);
		case NOT_WORD_BOUNDARY_I:
			return ((before & IS_WORD_I) !== 0) === ((after & IS_WORD_I) !== 0);
		default:
			return tables[kind - LOOK][at.p] === 1;
	}
}
