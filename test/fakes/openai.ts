// A loopback fake of the OpenAI API: the part that n8n's built-in OpenAI chat model node (LangChain
// ChatOpenAI, Chat Completions mode) and its credential test call. `POST /v1/chat/completions` (plain and
// `stream: true` as server-sent events), `POST /v1/embeddings` (n8n's Embeddings OpenAI node),
// `GET /v1/models` and `GET /v1/models/{id}`, with OpenAI's error
// shape `{ error: { message, type, param, code } }`. Any model name is accepted, so that a workflow's
// default model runs unchanged. Listens on 127.0.0.1 only and uses node:http only.
import { createHash, randomBytes } from 'node:crypto';
import type http from 'node:http';

import { parseJsonBody, readBody, requestTarget, sendJson, serveOnLoopback, sleep, type LoopbackServer } from './loopback';

export interface FakeOpenAiMessage {
	role: string;
	/** A string, or content parts such as `[{ type: 'text', text }]`. */
	content?: unknown;
}

export interface FakeOpenAiChatRequest {
	model: string;
	messages: FakeOpenAiMessage[];
	stream: boolean;
	/** Text of the last user message (text parts joined). */
	lastUserText: string;
	/** The whole request body (tools, temperature, …). */
	body: Record<string, unknown>;
}

export type FakeOpenAiReply = (request: FakeOpenAiChatRequest) => string | Promise<string>;

export interface FakeOpenAiOptions {
	/** Port on 127.0.0.1; 0 (default) picks a free one. */
	port?: number;
	/** When set, only `Authorization: Bearer <apiKey>` passes; otherwise any non-empty key does. */
	apiKey?: string;
	/** Delay before each request is answered; default 0. */
	latencyMs?: number;
	/** Default: `AI answer to: <last user message>`. */
	reply?: string | FakeOpenAiReply;
	/** Ids listed by GET /v1/models. */
	models?: string[];
	/** Called once a request has been answered (the local demo prints each one). */
	onRequest?: (record: FakeOpenAiRequestRecord) => void;
}

export interface FakeOpenAiRequestRecord {
	method: string;
	/** Path without the query string, e.g. /v1/chat/completions. */
	path: string;
	/** The Authorization header as received. */
	authorization?: string;
	/** Parsed JSON body, or the raw text when it is not JSON. */
	body?: unknown;
	status: number;
	time: number;
}

export interface FakeOpenAi {
	/** Base URL including /v1, e.g. http://127.0.0.1:5702/v1 — the credential's "Base URL". */
	readonly url: string;
	readonly requests: FakeOpenAiRequestRecord[];
	close(): Promise<void>;
	setReply(reply: string | FakeOpenAiReply): void;
	/**
	 * The next `times` chat completions answer HTTP `status` with OpenAI's error body for it. Replaces
	 * what an earlier call left pending, so `failNext(0)` ends a failure run.
	 */
	failNext(times: number, status?: number): void;
	setLatency(ms: number): void;
	/** Texts embedded so far by `POST /v1/embeddings`, one array per request, in order. */
	readonly embeddingInputs: string[][];
	/** Like failNext, for `POST /v1/embeddings` only (401 answers OpenAI's wrong-key error). */
	failEmbeddingsNext(times: number, status?: number): void;
	/** Forget requests and pending failures; reply and latency back to the options. */
	reset(): void;
}

export async function startFakeOpenAi(options: FakeOpenAiOptions = {}): Promise<FakeOpenAi> {
	const fake = new FakeOpenAiServer(options);
	await fake.listen(options.port ?? 0);
	return fake;
}

const DEFAULT_MODELS = ['gpt-4o-mini', 'gpt-4.1-mini', 'gpt-4o'];
const MAX_BODY_BYTES = 10 * 1024 * 1024;

interface OpenAiError {
	message: string;
	type: string;
	param: string | null;
	code: string | null;
}

/** OpenAI's answers for the statuses failNext is used with (as its API returns them). */
function failureFor(status: number): OpenAiError {
	switch (status) {
		case 429:
			return {
				message: 'Rate limit reached for requests. Please try again in 1s.',
				type: 'requests',
				param: null,
				code: 'rate_limit_exceeded',
			};
		case 503:
			return {
				message: 'The engine is currently overloaded, please try again later.',
				type: 'server_error',
				param: null,
				code: null,
			};
		default:
			return {
				message: 'The server had an error while processing your request. Sorry about that!',
				type: 'server_error',
				param: null,
				code: null,
			};
	}
}

class FakeOpenAiServer implements FakeOpenAi {
	readonly requests: FakeOpenAiRequestRecord[] = [];
	private loopback: LoopbackServer | undefined;
	private reply: string | FakeOpenAiReply;
	private latencyMs: number;
	private failure: { status: number; remaining: number } | undefined;
	private embeddingsFailure: { status: number; remaining: number } | undefined;
	readonly embeddingInputs: string[][] = [];

