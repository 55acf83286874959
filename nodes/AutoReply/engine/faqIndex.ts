import { CompiledCache, hashKey } from './cache';
import { DEFAULT_SYNONYM_GROUPS, foldCase, Synonyms } from './synonyms';

/**
 * FAQ matching without a dictionary or a model, and a confidence in [0, 1] that the node compares
 * with one threshold whatever the size or language of the FAQ (docs/autoreply.md, "FAQ matching").
 *
 * Terms, for Chinese and English alike, after synonyms (synonyms.ts) are read as their group's word:
 * - a run of CJK characters gives every character and every pair of neighbours ("退款多久" →
 *   退 款 多 久 退款 款多 多久): pairs carry the words, single characters survive typos and
 *   word order; a Chinese word segmenter did worse on short customer messages;
 * - a run of Latin letters or digits gives one term, with a light English suffix strip.
 * A term weighs its IDF over the entries' questions, less for repeats and function words (吗 了
 * 的 我, how does my…: IDF alone does not tame them when most entries are Chinese).
 *
 * The strength of a question text (an entry's question or one of its similar questions) for a
 * message is the product of two coverages, both shares of IDF weight:
 * - how much of the message the text covers; terms the text lacks count at `answerWeight` when the
 *   entry's answer has them (the answer often holds a customer's words), and terms no entry has
 *   count fully against it, so a message that says much else scores low;
 * - how much of the text the message covers: a short message inside a longer stored question
 *   (保洁价格 inside 开荒保洁价格) does not score as if it were that question.
 * An entry takes its best text. Its confidence is that strength less a share for the strongest
 * other entry, strength × (1 − (other / strength)²): two entries that fit about equally well make
 * neither answer safe, while a runner-up clearly behind costs little. Both coverages are ratios,
 * so the confidence barely moves when unrelated entries are added; a message that repeats a
 * question scores close to 1.
 */

export interface FaqEntry {
	question: string;
	similarQuestions?: string[];
	answer: string;
}

export interface FaqCandidate {
	/** Index of the entry in the list the index was built from. */
	index: number;
	question: string;
	answer: string;
	score: number;
}

export interface FaqIndexOptions {
	/** Weight of the answer field against the question field (1). */
	answerWeight?: number;
	/** Word groups, each read as its first word (synonyms.ts); they come before the default set. */
	synonyms?: readonly (readonly string[])[];
	/** Also use DEFAULT_SYNONYM_GROUPS (true unless false). */
	useDefaultSynonyms?: boolean;
}

export const DEFAULT_ANSWER_WEIGHT = 1;

/**
 * Knobs of the confidence (file comment), chosen on the first set and the tuning part of the second
 * (docs/faq-evaluation.md, "What was tried").
 */
const SCORE_TUNING = {
	/** Weight of a CJK single character against a pair of characters or an English word. */
	unigramWeight: 3,
	/** Exponent of the matched question's coverage: 0 ignores it, 1 multiplies it in. */
	questionCoverageExponent: 0.75,
	/** Share of the confidence the runner-up can take away when it is as strong as the best. */
	marginPenalty: 1,
	/** Exponent on runner-up / best: above 1 forgives runner-ups that are clearly behind. */
	marginExponent: 2,
};

/** Weight of a function word against a content term (also in faqIndexV1.ts). */
export const FUNCTION_WORD_WEIGHT = 0.2;
export const FUNCTION_WORDS: ReadonlySet<string> = new Set([
	...'的了吗呢吧啊呀哦嘛我你您他她们这那个是就都也还和与请问一下能可以会要想么怎什',
	...'a an the i me my you your it its this that is are was be do does did can could will would to for of in on with and or how what when where please pls any there have has get'.split(' '),
]);

const UNSPACED = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]/u;
const WORD = /[\p{L}\p{N}]/u;

/** English inflections that rarely change what a customer asks about. */
function stem(token: string): string {
	if (token.length > 5 && token.endsWith('ing')) return token.slice(0, -3);
	if (token.length > 4 && token.endsWith('ed')) return token.slice(0, -2);
	if (token.length > 4 && token.endsWith('ies')) return `${token.slice(0, -3)}y`;
	if (token.length > 3 && token.endsWith('s') && !token.endsWith('ss')) return token.slice(0, -1);
	return token;
}

/** The terms of `text` (with repeats) as described in the file comment, after `synonyms`. */
export function faqTerms(text: string, synonyms?: Synonyms): string[] {
	const terms: string[] = [];
	let latin = '';
	let previousCjk = '';
	const flushLatin = () => {
		if (latin !== '') terms.push(stem(latin));
		latin = '';
	};
	const folded = foldCase(text);
	for (const character of synonyms ? synonyms.rewrite(folded) : folded) {
		if (UNSPACED.test(character)) {
			flushLatin();
			terms.push(character);
			if (previousCjk !== '') terms.push(previousCjk + character);
			previousCjk = character;
		} else if (WORD.test(character)) {
			previousCjk = '';
			latin += character;
		} else {
			flushLatin();
			previousCjk = '';
		}
	}
	flushLatin();
	return terms;
}

