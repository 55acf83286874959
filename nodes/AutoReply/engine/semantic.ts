import { CompiledCache, hashKey } from './cache';
import type { FaqCandidate, FaqEntry } from './faqIndex';
import { textForMatching } from './normalize';

/**
 * Semantic matching for the FAQ, when the operator connects an embedding model to the node's
 * Embeddings input (docs/autoreply-embeddings.md). No n8n and no LangChain here: the model is
 * anything with LangChain's `embedDocuments` / `embedQuery` (every Embeddings node of n8n supplies one).
 *
 * Only the questions and similar questions are embedded, not the answers: a customer asks a
 * question, and an answer covers many topics (delivery, fees, exceptions) that pull its vector
 * away from what was asked. Each text is embedded once per distinct FAQ and model and kept here.
 *
 * The rule (`semanticMatch`) may only add answers: it is asked only about a message the lexical
 * score did not answer, and it picks an entry only when the model is sure (similarity at least
 * `minSimilarity`, ahead of every other entry by `minMargin`) and the lexical index agrees that the
 * entry is plausible (among its `lexicalCandidates` best). Two independent judges must agree.
 */

/** What the node needs of a LangChain Embeddings object (duck typed: no @langchain import). */
export interface Embedder {
	embedDocuments(texts: string[]): Promise<number[][]>;
	embedQuery(text: string): Promise<number[]>;
}

export interface SemanticOptions {
	/** Cosine similarity the best entry needs, 0–1. */
	minSimilarity: number;
	/** How far the best entry must be ahead of the runner-up entry. */
	minMargin: number;
	/** The best entry must be among this many lexical candidates. */
	lexicalCandidates: number;
	/** Longest wait for the model, per call. */
	timeoutMs: number;
}

/**
 * Not tuned on a real embedding model (none is reachable where the package is built): a starting
 * point that favours no wrong answers. docs/autoreply-embeddings.md says how an operator tunes them.
 */
export const DEFAULT_SEMANTIC_OPTIONS: SemanticOptions = {
	minSimilarity: 0.8,
	minMargin: 0.05,
	lexicalCandidates: 3,
	timeoutMs: 5000,
};

/** Texts per embedDocuments call, so a model without batching of its own is never sent a whole large FAQ. */
export const EMBED_BATCH_SIZE = 256;

export function isEmbedder(value: unknown): value is Embedder {
	return (
		typeof value === 'object' &&
		value !== null &&
		typeof (value as Embedder).embedDocuments === 'function' &&
		typeof (value as Embedder).embedQuery === 'function'
	);
}

/**
 * What identifies the model's vectors: its class and, where the object has them, model name and
 * dimensions. Only these fields are read, so no API key or other setting reaches a key or an output.
 */
export function modelIdentity(embedder: Embedder): string {
	const fields = embedder as unknown as Record<string, unknown>;
	const named = (value: unknown) => (typeof value === 'string' || typeof value === 'number' ? String(value) : '');
	return [
		named((embedder as { constructor?: { name?: unknown } }).constructor?.name),
		named(fields.model) || named(fields.modelName),
		named(fields.dimensions),
	].join('/');
}

/** The FAQ's texts as embedded: every question and similar question, with the entry each belongs to. */
export interface FaqVectors {
	entryOf: Int32Array;
	vectors: Float32Array[];
}

function unit(vector: readonly number[]): Float32Array {
	let norm = 0;
	for (const value of vector) norm += value * value;
	norm = Math.sqrt(norm);
	return Float32Array.from(vector, (value) => (norm === 0 ? 0 : value / norm));
}

function dot(a: Float32Array, b: Float32Array): number {
	const length = Math.min(a.length, b.length);
	let sum = 0;
	for (let i = 0; i < length; i++) sum += a[i] * b[i];
	return sum;
}

/** Bounds the wait for one call of the model (the node's Timeout option). */
export type Bound = <T>(call: Promise<T>) => Promise<T>;

