/**
 * A regular expression of a keyword rule as an automaton (linearRegex.ts runs it): the pattern is
 * parsed and compiled to a Thompson automaton, one instruction per character piece, split or
 * assertion. Only `test` is needed (does the pattern occur anywhere in the text?), so capture groups
 * are plain groups and lazy quantifiers are greedy ones: they change which match is reported, never
 * whether there is one.
 *
 * The syntax is JavaScript's with the `u` flag (and `i`). Parsing runs only on patterns V8 has
 * accepted, so it reports no syntax errors; what it refuses (UnsupportedRegexError) is what cannot
 * be run in bounded time and memory: back-references, and patterns whose automaton would be huge.
 */

/** Instructions above which a pattern is refused (a repetition count multiplies the part it repeats). */
export const MAX_PROGRAM_SIZE = 10_000;

/** Groups (and lookarounds) inside one another, at most. */
const MAX_NESTING = 100;

/**
 * Different single-character pieces (literals, classes) in one pattern, at most: what each one
 * matches is worked out when the pattern is compiled (codePointSets.ts), and a long word list is
 * the job of a Contains rule.
 */
export const MAX_PIECES = 500;

/** Characters of one pattern, at most: compiling reads it a few times over, and no rule needs more. */
export const MAX_PATTERN_LENGTH = 10_000;

/** A pattern V8 accepts that this engine cannot run in linear time (back-references) or in bounded memory. */
export class UnsupportedRegexError extends Error {}

// Instructions of the automaton.
export const ATOM = 0; // consume one code point accepted by atom `arg`, go to `next`
export const SPLIT = 1; // go to `next` and to `alt`
export const ASSERT = 2; // go to `next` if assertion `arg` holds at this position
export const MATCH = 3;

// Assertions; LOOK + k is lookaround k.
export const INPUT_START = 0;
export const INPUT_END = 1;
export const LINE_START = 2;
export const LINE_END = 3;
export const WORD_BOUNDARY = 4;
export const NOT_WORD_BOUNDARY = 5;
/** The same two under the `i` flag, where ſ (U+017F) and K (U+212A) count as word characters. */
export const WORD_BOUNDARY_I = 6;
export const NOT_WORD_BOUNDARY_I = 7;
export const LOOK = 8;

// What a code point is, for assertions (bits of a class row's last byte), and the pieces that tell.
export const IS_WORD = 1;
export const IS_WORD_I = 2;
export const IS_LINE_TERMINATOR = 4;
export const TRAIT_PIECES: Array<[number, Piece]> = [
	[IS_WORD, { piece: '\\w', flags: 'u' }],
	[IS_WORD_I, { piece: '\\w', flags: 'iu' }],
	[IS_LINE_TERMINATOR, { piece: '[\\n\\r\\u2028\\u2029]', flags: 'u' }],
];

/** A single-character piece of the pattern as written, with the flags in force where it stands. */
export interface Piece {
	piece: string;
	flags: string;
}

type Node =
	| { type: 'empty' }
	| { type: 'atom'; atom: number }
	| { type: 'assert'; kind: number }
	| { type: 'seq'; items: Node[] }
	| { type: 'alt'; options: Node[] }
	| { type: 'repeat'; body: Node; min: number; max: number };

interface Look {
	ahead: boolean;
	negate: boolean;
	body: Node;
}

interface Flags {
	ignoreCase: boolean;
	multiline: boolean;
	dotAll: boolean;
}

/**
 * Pattern → syntax tree. Runs only on patterns V8 has accepted with the `u` flag, so it does not
 * report syntax errors: anything it does not expect is a pattern it cannot run.
 */
class Parser {
	private at = 0;
	private depth = 0;
	readonly atoms: Piece[] = [];
	private readonly atomIndex = new Map<string, number>();
	readonly looks: Look[] = [];

	constructor(private readonly source: string) {}

	parse(flags: Flags): Node {
		const node = this.disjunction(flags);
		if (this.at < this.source.length) throw this.unsupported(`"${this.source[this.at]}" at ${this.at}`);
		return node;
	}

	private unsupported(what: string): UnsupportedRegexError {
		return new UnsupportedRegexError(`it uses ${what}, which the time-safe matcher cannot run`);
	}

	private peek(offset = 0): string {
		return this.source.charAt(this.at + offset);
	}

	private startsWith(text: string): boolean {
		return this.source.startsWith(text, this.at);
	}

	private disjunction(flags: Flags): Node {
		const options = [this.alternative(flags)];
		while (this.peek() === '|') {
			this.at++;
			options.push(this.alternative(flags));
		}
		return options.length === 1 ? options[0] : { type: 'alt', options };
	}