function termFrequencies(text: string, synonyms: Synonyms): Map<string, number> {
	const counts = new Map<string, number>();
	for (const term of faqTerms(text, synonyms)) counts.set(term, (counts.get(term) ?? 0) + 1);
	return counts;
}

/** A single CJK character: it says less than a pair and survives in unrelated words. */
function isUnigram(term: string): boolean {
	return term.length === 1 && UNSPACED.test(term);
}

/** Weight of a term before IDF: repeats count less and less, function words and single characters little. */
function termWeight(term: string, count: number): number {
	const kind = FUNCTION_WORDS.has(term) ? FUNCTION_WORD_WEIGHT : isUnigram(term) ? SCORE_TUNING.unigramWeight : 1;
	return (1 + Math.log(count)) * kind;
}

/**
 * The questions (with similar questions) of every entry, and their answers: IDF over entries, and
 * per term the question texts that have it with the share of that text's weight the term carries.
 */
class Index {
	readonly idf = new Map<string, number>();
	/** IDF of a term no entry has: as if one entry had it. */
	readonly unknownIdf: number;
	/** term → question texts that have it, with the term's share of the text's weight. */
	readonly questionPostings = new Map<string, Array<{ doc: number; share: number }>>();
	/** term → entries whose answer has it. */
	readonly answerPostings = new Map<string, number[]>();

	constructor(questionDocs: readonly string[], questionEntry: Int32Array, answers: readonly string[], synonyms: Synonyms) {
		const entryCount = answers.length;
		const questionTerms = questionDocs.map((text) => termFrequencies(text, synonyms));
		const answerTerms = answers.map((text) => termFrequencies(text, synonyms));
		// Document frequency counts entries, from their questions only: answers are long and
		// would make every common word look frequent.
		const entriesWith = new Map<string, Set<number>>();
		questionTerms.forEach((counts, doc) => {
			for (const term of counts.keys()) {
				let set = entriesWith.get(term);
				if (!set) entriesWith.set(term, (set = new Set()));
				set.add(questionEntry[doc]);
			}
		});
		for (const [term, set] of entriesWith) this.idf.set(term, Math.log(1 + entryCount / set.size));
		this.unknownIdf = Math.log(1 + entryCount);

		questionTerms.forEach((counts, doc) => {
			const weights: Array<[string, number]> = [];
			let total = 0;
			for (const [term, count] of counts) {
				const weight = termWeight(term, count) * this.idf.get(term)!;
				weights.push([term, weight]);
				total += weight;
			}
			if (total === 0) return;
			for (const [term, weight] of weights) {
				let list = this.questionPostings.get(term);
				if (!list) this.questionPostings.set(term, (list = []));
				list.push({ doc, share: weight / total });
			}
		});
		answerTerms.forEach((counts, entry) => {
			for (const term of counts.keys()) {
				let list = this.answerPostings.get(term);
				if (!list) this.answerPostings.set(term, (list = []));
				list.push(entry);
			}
		});
	}

	idfOf(term: string): number {
		return this.idf.get(term) ?? this.unknownIdf;
	}
}

export class FaqIndex {
	private readonly index: Index;
	private readonly synonyms: Synonyms;
	/** Entry of each question text, and the first question text of each entry (texts are in entry order). */
	private readonly questionEntry: Int32Array;
	private readonly firstQuestion: Int32Array;
	/** Per question text during a search: message weight covered by it / by its entry's answer only, doc share covered. */
	private readonly coveredByQuestion: Float64Array;
	private readonly coveredByAnswer: Float64Array;
	private readonly questionCovered: Float64Array;
	private readonly stamp: Int32Array;
	private readonly entryScores: Float64Array;
	private readonly answerWeight: number;
	private searchCount = 0;

	constructor(
		readonly entries: readonly FaqEntry[],
		options: FaqIndexOptions = {},
	) {
		this.answerWeight = options.answerWeight ?? DEFAULT_ANSWER_WEIGHT;
		this.synonyms = new Synonyms([
			...(options.synonyms ?? []),
			...(options.useDefaultSynonyms === false ? [] : DEFAULT_SYNONYM_GROUPS),
		]);
		const questionDocs: string[] = [];
		const questionEntry: number[] = [];
		const firstQuestion: number[] = [];
		entries.forEach((entry, index) => {
			firstQuestion.push(questionDocs.length);
			for (const text of [entry.question, ...(entry.similarQuestions ?? [])]) {
				questionDocs.push(text);
				questionEntry.push(index);
			}
		});
		firstQuestion.push(questionDocs.length);
		this.questionEntry = Int32Array.from(questionEntry);
		this.firstQuestion = Int32Array.from(firstQuestion);
		this.index = new Index(
			questionDocs,
			this.questionEntry,
			entries.map((entry) => entry.answer),
			this.synonyms,
		);
		this.coveredByQuestion = new Float64Array(questionDocs.length);
		this.coveredByAnswer = new Float64Array(questionDocs.length);
		this.questionCovered = new Float64Array(questionDocs.length);
		this.stamp = new Int32Array(questionDocs.length);
		this.entryScores = new Float64Array(entries.length);
	}

