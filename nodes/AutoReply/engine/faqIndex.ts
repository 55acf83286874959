import { CompiledCache, hashKey } from './cache';

/**
 * FAQ matching without a dictionary or a model: TF-IDF cosine similarity over terms that work for
 * Chinese and English alike (docs/autoreply.md, "FAQ matching", has the options that were measured):
 *
 * - a run of CJK characters gives every character and every pair of neighbours ("退款多久" →
 *   退 款 多 久 退款 款多 多久): pairs carry the words, single characters survive typos and
 *   word order; a Chinese word segmenter did worse on short customer messages;
 * - a run of Latin letters or digits gives one term, with a light English suffix strip
 *   (refunds → refund, shipping → ship).
 *
 * Two fields per entry: the question and its similar questions (the best of them counts, weight
 * 1), and the answer (weight `answerWeight`, 0.5 by default): the answer often holds the words a
 * customer uses that the question does not. Score = cos(question) + answerWeight × cos(answer), so
 * it lies between 0 and 1 + answerWeight; a message that repeats a question exactly scores at least 1.
 *
 * Tuned on test/fixtures/faq-eval.json (bench/faq-eval.ts; bench/README.md has the numbers):
 * answer weight 0.5 rather than the 0.3 of the first measurement, and function words (吗 了 的 我, how does my…)
 * at a fifth of their weight, both raised the share of queries answered with no wrong answer. IDF
 * alone does not tame function words here: in a FAQ that is mostly Chinese, "how" or "does" are
 * in few entries and look rare. Terms of the message that no entry has count in its length like
 * a term of one entry, so a message that shares a little with an entry and says much else scores low.
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
}

export const DEFAULT_ANSWER_WEIGHT = 0.5;

/** Weight of a function word against a content term. */
const FUNCTION_WORD_WEIGHT = 0.2;
const FUNCTION_WORDS = new Set([
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

/** The terms of `text` (with repeats) as described in the file comment. */
export function faqTerms(text: string): string[] {
	const terms: string[] = [];
	let latin = '';
	let previousCjk = '';
	const flushLatin = () => {
		if (latin !== '') terms.push(stem(latin));
		latin = '';
	};
	for (const character of text.normalize('NFKC').toLowerCase()) {
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

function termFrequencies(text: string): Map<string, number> {
	const counts = new Map<string, number>();
	for (const term of faqTerms(text)) counts.set(term, (counts.get(term) ?? 0) + 1);
	return counts;
}

/** Term weight before IDF: function words count little, whatever their IDF. */
function termWeight(term: string, count: number): number {
	return (1 + Math.log(count)) * (FUNCTION_WORDS.has(term) ? FUNCTION_WORD_WEIGHT : 1);
}

/** One field (questions or answers) of every entry: IDF and an inverted index of unit vectors. */
class Field {
	private readonly idf = new Map<string, number>();
	private readonly postings = new Map<string, Array<{ doc: number; weight: number }>>();
	/** IDF of a term no entry has: as if one entry had it. */
	private readonly unknownIdf: number;

	/** `docs[d]` is one text; `entryOf[d]` the entry it belongs to (document frequency counts entries). */
	constructor(
		docs: readonly string[],
		readonly entryOf: Int32Array,
		entryCount: number,
	) {
		const frequencies = docs.map(termFrequencies);
		const entriesWith = new Map<string, Set<number>>();
		frequencies.forEach((counts, doc) => {
			for (const term of counts.keys()) {
				let set = entriesWith.get(term);
				if (!set) entriesWith.set(term, (set = new Set()));
				set.add(entryOf[doc]);
			}
		});
		for (const [term, set] of entriesWith) this.idf.set(term, Math.log(1 + entryCount / set.size));
		this.unknownIdf = Math.log(1 + entryCount);

		frequencies.forEach((counts, doc) => {
			const weights: Array<[string, number]> = [];
			let norm = 0;
			for (const [term, count] of counts) {
				const weight = termWeight(term, count) * (this.idf.get(term) ?? 0);
				weights.push([term, weight]);
				norm += weight * weight;
			}
			norm = Math.sqrt(norm);
			if (norm === 0) return;
			for (const [term, weight] of weights) {
				let list = this.postings.get(term);
				if (!list) this.postings.set(term, (list = []));
				list.push({ doc, weight: weight / norm });
			}
		});
	}

	/** Cosine of the query with every doc of this field, into `scores` (indexed by doc). */
	cosines(query: Map<string, number>, scores: Float64Array): void {
		scores.fill(0);
		let norm = 0;
		const weights: Array<[string, number]> = [];
		for (const [term, count] of query) {
			const weight = termWeight(term, count) * (this.idf.get(term) ?? this.unknownIdf);
			norm += weight * weight;
			weights.push([term, weight]);
		}
		if (norm === 0) return;
		norm = Math.sqrt(norm);
		for (const [term, weight] of weights) {
			const list = this.postings.get(term);
			if (!list) continue;
			for (const { doc, weight: docWeight } of list) scores[doc] += (weight / norm) * docWeight;
		}
	}
}

export class FaqIndex {
	private readonly questions: Field;
	private readonly answers: Field;
	private readonly questionScores: Float64Array;
	private readonly answerScores: Float64Array;
	private readonly entryScores: Float64Array;
	private readonly answerWeight: number;

	constructor(
		readonly entries: readonly FaqEntry[],
		options: FaqIndexOptions = {},
	) {
		this.answerWeight = options.answerWeight ?? DEFAULT_ANSWER_WEIGHT;
		const questionDocs: string[] = [];
		const questionEntry: number[] = [];
		entries.forEach((entry, index) => {
			for (const text of [entry.question, ...(entry.similarQuestions ?? [])]) {
				questionDocs.push(text);
				questionEntry.push(index);
			}
		});
		const answerEntry = Int32Array.from(entries.map((_, index) => index));
		this.questions = new Field(questionDocs, Int32Array.from(questionEntry), entries.length);
		this.answers = new Field(
			entries.map((entry) => entry.answer),
			answerEntry,
			entries.length,
		);
		this.questionScores = new Float64Array(questionDocs.length);
		this.answerScores = new Float64Array(entries.length);
		this.entryScores = new Float64Array(entries.length);
	}

	/** The `limit` best entries for `query`, best first, with scores above 0. */
	search(query: string, limit = 3): FaqCandidate[] {
		const terms = termFrequencies(query);
		if (terms.size === 0 || this.entries.length === 0) return [];
		this.questions.cosines(terms, this.questionScores);
		this.answers.cosines(terms, this.answerScores);
		const scores = this.entryScores;
		scores.fill(0);
		// The best question of each entry (its own or a similar one).
		const { entryOf } = this.questions;
		for (let doc = 0; doc < this.questionScores.length; doc++) {
			const entry = entryOf[doc];
			if (this.questionScores[doc] > scores[entry]) scores[entry] = this.questionScores[doc];
		}
		for (let entry = 0; entry < scores.length; entry++) scores[entry] += this.answerWeight * this.answerScores[entry];

		const best: number[] = [];
		for (let entry = 0; entry < scores.length; entry++) {
			if (scores[entry] <= 0) continue;
			if (best.length === limit && scores[entry] <= scores[best[limit - 1]]) continue;
			let position = Math.min(best.length, limit - 1);
			best[position] = entry;
			while (position > 0 && scores[best[position - 1]] < scores[entry]) {
				best[position] = best[position - 1];
				best[--position] = entry;
			}
		}
		return best.map((index) => ({
			index,
			question: this.entries[index].question,
			answer: this.entries[index].answer,
			score: scores[index],
		}));
	}
}

const cache = new CompiledCache<FaqIndex>(16);

/** The index of `entries`, built once per distinct FAQ in this process. */
export function getFaqIndex(entries: readonly FaqEntry[], options: FaqIndexOptions = {}): FaqIndex {
	const answerWeight = options.answerWeight ?? DEFAULT_ANSWER_WEIGHT;
	return cache.get(
		hashKey(
			'faq/v1',
			[answerWeight, entries.map((entry) => [entry.question, entry.similarQuestions ?? [], entry.answer])],
		),
		() => new FaqIndex(entries, { answerWeight }),
	);
}

/** Forgets built indexes (tests). */
export function clearFaqIndexCache(): void {
	cache.clear();
}
