import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { NodeConnectionTypes, sleep } from 'n8n-workflow';

import type { FaqCandidate } from './engine/faqIndex';
import { textForMatching } from './engine/normalize';
import { routeMessage, type RouteDecision, type RouteInput } from './engine/route';
import {
	DEFAULT_SEMANTIC_OPTIONS,
	entrySimilarities,
	getFaqVectors,
	isEmbedder,
	semanticMatch,
	type Bound,
	type Embedder,
	type SemanticOptions,
} from './engine/semantic';

/**
 * Route Message with the optional Embeddings input (docs/autoreply-embeddings.md). The lexical
 * route decides first; the model is asked only about a message that reached the FAQ and was not
 * answered there, so it never overrides a keyword, a hand-off word or a lexical FAQ answer, and
 * costs nothing for those. Without a connected model this is `routeMessage` and nothing else.
 */

/** The input as the node declares it (AutoReply.node.ts). */
export const EMBEDDINGS_INPUT = {
	type: NodeConnectionTypes.AiEmbedding,
	displayName: 'Embeddings',
	required: false,
	maxConnections: 1,
} as const;

/**
 * The options of the rule (engine/semantic.ts), for Route Message. n8n's lint wants literal
 * defaults here; a unit test holds them equal to DEFAULT_SEMANTIC_OPTIONS.
 */
export const semanticMatchingProperty: INodeProperties = {
	displayName: 'Semantic Matching',
	name: 'semanticMatching',
	type: 'collection',
	placeholder: 'Add Option',
	default: {},
	description:
		'Used only when an Embeddings node is connected to the Embeddings input: a message the FAQ score did not answer gets the answer of the entry closest in meaning, when the model is sure and the FAQ score agrees. The output shows the similarities (autoReply.semantic, candidates).',
	displayOptions: { show: { operation: ['route'] } },
	options: [
		{
			displayName: 'Lexical Candidates',
			name: 'lexicalCandidates',
			type: 'number',
			typeOptions: { minValue: 1, maxValue: 20 },
			default: 3,
			description: 'The closest entry in meaning must also be among this many best entries by the FAQ score',
		},
		{
			displayName: 'Minimum Margin',
			name: 'minMargin',
			type: 'number',
			typeOptions: { minValue: 0, maxValue: 1, numberPrecision: 2 },
			default: 0.05,
			description: 'How much closer in meaning the best entry must be than the next one. Higher answers less and more safely.',
		},
		{
			displayName: 'Minimum Similarity',
			name: 'minSimilarity',
			type: 'number',
			typeOptions: { minValue: 0, maxValue: 1, numberPrecision: 2 },
			default: 0.8,
			description: 'Cosine similarity (0 to 1) the message needs with the best entry\'s question or similar questions. Each model has its own scale: see the similarities in the output before changing it.',
		},
		{
			displayName: 'Timeout (Ms)',
			name: 'timeoutMs',
			type: 'number',
			typeOptions: { minValue: 100 },
			default: 5000,
			description: 'Longest wait for the model per call; after it the message is routed as without the model',
		},
	],
};

export interface SemanticRouted {
	decision: RouteDecision;
	/** What semantic matching saw, for the output item; absent when it did not run. */
	semantic?: IDataObject;
	similarities?: Float64Array;
}

/** The connected model, asked for once per execution; undefined when nothing is connected. */
async function embedderOf(context: IExecuteFunctions, memo: Map<string, unknown>): Promise<Embedder | undefined> {
	if (!memo.has('embedder')) {
		// n8n's tool version of a node (usableAsTool) has no inputs but Main: then there is no model.
		const declared = context.getNodeInputs().some((input) => input.type === NodeConnectionTypes.AiEmbedding);
		const connected = declared ? await context.getInputConnectionData(NodeConnectionTypes.AiEmbedding, 0) : undefined;
		memo.set('embedder', isEmbedder(connected) ? connected : undefined);
	}
	return memo.get('embedder') as Embedder | undefined;
}

function semanticOptionsOf(context: IExecuteFunctions, itemIndex: number): SemanticOptions {
	const set = context.getNodeParameter('semanticMatching', itemIndex, {}) as Partial<SemanticOptions>;
	return { ...DEFAULT_SEMANTIC_OPTIONS, ...set };
}

/**
 * The model's failure, for the output item and the hint: what failed, without anything that looks
 * like a key (OpenAI repeats part of a wrong key in its 401 message).
 */