	private alternative(flags: Flags): Node {
		const items: Node[] = [];
		while (this.at < this.source.length && this.peek() !== '|' && this.peek() !== ')') {
			items.push(this.term(flags));
		}
		if (items.length === 0) return { type: 'empty' };
		return items.length === 1 ? items[0] : { type: 'seq', items };
	}

	private term(flags: Flags): Node {
		const assertion = this.assertion(flags);
		if (assertion) return assertion;
		const atom = this.atom(flags);
		return this.quantified(atom);
	}

	private assertion(flags: Flags): Node | undefined {
		const c = this.peek();
		if (c === '^' || c === '$') {
			this.at++;
			const start = c === '^';
			const kind = flags.multiline ? (start ? LINE_START : LINE_END) : start ? INPUT_START : INPUT_END;
			return { type: 'assert', kind };
		}
		if (this.startsWith('\\b') || this.startsWith('\\B')) {
			const not = this.peek(1) === 'B';
			this.at += 2;
			const kind = flags.ignoreCase
				? not
					? NOT_WORD_BOUNDARY_I
					: WORD_BOUNDARY_I
				: not
					? NOT_WORD_BOUNDARY
					: WORD_BOUNDARY;
			return { type: 'assert', kind };
		}
		for (const [opener, ahead, negate] of [
			['(?=', true, false],
			['(?!', true, true],
			['(?<=', false, false],
			['(?<!', false, true],
		] as const) {
			if (!this.startsWith(opener)) continue;
			this.at += opener.length;
			this.nest();
			const body = this.disjunction(flags);
			this.expect(')');
			this.depth--;
			// Registered after its body: inner lookarounds get lower numbers and are computed first.
			this.looks.push({ ahead, negate, body });
			return { type: 'assert', kind: LOOK + this.looks.length - 1 };
		}
		return undefined;
	}

	private expect(text: string): void {
		if (!this.startsWith(text)) throw this.unsupported(`something unexpected at ${this.at}`);
		this.at += text.length;
	}

	private atom(flags: Flags): Node {
		const c = this.peek();
		if (c === '(') return this.group(flags);
		if (c === '[') return this.characterClass(flags);
		if (c === '.') {
			this.at++;
			return this.single('.', flags);
		}
		if (c === '\\') return this.escape(flags);
		const codePoint = this.source.codePointAt(this.at) ?? 0;
		const literal = String.fromCodePoint(codePoint);
		this.at += literal.length;
		return this.single(literal, flags);
	}

	private group(flags: Flags): Node {
		this.at++;
		this.nest();
		let inner = flags;
		if (this.startsWith('?:')) {
			this.at += 2;
		} else if (this.startsWith('?<')) {
			// A named group (lookbehinds were taken as assertions before).
			const end = this.source.indexOf('>', this.at);
			this.at = end + 1;
		} else if (this.peek() === '?') {
			// Modifiers, (?ims-ims:…): they change the flags of the group's own atoms and anchors.
			const match = /^\?([ims]*)(?:-([ims]*))?:/.exec(this.source.slice(this.at));
			if (!match) throw this.unsupported(`the group at ${this.at - 1}`);
			this.at += match[0].length;
			const on = match[1] ?? '';
			const off = match[2] ?? '';
			const set = (flag: string, current: boolean) => (on.includes(flag) ? true : off.includes(flag) ? false : current);
			inner = {
				ignoreCase: set('i', flags.ignoreCase),
				multiline: set('m', flags.multiline),
				dotAll: set('s', flags.dotAll),
			};
		}
		const body = this.disjunction(inner);
		this.expect(')');
		this.depth--;
		return body;
	}

	/** Groups inside groups: the parser and compiler recurse once per level. */
	private nest(): void {
		if (++this.depth > MAX_NESTING) throw new UnsupportedRegexError(`it nests groups more than ${MAX_NESTING} deep`);
	}

	private characterClass(flags: Flags): Node {
		const start = this.at;
		// With the `u` flag a class does not nest and `[` in it is a plain character: the class ends
		// at the first `]` that is not escaped.
		let at = start + 1;
		while (at < this.source.length && this.source[at] !== ']') at += this.source[at] === '\\' ? 2 : 1;
		this.at = at + 1;
		return this.single(this.source.slice(start, this.at), flags);
	}

