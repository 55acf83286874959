/**
 * Aho–Corasick automaton over UTF-16 code units: finds every occurrence of every pattern in one
 * pass over the text, whatever the number of patterns (docs/autoreply.md, "Keyword rules": for
 * 10,000 keywords some hundred times faster per message than an `includes` loop). Building it
 * costs far more than one search, so callers keep it (see keywordRules.ts).
 *
 * Patterns are matched exactly as given: normalise them and the text the same way first.
 * Code units rather than code points: a pattern is a whole string, so a match can only start and
 * end where the pattern's own code points do.
 */

export interface AhoCorasickMatch {
	/** Index of the pattern in the list given to the constructor. */
	pattern: number;
	/** Code unit offsets in the text, end exclusive. */
	start: number;
	end: number;
}

const NONE = -1;
/** Occurrences the hit buffer holds at least. */
const MIN_HITS = 512;

export class AhoCorasick {
	/**
	 * Goto function of every state except the root: one open-addressed hash table over typed arrays,
	 * key state × 65536 + code unit, at most half full. Most states have one or two edges, and the
	 * table took a search from 2.5 to 1.0–1.8 µs against a Map per state (bench/README.md).
	 */
	private readonly hashKeys: Float64Array;
	private readonly hashValues: Int32Array;
	private readonly hashMask: number;
	/** The root's goto function as a table (most searches start over at the root). */
	private readonly rootNext = new Int32Array(0x10000).fill(0);
	private readonly fail: Int32Array;
	/** Pattern that ends at each state (patterns are deduplicated) or NONE. */
	private readonly output: Int32Array;
	/** Nearest state on the failure chain that has an output, or NONE. */
	private readonly outputLink: Int32Array;
	/** Number of patterns that end at each state (its own and along `outputLink`). */
	private readonly outputCount: Int32Array;
	/** Length of each pattern in code units. */
	readonly lengths: Int32Array;
	/** For each pattern, the first pattern index with the same text (duplicates report that one's owners). */
	readonly canonical: Int32Array;

	constructor(readonly patterns: readonly string[]) {
		const next: Array<Map<number, number>> = [new Map()];
		const ends: number[] = [NONE];
		this.lengths = new Int32Array(patterns.length);
		this.canonical = new Int32Array(patterns.length);
		for (let p = 0; p < patterns.length; p++) {
			const pattern = patterns[p];
			this.lengths[p] = pattern.length;
			if (pattern.length === 0) {
				this.canonical[p] = p;
				continue;
			}
			let state = 0;
			for (let i = 0; i < pattern.length; i++) {
				const code = pattern.charCodeAt(i);
				let target = next[state].get(code);
				if (target === undefined) {
					target = next.length;
					next.push(new Map());
					ends.push(NONE);
					next[state].set(code, target);
				}
				state = target;
			}
			if (ends[state] === NONE) ends[state] = p;
			this.canonical[p] = ends[state];
		}

		const count = next.length;
		this.fail = new Int32Array(count);
		this.output = Int32Array.from(ends);
		this.outputLink = new Int32Array(count).fill(NONE);
		this.outputCount = new Int32Array(count);

		// Breadth-first, so a state's failure target is final before its children need it.
		const queue = new Int32Array(count);
		let head = 0;
		let tail = 0;
		for (const [code, child] of next[0]) {
			this.rootNext[code] = child;
			this.outputCount[child] = this.output[child] !== NONE ? 1 : 0;
			queue[tail++] = child;
		}
		while (head < tail) {
			const state = queue[head++];
			for (const [code, child] of next[state]) {
				let fallback = this.fail[state];
				let target = this.step(next, fallback, code);
				while (target === undefined && fallback !== 0) {
					fallback = this.fail[fallback];
					target = this.step(next, fallback, code);
				}
				const failure = target ?? 0;
				this.fail[child] = failure;
				const link = this.output[failure] !== NONE ? failure : this.outputLink[failure];
				this.outputLink[child] = link;
				this.outputCount[child] = (this.output[child] !== NONE ? 1 : 0) + (link !== NONE ? this.outputCount[link] : 0);
				queue[tail++] = child;
			}
		}
		// Room for every pattern that can end at one position, and then some: the buffer's size
		// depends on the patterns only, never on the text.
		let longestChain = 0;
		for (let state = 0; state < count; state++) longestChain = Math.max(longestChain, this.outputCount[state]);
		this.hits = new Int32Array(2 * Math.max(MIN_HITS, longestChain));

		let edges = 0;
		for (let state = 1; state < count; state++) edges += next[state].size;
		let size = 16;
		while (size < edges * 2) size *= 2;
		this.hashMask = size - 1;
		this.hashKeys = new Float64Array(size).fill(-1);
		this.hashValues = new Int32Array(size);
		for (let state = 1; state < count; state++) {
			for (const [code, child] of next[state]) {
				const key = state * 0x10000 + code;
				let slot = Math.imul(key ^ (key >>> 15), 0x2c1b3c6d) & this.hashMask;
				while (this.hashKeys[slot] !== -1) slot = (slot + 1) & this.hashMask;
				this.hashKeys[slot] = key;
				this.hashValues[slot] = child;
			}
		}
	}