async function embedFaq(embedder: Embedder, entries: readonly FaqEntry[], bound: Bound): Promise<FaqVectors> {
	const texts: string[] = [];
	const entryOf: number[] = [];
	entries.forEach((entry, index) => {
		for (const text of [entry.question, ...(entry.similarQuestions ?? [])]) {
			const cut = textForMatching(text).trim();
			// n8n's Embeddings nodes refuse empty texts.
			if (cut === '') continue;
			texts.push(cut);
			entryOf.push(index);
		}
	});
	const vectors: Float32Array[] = [];
	for (let start = 0; start < texts.length; start += EMBED_BATCH_SIZE) {
		const batch = texts.slice(start, start + EMBED_BATCH_SIZE);
		const embedded = await bound(embedder.embedDocuments(batch));
		if (!Array.isArray(embedded) || embedded.length !== batch.length) {
			throw new Error(`The embedding model returned ${Array.isArray(embedded) ? embedded.length : 'no'} vectors for ${batch.length} texts`);
		}
		vectors.push(...embedded.map(unit));
	}
	return { entryOf: Int32Array.from(entryOf), vectors };
}

/**
 * FAQ vectors per distinct FAQ and model, shared by executions in this process. A pending promise
 * is cached too, so messages that arrive together embed the FAQ once; a failed one is forgotten,
 * so the next message tries again. A few FAQs only: 1,000 entries with 5 questions each at 1,536
 * dimensions hold about 30 MB.
 */
const cache = new CompiledCache<Promise<FaqVectors>>(4);

/** The FAQ's questions under the model that embeds them: answers are not embedded, so they are not in the key. */
export function faqVectorsKey(embedder: Embedder, entries: readonly FaqEntry[]): string {
	return hashKey('faq-embeddings/v1', [
		modelIdentity(embedder),
		entries.map((entry) => [entry.question, entry.similarQuestions ?? []]),
	]);
}

export async function getFaqVectors(embedder: Embedder, entries: readonly FaqEntry[], bound: Bound): Promise<FaqVectors> {
	const key = faqVectorsKey(embedder, entries);
	return await cache.get(key, () => {
		const embedding = embedFaq(embedder, entries, bound);
		embedding.catch(() => cache.delete(key));
		return embedding;
	});
}

export function clearFaqVectorCache(): void {
	cache.clear();
}

/** The cosine similarity of the message with each entry (its best question), by entry index. */
export function entrySimilarities(faq: FaqVectors, entryCount: number, query: readonly number[]): Float64Array {
	const similarities = new Float64Array(entryCount).fill(-1);
	const vector = unit(query);
	faq.vectors.forEach((text, position) => {
		const entry = faq.entryOf[position];
		const similarity = dot(vector, text);
		if (similarity > similarities[entry]) similarities[entry] = similarity;
	});
	return similarities;
}

export interface SemanticMatch {
	/** The entry semantic matching answers with, when the rule accepts one. */
	answer?: FaqCandidate;
	/** Index and similarity of the most similar entry. */
	best?: { index: number; similarity: number };
	/** Similarity of the second most similar entry (-1 when there is none). */
	runnerUp: number;
}

/**
 * The rule of the file comment. `lexical` are the lexical candidates, best first (the node's
 * FAQ search); the answer keeps its lexical score, so the output never shows a score it did not earn.
 */
export function semanticMatch(
	similarities: Float64Array,
	lexical: readonly FaqCandidate[],
	options: SemanticOptions,
): SemanticMatch {
	let best = -1;
	let runnerUp = -1;
	for (let entry = 0; entry < similarities.length; entry++) {
		if (best < 0 || similarities[entry] > similarities[best]) {
			if (best >= 0) runnerUp = Math.max(runnerUp, similarities[best]);
			best = entry;
		} else if (similarities[entry] > runnerUp) {
			runnerUp = similarities[entry];
		}
	}
	if (best < 0) return { runnerUp };
	const top = { index: best, similarity: similarities[best] };
	const agreed = lexical.slice(0, options.lexicalCandidates).find((candidate) => candidate.index === best);
	const sure = top.similarity >= options.minSimilarity && top.similarity - runnerUp >= options.minMargin;
	return { best: top, runnerUp, ...(sure && agreed ? { answer: agreed } : {}) };
}