	private escape(flags: Flags): Node {
		const start = this.at;
		const c = this.peek(1);
		if (/[1-9]/.test(c) || (c === 'k' && this.peek(2) === '<')) throw this.unsupported('a back-reference');
		if ((c === 'p' || c === 'P') && this.peek(2) === '{') {
			this.at = this.source.indexOf('}', start) + 1;
		} else if (c === 'u' && this.peek(2) === '{') {
			this.at = this.source.indexOf('}', start) + 1;
		} else if (c === 'u') {
			this.at = start + 6;
			// A surrogate pair written as two escapes is one character under the `u` flag.
			const high = parseInt(this.source.slice(start + 2, start + 6), 16);
			const next = /^\\u([0-9a-fA-F]{4})/.exec(this.source.slice(this.at));
			if (high >= 0xd800 && high <= 0xdbff && next) {
				const low = parseInt(next[1], 16);
				if (low >= 0xdc00 && low <= 0xdfff) this.at += 6;
			}
		} else if (c === 'x') {
			this.at = start + 4;
		} else if (c === 'c') {
			this.at = start + 3;
		} else {
			// \d \D \s \S \w \W \t \n \v \f \r \0 and escaped syntax characters; a code point, as
			// a character written after "\" may be outside the BMP only in a literal, not here.
			this.at = start + 1 + String.fromCodePoint(this.source.codePointAt(start + 1) ?? 0).length;
		}
		return this.single(this.source.slice(start, this.at), flags);
	}

	/** A piece that matches exactly one code point: what it matches is V8's answer (codePointSets.ts). */
	private single(piece: string, flags: Flags): Node {
		const regexFlags = `u${flags.ignoreCase ? 'i' : ''}${flags.dotAll ? 's' : ''}`;
		const key = `${regexFlags}/${piece}`;
		let atom = this.atomIndex.get(key);
		if (atom === undefined) {
			if (this.atoms.length >= MAX_PIECES) {
				throw new UnsupportedRegexError(
					`it has more than ${MAX_PIECES} different characters and character classes (a word list belongs in a Contains rule)`,
				);
			}
			atom = this.atoms.length;
			this.atoms.push({ piece, flags: regexFlags });
			this.atomIndex.set(key, atom);
		}
		return { type: 'atom', atom };
	}

	private quantified(body: Node): Node {
		let min: number;
		let max: number;
		const c = this.peek();
		if (c === '*' || c === '+' || c === '?') {
			this.at++;
			min = c === '+' ? 1 : 0;
			max = c === '?' ? 1 : Infinity;
		} else if (c === '{') {
			const match = /^\{(\d+)(,(\d*))?\}/.exec(this.source.slice(this.at));
			if (!match) return body;
			this.at += match[0].length;
			min = Number(match[1]);
			max = match[2] === undefined ? min : match[3] === '' ? Infinity : Number(match[3]);
		} else {
			return body;
		}
		if (this.peek() === '?') this.at++; // lazy: the same set of texts matches
		return { type: 'repeat', body, min, max };
	}
}

/** The automaton as typed arrays: instruction `pc` is (op[pc], arg[pc], next[pc], alt[pc]). */
export interface Program {
	op: Uint8Array;
	arg: Int32Array;
	next: Int32Array;
	alt: Int32Array;
	start: number;
	/** Whether an assertion looks at the characters around a position (^ $ with m, \b \B). */
	usesTraits: boolean;
	/**
	 * Scratch for `scan`, kept with the program: a program is only ever run by one scan at a time
	 * (JavaScript is single-threaded), and it saves allocating per message.
	 */
	pending: Int32Array;
	consuming: Int32Array;
	seen: Int32Array;
	stack: Int32Array;
	generation: number;
}

/**
 * Compiles a syntax tree back to front: each node is compiled with the instruction that follows it
 * already known, so no jump has to be patched afterwards. `reverse` compiles sequences last item
 * first, for a lookahead run from right to left.
 */
class Compiler {
	readonly op: number[] = [];
	readonly arg: number[] = [];
	readonly next: number[] = [];
	readonly alt: number[] = [];

	constructor(private readonly reverse: boolean) {}

	private emit(op: number, arg: number, next: number, alt = -1): number {
		if (this.op.length >= MAX_PROGRAM_SIZE) {
			throw new UnsupportedRegexError(
				'it is too large for the time-safe matcher (repetition counts such as {1000} multiply the part they repeat)',
			);
		}
		this.op.push(op);
		this.arg.push(arg);
		this.next.push(next);
		this.alt.push(alt);
		return this.op.length - 1;
	}

