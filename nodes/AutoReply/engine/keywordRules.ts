import { AhoCorasick } from './ahoCorasick';
import { CompiledCache, hashText } from './cache';
import { LinearRegex, type RegexLimit } from './linearRegex';
import { isWordCharAt, normalizeText, splitLines, splitList } from './normalize';
import { UnsupportedRegexError } from './regexProgram';

/**
 * Keyword rules: each rule has keywords, a match type and a priority; the first rule by priority
 * (higher first, then the order in the editor) whose keyword occurs in the message wins.
 *
 * All literal keywords of all rules go into one Aho–Corasick automaton over the normalised text
 * (normalize.ts), so the cost of a message hardly depends on the number of rules; regular
 * expressions are tried one by one on the NFKC text. Replies are not part of a compiled rule set:
 * they may be expressions that differ per item, so the caller looks them up by rule index and the
 * cache key covers only what matching uses.
 */

export type MatchType = 'contains' | 'exact' | 'startsWith' | 'regex';

export const MATCH_TYPES: readonly MatchType[] = ['contains', 'exact', 'startsWith', 'regex'];

export interface KeywordRuleSpec {
	/** Keywords as typed (comma or line separated) or as a list; for regex, one pattern per line. */
	keywords: string | string[];
	matchType: MatchType;
	/** Higher wins; equal priorities keep the rules' order. */
	priority: number;
}

export interface KeywordHit {
	ruleIndex: number;
	/** The keyword as the operator wrote it (for regex, the pattern). */
	keyword: string;
	matchType: MatchType;
}

/** A regex rule that ran into its limit on a message and was passed over for it. */
export interface SkippedRule {
	ruleIndex: number;
	/** The pattern as the operator wrote it. */
	keyword: string;
}

/**
 * How long one regex rule may run on one message: 50 ms, or 10 million steps of its automaton if
 * those come first (docs/autoreply.md, "The limit per rule and message"). WeCom gives a callback
 * 5 s and a URL check 1 s, for every workflow of the n8n process together.
 */
export const REGEX_TIME_LIMIT_MS = 50;
export const REGEX_STEP_LIMIT = 10_000_000;
const REGEX_LIMIT: RegexLimit = { milliseconds: REGEX_TIME_LIMIT_MS, steps: REGEX_STEP_LIMIT };

export interface CompiledRules {
	/**
	 * The best rule whose keyword occurs in `text`, if any. A regex rule that reaches its limit on
	 * `text` does not match, and `onSkip` hears of it; the rules after it are tried as usual.
	 */
	match(text: string, onSkip?: (skipped: SkippedRule) => void): KeywordHit | undefined;
	readonly ruleCount: number;
	readonly keywordCount: number;
}

/** What is wrong with which rule, for an error a person can act on. */
export interface RuleProblem {
	ruleIndex: number;
	field: 'keywords' | 'matchType';
	message: string;
}

export type CompileResult = { ok: true; rules: CompiledRules } | { ok: false; problem: RuleProblem };

interface Owner {
	ruleIndex: number;
	keyword: string;
	matchType: Exclude<MatchType, 'regex'>;
	/** Latin/digit at the keyword's start or end: it must not start or end inside a word. */
	wordStart: boolean;
	wordEnd: boolean;
}

interface RegexRule {
	ruleIndex: number;
	pattern: string;
	regex: LinearRegex;
}

/** A pattern in quotes for a message a person reads: its first 80 characters. */
export function quotePattern(pattern: string): string {
	return `"${pattern.length > 80 ? `${pattern.slice(0, 80)}…` : pattern}"`;
}

function keywordsOf(spec: KeywordRuleSpec): string[] {
	if (Array.isArray(spec.keywords)) {
		return spec.keywords.map((keyword) => String(keyword).trim()).filter((keyword) => keyword !== '');
	}
	const text = String(spec.keywords ?? '');
	// A regular expression may contain commas ({2,4}): one pattern per line.
	return spec.matchType === 'regex' ? splitLines(text) : splitList(text);
}

