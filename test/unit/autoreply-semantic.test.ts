import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import type { FaqCandidate, FaqEntry } from '../../nodes/AutoReply/engine/faqIndex';
import {
	clearFaqVectorCache,
	DEFAULT_SEMANTIC_OPTIONS,
	EMBED_BATCH_SIZE,
	entrySimilarities,
	getFaqVectors,
	modelIdentity,
	semanticMatch,
	type Bound,
	type Embedder,
} from '../../nodes/AutoReply/engine/semantic';
import { semanticMatchingProperty } from '../../nodes/AutoReply/semanticRoute';
import { startFakeOpenAi, type FakeOpenAi } from '../fakes/openai';

const unbounded: Bound = async (call) => await call;

/** A model that maps each text to a fixed vector by its first character, and counts its calls. */
class CountingEmbedder implements Embedder {
	documentCalls: string[][] = [];
	queries: string[] = [];
	failNext = false;
	constructor(
		readonly model = 'counting',
		readonly apiKey = 'sk-secret-never-shown',
	) {}
	async embedDocuments(texts: string[]): Promise<number[][]> {
		this.documentCalls.push(texts);
		if (this.failNext) {
			this.failNext = false;
			throw new Error('429 Rate limit reached');
		}
		return texts.map((text) => [text.charCodeAt(0) % 7, text.length % 5, 1]);
	}
	async embedQuery(text: string): Promise<number[]> {
		this.queries.push(text);
		return [text.charCodeAt(0) % 7, text.length % 5, 1];
	}
}

const candidate = (index: number, score = 0.3): FaqCandidate => ({ index, question: `q${index}`, answer: `a${index}`, score });

describe('semanticMatch (the combination rule)', () => {
	const options = DEFAULT_SEMANTIC_OPTIONS;

	it('answers with the closest entry when the model is sure and the lexical index agrees', () => {
		const match = semanticMatch(Float64Array.from([0.2, 0.91, 0.6]), [candidate(2), candidate(1)], options);
		assert.equal(match.answer?.index, 1);
		// The answer keeps its lexical score: the output never shows a score it did not earn.
		assert.equal(match.answer?.score, 0.3);
		assert.deepEqual(match.best, { index: 1, similarity: 0.91 });
		assert.equal(match.runnerUp, 0.6);
	});

	it('does not answer below the minimum similarity', () => {
		const match = semanticMatch(Float64Array.from([0.2, 0.79, 0.1]), [candidate(1)], options);
		assert.equal(match.answer, undefined);
		assert.equal(match.best?.index, 1);
	});

	it('does not answer when the runner-up is within the margin', () => {
		const match = semanticMatch(Float64Array.from([0.88, 0.91, 0.1]), [candidate(1), candidate(0)], options);
		assert.equal(match.answer, undefined);
	});

	it('does not answer an entry the lexical index does not rank among its candidates', () => {
		const lexical = [candidate(0), candidate(2), candidate(3), candidate(1)];
		assert.equal(semanticMatch(Float64Array.from([0.1, 0.95, 0.2, 0.2]), lexical, options).answer, undefined);
		assert.equal(semanticMatch(Float64Array.from([0.1, 0.95, 0.2, 0.2]), [], options).answer, undefined);
		const wider = semanticMatch(Float64Array.from([0.1, 0.95, 0.2, 0.2]), lexical, { ...options, lexicalCandidates: 4 });
		assert.equal(wider.answer?.index, 1);
	});

	it('takes the best question of an entry (its own or a similar one)', () => {
		const similarities = entrySimilarities(
			{ entryOf: Int32Array.from([0, 0, 1]), vectors: [[1, 0], [0, 1], [0.6, 0.8]].map((v) => Float32Array.from(v)) },
			2,
			[0, 2],
		);
		assert.deepEqual([...similarities].map((value) => Math.round(value * 100) / 100), [1, 0.8]);
	});

	it('has the node option defaults of DEFAULT_SEMANTIC_OPTIONS', () => {
		const defaults = Object.fromEntries((semanticMatchingProperty.options ?? []).map((option) => [
			(option as { name: string }).name,
			(option as { default: unknown }).default,
		]));
		assert.deepEqual(defaults, { ...DEFAULT_SEMANTIC_OPTIONS });
	});
});