	compile(node: Node, next: number): number {
		switch (node.type) {
			case 'empty':
				return next;
			case 'atom':
				return this.emit(ATOM, node.atom, next);
			case 'assert':
				return this.emit(ASSERT, node.kind, next);
			case 'seq': {
				const items = this.reverse ? node.items : [...node.items].reverse();
				let entry = next;
				for (const item of items) entry = this.compile(item, entry);
				return entry;
			}
			case 'alt': {
				let entry = this.compile(node.options[node.options.length - 1], next);
				for (let i = node.options.length - 2; i >= 0; i--)
					entry = this.emit(SPLIT, 0, this.compile(node.options[i], next), entry);
				return entry;
			}
			case 'repeat': {
				let entry = next;
				if (node.max === Infinity) {
					// A loop: body, then back to the split. An empty body makes a cycle without input,
					// which the closure in `scan` visits once.
					const loop = this.emit(SPLIT, 0, -1, next);
					this.next[loop] = this.compile(node.body, loop);
					entry = loop;
				} else {
					for (let i = node.min; i < node.max; i++) entry = this.emit(SPLIT, 0, this.compile(node.body, entry), next);
				}
				for (let i = 0; i < node.min; i++) entry = this.compile(node.body, entry);
				return entry;
			}
		}
	}

	program(node: Node): Program {
		const match = this.emit(MATCH, 0, -1);
		const start = this.compile(node, match);
		const size = this.op.length;
		return {
			op: Uint8Array.from(this.op),
			arg: Int32Array.from(this.arg),
			next: Int32Array.from(this.next),
			alt: Int32Array.from(this.alt),
			start,
			usesTraits: this.op.some((code, pc) => code === ASSERT && this.arg[pc] >= LINE_START && this.arg[pc] < LOOK),
			pending: new Int32Array(size),
			consuming: new Int32Array(size),
			seen: new Int32Array(size),
			stack: new Int32Array(size),
			generation: 0,
		};
	}
}

/** The automaton of `source` (a pattern V8 accepts with the flags "iu"), its lookarounds', and its atoms. */
export function compilePattern(source: string): {
	main: Program;
	looks: Array<{ program: Program; ahead: boolean; negate: boolean }>;
	atoms: Piece[];
} {
	if (source.length > MAX_PATTERN_LENGTH) {
		throw new UnsupportedRegexError(`it is longer than ${MAX_PATTERN_LENGTH.toLocaleString('en-US')} characters`);
	}
	const parser = new Parser(source);
	const tree = parser.parse({
		ignoreCase: true,
		multiline: false,
		dotAll: false,
	});
	return {
		main: new Compiler(false).program(tree),
		// A lookahead is run right to left from every position, a lookbehind left to right.
		looks: parser.looks.map((look) => ({
			program: new Compiler(look.ahead).program(look.body),
			ahead: look.ahead,
			negate: look.negate,
		})),
		atoms: parser.atoms,
	};
}

/**
 * What the program can reach from its start before reading a character: the atoms that can read
 * the first one, and whether it can match at once. Assertions count as passable (the atoms found
 * are then a superset), except those `blocked` says are not.
 */
function firstSteps(program: Program, blocked: (kind: number) => boolean): { atoms: Set<number>; match: boolean } {
	const { op, arg, next, alt } = program;
	const seen = new Uint8Array(op.length);
	const stack = [program.start];
	const atoms = new Set<number>();
	let match = false;
	while (stack.length > 0) {
		const pc = stack.pop()!;
		if (seen[pc]) continue;
		seen[pc] = 1;
		if (op[pc] === MATCH) match = true;
		else if (op[pc] === ATOM) atoms.add(arg[pc]);
		else if (op[pc] === SPLIT) stack.push(next[pc], alt[pc]);
		else if (!blocked(arg[pc])) stack.push(next[pc]);
	}
	return { atoms, match };
}

/**
 * Whether no way from the program's start reaches a character or a match without passing ^
 * (input start, no m flag): then a match can only start at position 0.
 */
export function startsAnchored(program: Program): boolean {
	const { atoms, match } = firstSteps(program, (kind) => kind === INPUT_START);
	return atoms.size === 0 && !match;
}

/**
 * A RegExp (flag g) for "any character a match can begin with", or undefined when the pattern can
 * match without reading a character or its first atoms were written under different flags.
 */
export function skipperFor(program: Program, atoms: readonly Piece[]): RegExp | undefined {
	const first = firstSteps(program, () => false);
	if (first.match) return undefined;
	const pieces = [...first.atoms].map((atom) => atoms[atom]);
	const flags = pieces[0]?.flags ?? 'u';
	if (pieces.some((piece) => piece.flags !== flags)) return undefined;
	return new RegExp(pieces.length > 0 ? pieces.map(({ piece }) => `(?:${piece})`).join('|') : '[]', `${flags}g`);
}