	constructor(private readonly options: FakeOpenAiOptions) {
		this.reply = options.reply ?? defaultReply;
		this.latencyMs = options.latencyMs ?? 0;
	}

	async listen(port: number): Promise<void> {
		this.loopback = await serveOnLoopback('OpenAI', (req, res) => this.serve(req, res), port);
	}

	get url(): string {
		return this.loopback ? `${this.loopback.url}/v1` : '';
	}

	async close(): Promise<void> {
		await this.loopback?.close();
	}

	setReply(reply: string | FakeOpenAiReply): void {
		this.reply = reply;
	}

	failNext(times: number, status = 500): void {
		this.failure = times > 0 ? { status, remaining: times } : undefined;
	}

	setLatency(ms: number): void {
		this.latencyMs = ms;
	}

	failEmbeddingsNext(times: number, status = 500): void {
		this.embeddingsFailure = times > 0 ? { status, remaining: times } : undefined;
	}

	reset(): void {
		this.requests.length = 0;
		this.embeddingInputs.length = 0;
		this.failure = undefined;
		this.embeddingsFailure = undefined;
		this.reply = this.options.reply ?? defaultReply;
		this.latencyMs = this.options.latencyMs ?? 0;
	}

	private async serve(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
		const { path } = requestTarget(req);
		const method = req.method ?? 'GET';
		const json = parseJsonBody(await readBody(req, MAX_BODY_BYTES));
		const record: FakeOpenAiRequestRecord = { method, path, status: 200, time: Date.now() };
		if (req.headers.authorization !== undefined) record.authorization = req.headers.authorization;
		const body = json.kind === 'json' ? json.value : json.kind === 'broken' ? json.text : undefined;
		if (body !== undefined) record.body = body;
		this.requests.push(record);
		if (this.latencyMs > 0) await sleep(this.latencyMs);

		record.status = await this.route(req, res, path, method, body, json.kind === 'broken');
		this.options.onRequest?.(record);
	}

	/** Answers the request and returns the HTTP status sent. */
	private async route(
		req: http.IncomingMessage,
		res: http.ServerResponse,
		path: string,
		method: string,
		body: unknown,
		brokenJson: boolean,
	): Promise<number> {
		const authError = this.checkAuth(req.headers.authorization);
		if (authError) return this.send(res, 401, errorBody(authError));

		if (method === 'GET' && path === '/v1/models') {
			return this.send(res, 200, { object: 'list', data: this.models().map(modelObject) });
		}
		const modelMatch = /^\/v1\/models\/(.+)$/.exec(path);
		if (method === 'GET' && modelMatch) {
			const id = decodeURIComponent(modelMatch[1]);
			if (this.models().includes(id)) return this.send(res, 200, modelObject(id));
			return this.send(
				res,
				404,
				errorBody({
					message: `The model '${id}' does not exist`,
					type: 'invalid_request_error',
					param: 'model',
					code: 'model_not_found',
				}),
			);
		}
		if (method === 'POST' && path === '/v1/chat/completions') {
			return this.chatCompletions(res, body, brokenJson);
		}
		if (method === 'POST' && path === '/v1/embeddings') {
			return this.embeddings(res, body);
		}
		return this.send(
			res,
			404,
			errorBody({
				message: `Invalid URL (${method} ${path})`,
				type: 'invalid_request_error',
				param: null,
				code: null,
			}),
		);
	}

	private checkAuth(header: string | undefined): OpenAiError | undefined {
		const key = /^Bearer\s+(.+)$/i.exec(header ?? '')?.[1]?.trim();
		if (!key) {
			return {
				message:
					"You didn't provide an API key. You need to provide your API key in an Authorization header using " +
					'Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as the password field (with blank username) ' +
					"if you're accessing the API from your browser and are prompted for a username. You can obtain an " +
					'API key from https://platform.openai.com/account/api-keys.',
				type: 'invalid_request_error',
				param: null,
				code: null,
			};
		}
		if (this.options.apiKey !== undefined && key !== this.options.apiKey) {
			const masked =
				key.length > 8 ? `${key.slice(0, 3)}${'*'.repeat(key.length - 7)}${key.slice(-4)}` : '***';
			return {
				message: `Incorrect API key provided: ${masked}. You can find your API key at https://platform.openai.com/account/api-keys.`,
				type: 'invalid_request_error',
				param: null,
				code: 'invalid_api_key',
			};
		}
		return undefined;
	}