	/** Match strength of each entry before the margin: see the file comment. */
	private entryStrengths(query: Map<string, number>): boolean {
		const { index, coveredByQuestion, coveredByAnswer, questionCovered, stamp, questionEntry, firstQuestion } = this;
		coveredByQuestion.fill(0);
		coveredByAnswer.fill(0);
		questionCovered.fill(0);
		let total = 0;
		for (const [term, count] of query) {
			const weight = termWeight(term, count) * index.idfOf(term);
			total += weight;
			this.searchCount = (this.searchCount + 1) | 0;
			const stampValue = this.searchCount;
			const questions = index.questionPostings.get(term);
			if (questions) {
				for (const { doc, share } of questions) {
					coveredByQuestion[doc] += weight;
					questionCovered[doc] += share;
					stamp[doc] = stampValue;
				}
			}
			const answers = index.answerPostings.get(term);
			if (answers) {
				// The answer only counts for terms the question text lacks.
				for (const entry of answers) {
					for (let doc = firstQuestion[entry]; doc < firstQuestion[entry + 1]; doc++) {
						if (stamp[doc] !== stampValue) coveredByAnswer[doc] += weight;
					}
				}
			}
		}
		if (total === 0) return false;
		const scores = this.entryScores;
		scores.fill(0);
		const exponent = SCORE_TUNING.questionCoverageExponent;
		for (let doc = 0; doc < coveredByQuestion.length; doc++) {
			if (coveredByQuestion[doc] === 0 && coveredByAnswer[doc] === 0) continue;
			const messageCovered = Math.min(1, (coveredByQuestion[doc] + this.answerWeight * coveredByAnswer[doc]) / total);
			const strength = messageCovered * Math.min(1, questionCovered[doc]) ** exponent;
			const entry = questionEntry[doc];
			if (strength > scores[entry]) scores[entry] = strength;
		}
		return true;
	}

	/** The `limit` best entries for `query`, best first, with their confidence (above 0). */
	search(query: string, limit = 3): FaqCandidate[] {
		if (this.entries.length === 0 || limit < 1) return [];
		const terms = termFrequencies(query, this.synonyms);
		if (terms.size === 0 || !this.entryStrengths(terms)) return [];
		const scores = this.entryScores;
		// One more than asked: the runner-up of the last one asked for.
		const best = bestEntries(scores, Math.max(limit, 2));
		return best.slice(0, limit).map((index, rank) => {
			const strength = scores[index];
			// The strongest other entry: the runner-up for the best, the best for every other.
			const other = rank === 0 ? (best.length > 1 ? scores[best[1]] : 0) : scores[best[0]];
			return {
				index,
				question: this.entries[index].question,
				answer: this.entries[index].answer,
				score: confidence(strength, other),
			};
		});
	}
}

/** The entries with the `count` highest scores above 0, best first. */
export function bestEntries(scores: Float64Array, count: number): number[] {
	const best: number[] = [];
	for (let entry = 0; entry < scores.length; entry++) {
		if (scores[entry] <= 0) continue;
		if (best.length === count && scores[entry] <= scores[best[count - 1]]) continue;
		let position = Math.min(best.length, count - 1);
		best[position] = entry;
		while (position > 0 && scores[best[position - 1]] < scores[entry]) {
			best[position] = best[position - 1];
			best[--position] = entry;
		}
	}
	return best;
}

/**
 * The strength of an entry less a share for the strongest other entry: when two entries match a
 * message about as well, neither answer can be trusted on its own.
 */
function confidence(strength: number, other: number): number {
	const ratio = strength > 0 ? Math.min(1, other / strength) : 1;
	return strength * (1 - SCORE_TUNING.marginPenalty * ratio ** SCORE_TUNING.marginExponent);
}

const cache = new CompiledCache<FaqIndex>(16);

/** The index of `entries`, built once per distinct FAQ in this process. */
export function getFaqIndex(entries: readonly FaqEntry[], options: FaqIndexOptions = {}): FaqIndex {
	const normalized: FaqIndexOptions = {
		answerWeight: options.answerWeight ?? DEFAULT_ANSWER_WEIGHT,
		synonyms: options.synonyms ?? [],
		useDefaultSynonyms: options.useDefaultSynonyms !== false,
	};
	return cache.get(
		hashKey('faq/v2', [
			normalized.answerWeight,
			normalized.synonyms,
			normalized.useDefaultSynonyms,
			entries.map((entry) => [entry.question, entry.similarQuestions ?? [], entry.answer]),
		]),
		() => new FaqIndex(entries, normalized),
	);
}

/** Forgets built indexes (tests). */
export function clearFaqIndexCache(): void {
	cache.clear();
}