/** Compiles rules without the cache (benchmarks and tests; the node uses `getCompiledRules`). */
export function compileKeywordRules(specs: readonly KeywordRuleSpec[]): CompileResult {
	const patterns: string[] = [];
	const owners: Owner[][] = [];
	const regexRules: RegexRule[] = [];
	let keywordCount = 0;

	for (let ruleIndex = 0; ruleIndex < specs.length; ruleIndex++) {
		const spec = specs[ruleIndex];
		if (!MATCH_TYPES.includes(spec.matchType)) {
			return {
				ok: false,
				problem: { ruleIndex, field: 'matchType', message: `unknown match type "${String(spec.matchType)}"` },
			};
		}
		const keywords = keywordsOf(spec);
		if (keywords.length === 0) {
			return { ok: false, problem: { ruleIndex, field: 'keywords', message: 'it has no keywords' } };
		}
		for (const keyword of keywords) {
			keywordCount++;
			if (spec.matchType === 'regex') {
				let regex: LinearRegex;
				try {
					regex = new LinearRegex(keyword.normalize('NFKC'));
				} catch (error) {
					const reason = error instanceof Error ? error.message : String(error);
					const quoted = quotePattern(keyword);
					const message =
						error instanceof UnsupportedRegexError
							? `${quoted} cannot be used: ${reason}`
							: `${quoted} is not a valid regular expression (${reason})`;
					return { ok: false, problem: { ruleIndex, field: 'keywords', message } };
				}
				regexRules.push({ ruleIndex, pattern: keyword, regex });
				continue;
			}
			const normalized = normalizeText(keyword);
			if (normalized === '') {
				return {
					ok: false,
					problem: { ruleIndex, field: 'keywords', message: `"${keyword}" has nothing left to match once punctuation and spaces are ignored` },
				};
			}
			patterns.push(normalized);
			owners.push([
				{
					ruleIndex,
					keyword,
					matchType: spec.matchType,
					wordStart: isWordCharAt(normalized, 0),
					wordEnd: isWordCharAt(normalized, normalized.length - 1),
				},
			]);
		}
	}

	const automaton = new AhoCorasick(patterns);
	// The automaton reports a repeated keyword under its first index: gather every owner there.
	for (let p = 0; p < patterns.length; p++) {
		const first = automaton.canonical[p];
		if (first !== p) owners[first].push(...owners[p]);
	}

	// rank[rule]: 0 for the rule that wins over all others.
	const order = specs.map((_, index) => index);
	order.sort((a, b) => Number(specs[b].priority || 0) - Number(specs[a].priority || 0) || a - b);
	const rank = new Int32Array(specs.length);
	order.forEach((ruleIndex, position) => (rank[ruleIndex] = position));
	regexRules.sort((a, b) => rank[a.ruleIndex] - rank[b.ruleIndex]);

	// The common case, a keyword of one "contains" rule with no word boundary to check, decided from
	// typed arrays alone: simpleRank[pattern] is that rule's rank, or -1 when owners must be read.
	const { lengths } = automaton;
	const simpleRank = new Int32Array(patterns.length).fill(-1);
	for (let p = 0; p < patterns.length; p++) {
		const [only, ...more] = owners[p];
		if (only && more.length === 0 && only.matchType === 'contains' && !only.wordStart && !only.wordEnd) {
			simpleRank[p] = rank[only.ruleIndex];
		}
	}

	const match = (text: string, onSkip?: (skipped: SkippedRule) => void): KeywordHit | undefined => {
		const normalized = normalizeText(text);
		let best: Owner | undefined;
		let bestRank = 0x7fffffff;
		let bestStart = 0;
		// The automaton's hit buffer has a fixed size: a text with more hits comes in several batches.
		let resume = false;
		do {
			const count = automaton.collect(normalized, resume);
			const hits = automaton.hits;
			for (let h = 0; h < count; h++) {
				const pattern = hits[2 * h];
				const end = hits[2 * h + 1];
				const start = end - lengths[pattern];
				const quick = simpleRank[pattern];
				if (quick >= 0) {
					if (quick < bestRank || (quick === bestRank && start < bestStart)) {
						best = owners[pattern][0];
						bestRank = quick;
						bestStart = start;
					}
					continue;
				}
				const candidates = owners[pattern];
				for (let o = 0; o < candidates.length; o++) {
					const owner = candidates[o];
					if (owner.matchType === 'exact' && (start !== 0 || end !== normalized.length)) continue;
					if (owner.matchType === 'startsWith' && start !== 0) continue;
					if (owner.wordStart && isWordCharAt(normalized, start - 1)) continue;
					if (owner.wordEnd && isWordCharAt(normalized, end)) continue;
					const ownerRank = rank[owner.ruleIndex];
					if (ownerRank < bestRank || (ownerRank === bestRank && start < bestStart)) {
						best = owner;
						bestRank = ownerRank;
						bestStart = start;
					}
				}
			}
			resume = automaton.resumeAt >= 0;
		} while (resume);
		// Regular expressions only matter if they belong to a better rule than the literal hit.
		if (regexRules.length > 0) {
			const nfkc = text.normalize('NFKC');
			for (const rule of regexRules) {
				if (rank[rule.ruleIndex] >= bestRank) break;
				const outcome = rule.regex.test(nfkc, REGEX_LIMIT);
				if (outcome === 'match') return { ruleIndex: rule.ruleIndex, keyword: rule.pattern, matchType: 'regex' };
				if (outcome === 'timedOut') onSkip?.({ ruleIndex: rule.ruleIndex, keyword: rule.pattern });
			}
		}
		return best ? { ruleIndex: best.ruleIndex, keyword: best.keyword, matchType: best.matchType } : undefined;
	};

	return { ok: true, rules: { match, ruleCount: specs.length, keywordCount } };
}

/**
 * What matching uses, in order: replies and names are left out on purpose (see the file comment).
 * Keywords are hashed as typed, not split: this runs for every item, and a different spelling of
 * the same list only costs one more build.
 */
export function keywordRulesKey(specs: readonly KeywordRuleSpec[]): string {
	const parts: string[] = [];
	for (const spec of specs) {
		const keywords = Array.isArray(spec.keywords) ? spec.keywords.join('\n') : String(spec.keywords ?? '');
		parts.push(keywords, spec.matchType, String(Number(spec.priority || 0)));
	}
	// Joined rather than JSON: the fields cannot contain the separator as typed, and it is faster.
	return hashText(`keywordRules/v1\u0001${parts.join('\u0001')}`);
}

const cache = new CompiledCache<CompileResult>(32);

/** The compiled rules for `specs`, built once per distinct rule set in this process. */
export function getCompiledRules(specs: readonly KeywordRuleSpec[]): CompileResult {
	return cache.get(keywordRulesKey(specs), () => compileKeywordRules(specs));
}

/** Forgets compiled rules (tests). */
export function clearKeywordRuleCache(): void {
	cache.clear();
}