	private async chatCompletions(
		res: http.ServerResponse,
		body: unknown,
		brokenJson: boolean,
	): Promise<number> {
		if (brokenJson || typeof body !== 'object' || body === null || Array.isArray(body)) {
			return this.send(
				res,
				400,
				errorBody({
					message:
						"We could not parse the JSON body of your request. (HINT: This likely means you aren't using your " +
						'HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON.)',
					type: 'invalid_request_error',
					param: null,
					code: null,
				}),
			);
		}
		const request = body as Record<string, unknown>;
		if (typeof request.model !== 'string' || request.model === '') {
			return this.send(
				res,
				400,
				errorBody({
					message: 'you must provide a model parameter',
					type: 'invalid_request_error',
					param: null,
					code: null,
				}),
			);
		}
		if (!Array.isArray(request.messages) || request.messages.length === 0) {
			return this.send(
				res,
				400,
				errorBody({
					message: "Missing required parameter: 'messages'.",
					type: 'invalid_request_error',
					param: 'messages',
					code: 'missing_required_parameter',
				}),
			);
		}
		const failure = this.failure;
		if (failure) {
			failure.remaining -= 1;
			if (failure.remaining <= 0) this.failure = undefined;
			return this.send(res, failure.status, errorBody(failureFor(failure.status)));
		}

		const messages = request.messages as FakeOpenAiMessage[];
		const chat: FakeOpenAiChatRequest = {
			model: request.model,
			messages,
			stream: request.stream === true,
			lastUserText: textOf(
				[...messages].reverse().find((message) => message.role === 'user')?.content,
			),
			body: request,
		};
		const content = typeof this.reply === 'string' ? this.reply : await this.reply(chat);
		const id = `chatcmpl-${randomBytes(12).toString('hex')}`;
		const created = Math.floor(Date.now() / 1000);
		const promptTokens = estimateTokens(
			messages.map((message) => textOf(message.content)).join('\n'),
		);
		const completionTokens = estimateTokens(content);
		const usage = {
			prompt_tokens: promptTokens,
			completion_tokens: completionTokens,
			total_tokens: promptTokens + completionTokens,
			prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
			completion_tokens_details: {
				reasoning_tokens: 0,
				audio_tokens: 0,
				accepted_prediction_tokens: 0,
				rejected_prediction_tokens: 0,
			},
		};
		if (!chat.stream) {
			// The shape of a Chat Completions answer; no tool_calls, so LangChain reads a plain AIMessage.
			return this.send(res, 200, {
				id,
				object: 'chat.completion',
				created,
				model: chat.model,
				choices: [
					{
						index: 0,
						message: { role: 'assistant', content, refusal: null, annotations: [] },
						logprobs: null,
						finish_reason: 'stop',
					},
				],
				usage,
				service_tier: 'default',
				system_fingerprint: 'fp_fake',
			});
		}

		// Streaming: a role chunk, content chunks, a finish chunk, a usage chunk when asked for with
		// stream_options.include_usage (LangChain asks), then `data: [DONE]`.
		const streamOptions = request.stream_options as { include_usage?: unknown } | undefined;
		const includeUsage = streamOptions?.include_usage === true;
		const chunk = (choices: unknown[], extra: Record<string, unknown> = {}) => ({
			id,
			object: 'chat.completion.chunk',
			created,
			model: chat.model,
			system_fingerprint: 'fp_fake',
			choices,
			...(includeUsage ? { usage: null } : {}),
			...extra,
		});
		const delta = (value: Record<string, unknown>, finishReason: string | null = null) => ({
			index: 0,
			delta: value,
			logprobs: null,
			finish_reason: finishReason,
		});
		res.writeHead(200, {
			'Content-Type': 'text/event-stream; charset=utf-8',
			'Cache-Control': 'no-cache',
			Connection: 'keep-alive',
			'x-request-id': `req_${randomBytes(16).toString('hex')}`,
		});
		const events = [
			chunk([delta({ role: 'assistant', content: '', refusal: null })]),
			...(content.match(/\s*\S+/g) ?? []).map((piece) => chunk([delta({ content: piece })])),
			chunk([delta({}, 'stop')]),
			...(includeUsage ? [chunk([], { usage })] : []),
		];
		for (const event of events) res.write(`data: ${JSON.stringify(event)}\n\n`);
		res.end('data: [DONE]\n\n');
		return 200;
	}

