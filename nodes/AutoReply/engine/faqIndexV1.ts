import { CompiledCache, hashKey } from './cache';
import { bestEntries, faqTerms, FUNCTION_WORD_WEIGHT, FUNCTION_WORDS, type FaqCandidate, type FaqEntry } from './faqIndex';

/**
 * The FAQ score of AutoReply version 1, frozen: workflows saved with a version 1 node keep the
 * answers, and the FAQ Threshold (0 to 1.5, default 0.7), they were built with. Version 2 uses the
 * confidence of faqIndex.ts. Do not tune this file: a change here changes running workflows.
 *
 * Score = TF-IDF cosine of the message with the entry's best question text (its question or a
 * similar question) + 0.5 × cosine with its answer, so 0 to 1.5; a message that repeats a question
 * scores at least 1. Terms are those of faqIndex.ts without synonyms; function words weigh a fifth.
 */

/** Default FAQ Threshold of a version 1 node, on this score. */
export const FAQ_THRESHOLD_V1 = 0.7;
const ANSWER_WEIGHT_V1 = 0.5;

function termFrequencies(text: string): Map<string, number> {
	const counts = new Map<string, number>();
	for (const term of faqTerms(text)) counts.set(term, (counts.get(term) ?? 0) + 1);
	return counts;
}

function termWeight(term: string, count: number): number {
	return (1 + Math.log(count)) * (FUNCTION_WORDS.has(term) ? FUNCTION_WORD_WEIGHT : 1);
}

/** One field (question texts or answers): IDF over entries and an inverted index of unit vectors. */
class Field {
	private readonly idf = new Map<string, number>();
	private readonly postings = new Map<string, Array<{ doc: number; weight: number }>>();
	private readonly unknownIdf: number;

	constructor(docs: readonly string[], entryOf: Int32Array, entryCount: number) {
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

	/** Cosine of the message with every doc of this field, into `scores` (indexed by doc). */
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
			for (const { doc, weight: docWeight } of this.postings.get(term) ?? []) scores[doc] += (weight / norm) * docWeight;
		}
	}
}

export class FaqIndexV1 {
	private readonly questions: Field;
	private readonly answers: Field;
	private readonly questionEntry: Int32Array;
	private readonly questionScores: Float64Array;
	private readonly answerScores: Float64Array;
	private readonly entryScores: Float64Array;

	constructor(readonly entries: readonly FaqEntry[]) {
		const questionDocs: string[] = [];
		const questionEntry: number[] = [];
		entries.forEach((entry, index) => {
			for (const text of [entry.question, ...(entry.similarQuestions ?? [])]) {
				questionDocs.push(text);
				questionEntry.push(index);
			}
		});
		this.questionEntry = Int32Array.from(questionEntry);
		this.questions = new Field(questionDocs, this.questionEntry, entries.length);
		this.answers = new Field(
			entries.map((entry) => entry.answer),
			Int32Array.from(entries.map((_, index) => index)),
			entries.length,
		);
		this.questionScores = new Float64Array(questionDocs.length);
		this.answerScores = new Float64Array(entries.length);
		this.entryScores = new Float64Array(entries.length);
	}

	/** The `limit` best entries for `query`, best first, with scores above 0. */
	search(query: string, limit = 3): FaqCandidate[] {
		const terms = termFrequencies(query);
		if (terms.size === 0 || this.entries.length === 0 || limit < 1) return [];
		this.questions.cosines(terms, this.questionScores);
		this.answers.cosines(terms, this.answerScores);
		const scores = this.entryScores;
		scores.fill(0);
		for (let doc = 0; doc < this.questionScores.length; doc++) {
			const entry = this.questionEntry[doc];
			if (this.questionScores[doc] > scores[entry]) scores[entry] = this.questionScores[doc];
		}
		for (let entry = 0; entry < scores.length; entry++) scores[entry] += ANSWER_WEIGHT_V1 * this.answerScores[entry];
		return bestEntries(scores, limit).map((index) => ({
			index,
			question: this.entries[index].question,
			answer: this.entries[index].answer,
			score: scores[index],
		}));
	}
}

const cache = new CompiledCache<FaqIndexV1>(16);

/** The version 1 index of `entries`, built once per distinct FAQ in this process. */
export function getFaqIndexV1(entries: readonly FaqEntry[]): FaqIndexV1 {
	return cache.get(
		hashKey('faq/v1', [entries.map((entry) => [entry.question, entry.similarQuestions ?? [], entry.answer])]),
		() => new FaqIndexV1(entries),
	);
}
