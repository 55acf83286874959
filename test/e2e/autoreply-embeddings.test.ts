/**
 * AutoReply's Embeddings input in a real n8n, with n8n's own Embeddings OpenAI node (@n8n/n8n-nodes-langchain)
 * connected to it, its credential's base URL at the loopback fake OpenAI (test/fakes/openai.ts, whose vectors
 * put a paraphrase close to its question). A webhook sends each message to two AutoReply nodes with the same
 * FAQ: "Auto Reply" with the Embeddings node, "Auto Reply Lexical" without. The FAQ comes with the message
 * (FAQ Entries (JSON) as an expression), so a test changes it without editing the workflow.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { startFakeOpenAi, type FakeOpenAi } from '../fakes/openai';
import { AUTO_REPLY_OUTPUT, randomId, startN8n, waitForWebhook, type N8nInstance } from './harness';

const PATH = 'autoreply-embeddings';
const SEMANTIC = 'Auto Reply';
const LEXICAL = 'Auto Reply Lexical';
const EMBEDDINGS = 'Embeddings OpenAI';

const FAQ = [
	{ question: '退款多久到账', answer: '退款审核通过后 1 到 3 个工作日原路退回。' },
	{ question: '怎么开发票', answer: '在订单详情页点「申请发票」。' },
	{ question: '什么时候发货', answer: '下单后 48 小时内发货。' },
	{ question: '可以修改收货地址吗', answer: '未发货前可在订单页修改地址。' },
];
/** Shares only 退 and 到 with its question: the FAQ score alone leaves it to No Match. */
const PARAPHRASE = '退钱要几天才能收到';

function autoReplyNode(name: string, position: [number, number]) {
	return {
		id: randomId(),
		name,
		type: 'n8n-nodes-kefu.autoReply',
		typeVersion: 1,
		position,
		parameters: {
			operation: 'route',
			conversationId: '={{ $json.body.conversationId }}',
			text: '={{ $json.body.text }}',
			faqEntries: '={{ $json.body.faq }}',
		},
	};
}

function workflow(webhookId: string, credential: { id: string; name: string }) {
	return {
		name: 'AutoReply with embeddings',
		nodes: [
			{
				id: randomId(),
				name: 'Webhook',
				type: 'n8n-nodes-base.webhook',
				typeVersion: 2,
				position: [0, 0] as [number, number],
				webhookId,
				parameters: { httpMethod: 'POST', path: PATH, responseMode: 'onReceived', options: {} },
			},
			autoReplyNode(SEMANTIC, [300, -100]),
			autoReplyNode(LEXICAL, [300, 200]),
			{
				id: randomId(),
				name: EMBEDDINGS,
				type: '@n8n/n8n-nodes-langchain.embeddingsOpenAi',
				typeVersion: 1.2,
				position: [300, 100] as [number, number],
				parameters: { model: 'text-embedding-3-small', options: {} },
				credentials: { openAiApi: credential },
			},
		],
		connections: {
			Webhook: {
				main: [
					[
						{ node: SEMANTIC, type: 'main', index: 0 },
						{ node: LEXICAL, type: 'main', index: 0 },
					],
				],
			},
			[EMBEDDINGS]: { ai_embedding: [[{ node: SEMANTIC, type: 'ai_embedding', index: 0 }]] },
		},
		settings: { executionOrder: 'v1' },
	};
}