describe('FAQ vectors', () => {
	const faq: FaqEntry[] = [
		{ question: '退款多久到账', similarQuestions: ['钱什么时候退回来'], answer: '3 到 5 个工作日。' },
		{ question: '怎么开发票', answer: '在订单页申请。' },
	];

	it('embeds the questions once per FAQ and model, not the answers, and again after either changes', async () => {
		clearFaqVectorCache();
		const model = new CountingEmbedder();
		await getFaqVectors(model, faq, unbounded);
		await getFaqVectors(model, faq.map((entry) => ({ ...entry })), unbounded);
		assert.deepEqual(model.documentCalls, [['退款多久到账', '钱什么时候退回来', '怎么开发票']]);

		// An answer changes nothing that is embedded.
		await getFaqVectors(model, [faq[0], { ...faq[1], answer: '联系客服。' }], unbounded);
		assert.equal(model.documentCalls.length, 1);

		await getFaqVectors(model, [faq[0], { question: '怎么开专票', answer: '联系客服。' }], unbounded);
		assert.equal(model.documentCalls.length, 2);

		const other = new CountingEmbedder('other-model');
		await getFaqVectors(other, faq, unbounded);
		assert.equal(other.documentCalls.length, 1);
	});

	it('embeds messages arriving together once, and tries again after a failure', async () => {
		clearFaqVectorCache();
		const model = new CountingEmbedder();
		model.failNext = true;
		const together = await Promise.allSettled([getFaqVectors(model, faq, unbounded), getFaqVectors(model, faq, unbounded)]);
		assert.deepEqual(together.map((result) => result.status), ['rejected', 'rejected']);
		assert.equal(model.documentCalls.length, 1);
		await getFaqVectors(model, faq, unbounded);
		assert.equal(model.documentCalls.length, 2);
	});

	it('sends a large FAQ in batches', async () => {
		clearFaqVectorCache();
		const model = new CountingEmbedder();
		const large = Array.from({ length: EMBED_BATCH_SIZE + 10 }, (_, index) => ({ question: `问题 ${index}`, answer: '答' }));
		const vectors = await getFaqVectors(model, large, unbounded);
		assert.deepEqual(model.documentCalls.map((texts) => texts.length), [EMBED_BATCH_SIZE, 10]);
		assert.equal(vectors.vectors.length, large.length);
	});

	it('identifies the model by class, model and dimensions, never by its key', () => {
		const identity = modelIdentity(Object.assign(new CountingEmbedder('text-embedding-3-small'), { dimensions: 512 }));
		assert.equal(identity, 'CountingEmbedder/text-embedding-3-small/512');
		assert.doesNotMatch(identity, /secret/);
	});
});

describe('fake OpenAI: POST /v1/embeddings', () => {
	let fake: FakeOpenAi;
	before(async () => {
		fake = await startFakeOpenAi();
	});
	after(async () => await fake.close());

	async function embed(body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
		const response = await fetch(`${fake.url}/embeddings`, {
			method: 'POST',
			headers: { Authorization: 'Bearer sk-test', 'Content-Type': 'application/json' },
			body: JSON.stringify(body),
		});
		return { status: response.status, json: (await response.json()) as Record<string, unknown> };
	}

	const cosine = (a: number[], b: number[]) => a.reduce((sum, value, i) => sum + value * b[i], 0);

	it('answers a string or an array in OpenAI\'s shape, with the dimensions asked for', async () => {
		const one = await embed({ model: 'text-embedding-3-small', input: '退款多久到账' });
		assert.equal(one.status, 200);
		const data = one.json.data as Array<{ object: string; index: number; embedding: number[] }>;
		assert.equal(one.json.object, 'list');
		assert.deepEqual([data[0].object, data[0].index, data[0].embedding.length], ['embedding', 0, 256]);
		const many = await embed({ model: 'm', input: ['a b', 'c d'], dimensions: 64 });
		assert.deepEqual((many.json.data as Array<{ embedding: number[] }>).map((item) => item.embedding.length), [64, 64]);
		const encoded = await embed({ model: 'm', input: 'a b', dimensions: 64, encoding_format: 'base64' });
		const bytes = Buffer.from((encoded.json.data as Array<{ embedding: string }>)[0].embedding, 'base64');
		const decoded = [...new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4)];
		const floats = (many.json.data as Array<{ embedding: number[] }>)[0].embedding;
		assert.deepEqual(decoded.map((value) => value.toFixed(5)), floats.map((value) => value.toFixed(5)));
		assert.deepEqual(fake.embeddingInputs, [['退款多久到账'], ['a b', 'c d'], ['a b']]);
	});

	it('puts a paraphrase close and an unrelated question far', async () => {
		const { json } = await embed({ model: 'm', input: ['退款多久到账', '退钱要几天才能收到', '怎么开发票'] });
		const [question, paraphrase, unrelated] = (json.data as Array<{ embedding: number[] }>).map((item) => item.embedding);
		assert.ok(cosine(question, paraphrase) > 0.6, String(cosine(question, paraphrase)));
		assert.ok(cosine(question, unrelated) < 0.3, String(cosine(question, unrelated)));
	});

	it('fails as OpenAI does when told to, and refuses empty input', async () => {
		fake.failEmbeddingsNext(1, 401);
		const refused = await embed({ model: 'm', input: 'x' });
		assert.equal(refused.status, 401);
		assert.equal((refused.json.error as { code: string }).code, 'invalid_api_key');
		fake.failEmbeddingsNext(1, 429);
		assert.equal((await embed({ model: 'm', input: 'x' })).status, 429);
		assert.equal((await embed({ model: 'm', input: 'x' })).status, 200);
		assert.equal((await embed({ model: 'm', input: [''] })).status, 400);
	});
});