	/** The state `state` (not the root) goes to on `code`, or NONE. */
	private goto(state: number, code: number): number {
		const { hashKeys, hashMask } = this;
		const key = state * 0x10000 + code;
		let slot = Math.imul(key ^ (key >>> 15), 0x2c1b3c6d) & hashMask;
		for (;;) {
			const found = hashKeys[slot];
			if (found === key) return this.hashValues[slot];
			if (found === -1) return NONE;
			slot = (slot + 1) & hashMask;
		}
	}

	private step(next: Array<Map<number, number>>, state: number, code: number): number | undefined {
		if (state === 0) {
			const target = this.rootNext[code];
			return target === 0 ? undefined : target;
		}
		return next[state].get(code);
	}

	/** Number of states (the trie's size), for diagnostics. */
	get size(): number {
		return this.fail.length;
	}

	/**
	 * Occurrences as pairs in `hits`: hits[2k] the pattern, hits[2k + 1] the end offset, in order of
	 * end offset (for equal ends, longest first; a duplicated pattern under its first index);
	 * returns how many. The buffer is the automaton's own, of a fixed size, and is overwritten by the
	 * next call: when it is full before the text ends, `resumeAt` says so and
	 * `collect(text, true)` gives the next occurrences. A hot loop without a callback (keywordRules).
	 */
	collect(text: string, resume = false): number {
		const { rootNext, fail, output, outputLink, outputCount, hits } = this;
		const room = hits.length >> 1;
		let state = resume ? this.resumeState : 0;
		let i = resume ? this.resumeAt : 0;
		this.resumeAt = -1;
		let count = 0;
		for (; i < text.length; i++) {
			const code = text.charCodeAt(i);
			const from = state;
			for (;;) {
				if (state === 0) {
					state = rootNext[code];
					break;
				}
				const target = this.goto(state, code);
				if (target !== NONE) {
					state = target;
					break;
				}
				state = fail[state];
			}
			if (state === 0) continue;
			if (count + outputCount[state] > room) {
				// Full: this position again, from the state before it, on the next call.
				this.resumeAt = i;
				this.resumeState = from;
				return count;
			}
			let found = output[state] !== NONE ? state : outputLink[state];
			while (found !== NONE) {
				hits[2 * count] = output[found];
				hits[2 * count + 1] = i + 1;
				count++;
				found = outputLink[found];
			}
		}
		return count;
	}

	/** The buffer `collect` fills. */
	readonly hits: Int32Array;
	/** Where the next `collect(text, true)` carries on, or -1 when the last call reached the end of the text. */
	resumeAt = -1;
	private resumeState = 0;

	/** Every occurrence of every pattern (overlapping ones included), as objects: tests and benches. */
	findAll(text: string): AhoCorasickMatch[] {
		const matches: AhoCorasickMatch[] = [];
		let resume = false;
		do {
			const count = this.collect(text, resume);
			for (let h = 0; h < count; h++) {
				const pattern = this.hits[2 * h];
				const end = this.hits[2 * h + 1];
				matches.push({ pattern, start: end - this.lengths[pattern], end });
			}
			resume = this.resumeAt >= 0;
		} while (resume);
		return matches;
	}
}