describe('AutoReply Embeddings input: real n8n, Embeddings OpenAI node, fake OpenAI', () => {
	let n8n: N8nInstance;
	let openAi: FakeOpenAi;
	let workflowId: string;
	let sent = 0;

	before(async () => {
		openAi = await startFakeOpenAi();
		n8n = await startN8n();
		const credential = await n8n.createCredential('openAiApi', 'Fake OpenAI', { apiKey: 'sk-fake-embeddings-5678', url: openAi.url });
		const imported = await n8n.importWorkflow(workflow(randomId(), credential));
		workflowId = imported.id;
		await n8n.publish(workflowId);
		// An empty message reaches neither the FAQ nor the model.
		await waitForWebhook(`${n8n.baseUrl}/webhook/${PATH}`, {
			method: 'POST',
			headers: { 'Content-Type': 'application/json' },
			body: JSON.stringify({ conversationId: 'warm-up', text: '', faq: FAQ }),
		});
		await n8n.settledExecutions(workflowId);
	});

	after(async () => {
		await n8n?.stop();
		await openAi?.close();
	});

	/** Sends one message and returns where each AutoReply node put it. */
	async function route(text: string, faq = FAQ) {
		const known = await n8n.executionIds(workflowId);
		const res = await fetch(`${n8n.baseUrl}/webhook/${PATH}`, {
			method: 'POST',
			headers: { 'Content-Type': 'application/json' },
			body: JSON.stringify({ conversationId: `c${++sent}`, text, faq }),
		});
		assert.equal(res.status, 200);
		const [execution] = await n8n.settledExecutionsSince(workflowId, known);
		assert.ok(execution, 'no execution');
		const [semantic] = await n8n.nodeItems(execution.id, SEMANTIC);
		const [lexical] = await n8n.nodeItems(execution.id, LEXICAL);
		return {
			execution,
			semantic: { output: semantic.output, autoReply: semantic.json.autoReply as Record<string, unknown> },
			lexical: { output: lexical.output, autoReply: lexical.json.autoReply as Record<string, unknown> },
		};
	}

	const embedCalls = () => openAi.embeddingInputs.length;

	it('answers a paraphrase the FAQ score alone misses, and embeds the FAQ once across executions', async () => {
		const first = await route(PARAPHRASE);
		assert.equal(first.lexical.output, AUTO_REPLY_OUTPUT.noMatch);
		assert.equal(first.semantic.output, AUTO_REPLY_OUTPUT.faq, JSON.stringify(first.semantic.autoReply));
		assert.equal(first.semantic.autoReply.reply, FAQ[0].answer);
		const semantic = first.semantic.autoReply.semantic as Record<string, unknown>;
		assert.equal(semantic.answered, true);
		assert.equal(semantic.question, FAQ[0].question);
		assert.equal(typeof (first.semantic.autoReply.faq as Record<string, unknown>).similarity, 'number');
		// The FAQ's four questions in one request, then the message.
		assert.deepEqual(openAi.embeddingInputs, [FAQ.map((entry) => entry.question), [PARAPHRASE]]);

		await route('退款要几天才到账');
		await route('今天天气怎么样');
		assert.equal(embedCalls(), 4, 'one request per message after the first, none for the FAQ');
	});

	it('leaves an off-topic message and a lexical answer as they were', async () => {
		const offTopic = await route('今天天气怎么样');
		assert.equal(offTopic.semantic.output, AUTO_REPLY_OUTPUT.noMatch);
		assert.equal((offTopic.semantic.autoReply.semantic as Record<string, unknown>).answered, false);
		const before = embedCalls();
		const exact = await route('怎么开发票');
		assert.deepEqual([exact.semantic.output, exact.lexical.output], [AUTO_REPLY_OUTPUT.faq, AUTO_REPLY_OUTPUT.faq]);
		assert.deepEqual(exact.semantic.autoReply, exact.lexical.autoReply);
		assert.equal(embedCalls(), before, 'a message the FAQ score answers costs no model call');
	});

	it('embeds the FAQ again after it changes', async () => {
		const changed = [...FAQ, { question: '支持七天无理由退货吗', answer: '支持，商品完好即可。' }];
		const before = embedCalls();
		const routed = await route(PARAPHRASE, changed);
		assert.equal(routed.semantic.output, AUTO_REPLY_OUTPUT.faq, JSON.stringify(routed.semantic.autoReply));
		assert.deepEqual(openAi.embeddingInputs.slice(before), [changed.map((entry) => entry.question), [PARAPHRASE]]);
	});

	it('falls back to the lexical route when the model fails, and says so without the key', async () => {
		openAi.failEmbeddingsNext(1, 401);
		const routed = await route(PARAPHRASE);
		assert.equal(routed.execution.status, 'success');
		assert.equal(routed.semantic.output, AUTO_REPLY_OUTPUT.noMatch);
		const semantic = routed.semantic.autoReply.semantic as Record<string, unknown>;
		assert.equal(semantic.answered, false);
		assert.match(String(semantic.error), /401|API key/);
		assert.doesNotMatch(JSON.stringify(routed.semantic.autoReply), /sk-fa|5678/);

		const next = await route(PARAPHRASE);
		assert.equal(next.semantic.output, AUTO_REPLY_OUTPUT.faq, `the next message uses the model again: ${JSON.stringify(next.semantic.autoReply)}`);
	});
});