	/** OpenAI's embeddings API: `input` a string or an array of strings, `model`, optional `dimensions` and `encoding_format`. */
	private embeddings(res: http.ServerResponse, body: unknown): number {
		const request = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
		const invalid = (message: string, param: string) =>
			this.send(res, 400, errorBody({ message, type: 'invalid_request_error', param, code: null }));
		if (typeof request.model !== 'string' || request.model === '') return invalid('you must provide a model parameter', 'model');
		const input = typeof request.input === 'string' ? [request.input] : request.input;
		if (!Array.isArray(input) || input.length === 0 || input.some((text) => typeof text !== 'string' || text === '')) {
			return invalid("'$.input' is invalid. Please check the API reference: https://platform.openai.com/docs/api-reference.", 'input');
		}
		const dimensions = request.dimensions === undefined ? EMBEDDING_DIMENSIONS : Number(request.dimensions);
		if (!Number.isInteger(dimensions) || dimensions < 1 || dimensions > 3072) return invalid('Invalid value for dimensions.', 'dimensions');
		const failure = this.embeddingsFailure;
		if (failure) {
			failure.remaining -= 1;
			if (failure.remaining <= 0) this.embeddingsFailure = undefined;
			const error =
				failure.status === 401
					? { message: 'Incorrect API key provided: sk-fa***************************5678. You can find your API key at https://platform.openai.com/account/api-keys.', type: 'invalid_request_error', param: null, code: 'invalid_api_key' }
					: failureFor(failure.status);
			return this.send(res, failure.status, errorBody(error));
		}
		const format = request.encoding_format ?? 'float';
		if (format !== 'float' && format !== 'base64') return invalid("Invalid value for 'encoding_format': expected 'float' or 'base64'.", 'encoding_format');
		const base64 = format === 'base64';
		const texts = input as string[];
		this.embeddingInputs.push(texts);
		const tokens = estimateTokens(texts.join(''));
		return this.send(res, 200, {
			object: 'list',
			data: texts.map((text, index) => {
				const embedding = fakeEmbedding(text, dimensions);
				// OpenAI's SDK asks for base64 (little-endian float32) unless told otherwise, as n8n's node does by default.
				const encoded = base64 ? Buffer.from(Float32Array.from(embedding).buffer).toString('base64') : embedding;
				return { object: 'embedding', index, embedding: encoded };
			}),
			model: request.model,
			usage: { prompt_tokens: tokens, total_tokens: tokens },
		});
	}

	private models(): string[] {
		return this.options.models ?? DEFAULT_MODELS;
	}

	private send(res: http.ServerResponse, status: number, body: unknown): number {
		sendJson(res, status, body, {
			'Content-Type': 'application/json',
			'x-request-id': `req_${randomBytes(16).toString('hex')}`,
		});
		return status;
	}
}

function defaultReply(request: FakeOpenAiChatRequest): string {
	return `AI answer to: ${request.lastUserText}`;
}

function errorBody(error: OpenAiError): { error: OpenAiError } {
	return { error };
}

function modelObject(id: string) {
	return { id, object: 'model', created: 1_700_000_000, owned_by: 'fake-openai' };
}

/** A message's text: the string itself, or its text parts joined. */
function textOf(content: unknown): string {
	if (typeof content === 'string') return content;
	if (!Array.isArray(content)) return '';
	return content
		.map((part) =>
			typeof part === 'object' && part !== null && 'text' in part ? String(part.text) : '',
		)
		.join('');
}

/** About 4 characters a token: enough for usage figures that add up. */
function estimateTokens(text: string): number {
	return Math.max(1, Math.ceil(text.length / 4));
}

const EMBEDDING_DIMENSIONS = 256;

/**
 * Words a paraphrase swaps for one another, each group to its first word: the fake's stand-in for
 * what a real model knows, so tests can show a paraphrase with few characters in common matched.
 */
const EMBEDDING_SYNONYMS: string[][] = [
	['退款', '退钱', '退费', '钱退回'],
	['多久', '几天', '多长时间', '什么时候'],
	['到账', '收到', '到卡上'],
	['发货', '寄出', '发出'],
	['发票', '开票', '报销凭证'],
	['refund', 'money back'],
	['how long', 'when will'],
];

/** Spaces, punctuation and Chinese filler characters, which carry little meaning. */
const EMBEDDING_FILLERS = /[\s\p{P}要才能吗呢的了我请问一下]/gu;

/**
 * A deterministic vector for `text`: synonyms folded, then a bag of character pairs hashed into
 * `dimensions` buckets and scaled to length 1. Texts sharing many pairs get close vectors.
 */
function fakeEmbedding(text: string, dimensions: number): number[] {
	let folded = text.toLowerCase();
	for (const [canonical, ...others] of EMBEDDING_SYNONYMS) {
		for (const other of others) folded = folded.split(other).join(canonical);
	}
	const characters = [...folded.replace(EMBEDDING_FILLERS, '')];
	const vector = new Array<number>(dimensions).fill(0);
	const pairs = characters.length > 1 ? characters.slice(1).map((character, i) => characters[i] + character) : characters;
	for (const pair of pairs) {
		const digest = createHash('sha256').update(pair).digest();
		vector[digest.readUInt32BE(0) % dimensions] += digest[4] & 1 ? 1 : -1;
	}
	const norm = Math.sqrt(vector.reduce((sum, value) => sum + value * value, 0)) || 1;
	return vector.map((value) => value / norm);
}