function describeFailure(error: unknown): string {
	const message = error instanceof Error ? error.message : String(error);
	return message.replace(/[A-Za-z0-9_\-*.]{20,}/g, '…').slice(0, 300);
}

/**
 * Waits for `call` at most `ms`; the model's own request is left to finish or fail on its own.
 * n8n's lint allows only its `sleep` for timers, which cannot be cancelled: the timer runs out
 * harmlessly after an answer.
 */
function boundBy(ms: number): Bound {
	return async <T>(call: Promise<T>): Promise<T> => {
		const timeout = sleep(ms).then(() => Promise.reject(new Error(`The embedding model did not answer within ${ms} ms`)));
		// The losing side of the race must not be reported as an unhandled rejection.
		timeout.catch(() => undefined);
		return await Promise.race([call, timeout]);
	};
}

const unanswered = (decision: RouteDecision) =>
	decision.route === 'noMatch' || (decision.route === 'handoff' && decision.reason === 'unanswered');

export async function routeWithEmbeddings(
	context: IExecuteFunctions,
	itemIndex: number,
	memo: Map<string, unknown>,
	input: RouteInput,
): Promise<SemanticRouted> {
	const lexical = routeMessage(input);
	const faq = input.faq;
	const text = textForMatching(input.text);
	if (!faq || !unanswered(lexical) || text.trim() === '') return { decision: lexical };
	const embedder = await embedderOf(context, memo);
	if (!embedder) return { decision: lexical };

	const options = semanticOptionsOf(context, itemIndex);
	const bound = boundBy(options.timeoutMs);
	try {
		const vectors = await getFaqVectors(embedder, faq.entries, bound);
		const query = await bound(embedder.embedQuery(text.trim()));
		const similarities = entrySimilarities(vectors, faq.entries.length, query);
		const candidates = faq.search(text, Math.max(3, options.lexicalCandidates));
		const match = semanticMatch(similarities, candidates, options);
		const semantic: IDataObject = { answered: match.answer !== undefined };
		if (match.best) {
			semantic.similarity = round(match.best.similarity);
			semantic.question = faq.entries[match.best.index].question;
		}
		if (match.runnerUp >= 0) semantic.runnerUpSimilarity = round(match.runnerUp);
		if (!match.answer) return { decision: lexical, semantic, similarities };
		// routeMessage decides what an answer does to the conversation (the unanswered count ends):
		// asked again with the accepted entry first, it takes the FAQ route.
		const answer: FaqCandidate = match.answer;
		const reordered = [answer, ...candidates.filter((candidate) => candidate !== answer)].slice(0, 3);
		const decision = routeMessage({ ...input, faq: { entries: faq.entries, search: () => reordered }, faqThreshold: -Infinity });
		return { decision, semantic, similarities };
	} catch (error) {
		const reason = describeFailure(error);
		noteFailure(context, memo, reason);
		return { decision: lexical, semantic: { answered: false, error: reason } };
	}
}

/** One warning per execution when the model failed: the messages went on as without it. */
function noteFailure(context: IExecuteFunctions, memo: Map<string, unknown>, reason: string): void {
	if (memo.has('embeddingsFailed')) return;
	memo.set('embeddingsFailed', true);
	const message = `The Embeddings model failed (${reason}); messages were routed by the lexical FAQ score alone. Check the Embeddings node's credential and model, or raise Timeout under Semantic Matching.`;
	context.addExecutionHints({ message, type: 'warning', location: 'outputPane' });
	context.logger.warn(message, { workflowId: context.getWorkflow().id });
}

const round = (value: number) => Math.round(value * 1000) / 1000;

/** Adds what semantic matching saw to the output item: `semantic`, and each candidate's similarity. */
export function addSemanticFields(autoReply: IDataObject, routed: SemanticRouted): void {
	if (!routed.semantic) return;
	autoReply.semantic = routed.semantic;
	const { similarities } = routed;
	const candidates = routed.decision.candidates;
	if (!similarities || !candidates || !Array.isArray(autoReply.candidates)) return;
	(autoReply.candidates as IDataObject[]).forEach((json, position) => {
		json.similarity = round(similarities[candidates[position].index]);
	});
	if (routed.decision.faq && autoReply.faq) (autoReply.faq as IDataObject).similarity = round(similarities[routed.decision.faq.index]);
}
