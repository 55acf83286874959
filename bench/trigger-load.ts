// The WeCom Trigger under a bounded load in a real n8n (the pinned version, started by the e2e harness with
// the built package installed), driven by a client that behaves like WeCom, and counted per MsgId.
// Run:   npm run bench -- trigger-load            (the default plan, "wecom": A, AF and B below, default engine)
//        node_modules/.bin/node .test-build/bench/trigger-load.js [--plan=wecom|main|diag|isolates]
//          [--workflows=A,AF,B] [--requests=1000] [--concurrency=50] [--time-limit=300] [--client=wecom|patient]
//          [--hang-up-ms=5000] [--retries=3] [--retry-delay-ms=0] [--retry-on-status] [--n8n-env=KEY=VALUE ...]
//          [--out=file.json]
//        (after npm run build && node_modules/.bin/tsc -p tsconfig.test.json)
//
// The client ("wecom", the default of --plan=wecom and main): each message is one MsgId, sent as WeCom sends a
// callback (doc 90930): it hangs up when no answer came within 5 s and sends the same request again (same query,
// same body), 3 retries at most. WeCom documents retries after a timeout or a failed connection only; with
// --retry-on-status an answer other than 200 "success" is retried too. 50 connections = 50 deliveries in flight,
// retries included. "patient" (the default of diag/isolates, which measure CPU per request): one request per
// MsgId, waited for up to the time limit, never retried.
//
// Counted per MsgId, from the client's answers and the executions n8n stored (read back with their data):
// acknowledged = some attempt got 200 with the expected body. Every acknowledged MsgId must have exactly one
// successful execution: "lost" = acknowledged, no successful execution; "duplicated" = more than one.
// "never acknowledged" = WeCom gave up after its last retry (split by whether the message ran).
//
// Workflows, each "<trigger> → NoOp", all on 127.0.0.1:
//   A    n8n-nodes-kefu.weComTrigger v1.1, messageTypes ['text']: every MsgId a distinct, encrypted and signed
//        text-message callback, precomputed before the run.
//   AF   "answer first": the same trigger code (bench copy), but it writes 200 "success" itself before n8n has
//        stored the execution, as a trigger that answers early does (docs/callbacks.md says why this trigger
//        does not).
//   B    n8n-nodes-base.webhook v2.1, POST, default response mode (answers once the execution is stored); the same
//        bodies. It has no retry memory: every retry it accepts is a second execution.
//   Diagnostics only (--plan=diag|isolates): A11 (the trigger as v1.1, bench copy), AC (v1 with getCredentials
//   cached 60 s), M1/M2 (a minimal custom trigger, v1/v2, no credential, no crypto), B1 (Webhook v1).
// Per run also: CPU of the n8n process tree (utime+stime from /proc), peak RSS, latencies, the machine's load.
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';

import { type N8nInstance, n8nPaths, startN8n, waitForWebhook, type WorkflowJson } from '../test/e2e/harness';
import { CLK_TCK, cpuDelta, cpuSnapshot, processTree } from './support/proc';
import {
	type CallbackSecrets,
	encryptedCallback,
	newSecrets,
	textMessageXml,
	urlVerification,
	withQuery,
} from '../test/fakes/wecom/callback';

// ---------------------------------------------------------------------------------------------- options

type Plan = 'wecom' | 'main' | 'diag' | 'isolates';

interface Options {
	plan: Plan;
	workflows?: WfKey[];
	/** Extra environment for n8n in the wecom plan, e.g. N8N_EXPRESSION_ENGINE=legacy. */
	n8nEnv: Record<string, string>;
	requests: number;
	concurrency: number;
	timeLimitS: number;
	pairs: number;
	warmup: number;
	client: ClientOptions;
	out?: string;
}

function parseOptions(argv: string[]): Options {
	const get = (name: string): string | undefined =>
		argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
	const plan = (get('plan') ?? 'wecom') as Plan;
	if (!['wecom', 'main', 'diag', 'isolates'].includes(plan)) throw new Error(`unknown --plan=${plan}`);
	const workflows = get('workflows')?.split(',') as WfKey[] | undefined;
	for (const key of workflows ?? []) if (!(key in WF_TITLES)) throw new Error(`unknown workflow ${key}`);
	const kind = (get('client') ?? (plan === 'wecom' || plan === 'main' ? 'wecom' : 'patient')) as ClientOptions['kind'];
	if (!['wecom', 'patient'].includes(kind)) throw new Error(`unknown --client=${kind}`);
	return {
		plan,
		workflows,
		n8nEnv: Object.fromEntries(
			argv.filter((a) => a.startsWith('--n8n-env=')).map((a) => {
				const [key, ...value] = a.slice('--n8n-env='.length).split('=');
				return [key, value.join('=')];
			}),
		),
		requests: Number(get('requests') ?? (plan === 'main' ? 2000 : 1000)),
		concurrency: Number(get('concurrency') ?? 50),
		timeLimitS: Number(get('time-limit') ?? (plan === 'wecom' ? 300 : 600)),
		pairs: Number(get('pairs') ?? 3),
		warmup: Number(get('warmup') ?? 100),
		client: {
			kind,
			hangUpMs: Number(get('hang-up-ms') ?? 5_000),
			retries: kind === 'wecom' ? Number(get('retries') ?? 3) : 0,
			retryDelayMs: Number(get('retry-delay-ms') ?? 0),
			retryOnStatus: argv.includes('--retry-on-status'),
		},
		out: get('out'),
	};
}

// ---------------------------------------------------------------------------------------------- /proc

function rssKb(pid: number): number {
	try {
		const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
		return m ? Number(m[1]) : 0;
	} catch {
		return 0;
	}
}

function loadAvg(): number[] {
	return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).map(Number);
}

/** Waits until the n8n tree has used < 5 % of one core for two consecutive half seconds (at most 120 s). */
async function waitCpuQuiet(root: number): Promise<number> {
	const started = Date.now();
	let quiet = 0;
	let prev = cpuSnapshot(root);
	while (Date.now() - started < 120_000) {
		await sleep(500);
		const next = cpuSnapshot(root);
		const d = cpuDelta(prev, next);
		prev = next;
		quiet = d.mainMs + d.childrenMs < 25 ? quiet + 1 : 0;
		if (quiet >= 2) break;
	}
	return Date.now() - started;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------------------------- workflows

type WfKey = 'A' | 'AF' | 'B' | 'A11' | 'AC' | 'M1' | 'M2' | 'B1';

const WF_TITLES: Record<WfKey, string> = {
	A: 'WeCom Trigger v1.1 (n8n-nodes-kefu.weComTrigger) → NoOp',
	AF: 'WeCom Trigger code answering "success" itself before n8n stores the execution (bench copy) → NoOp',
	B: 'Webhook v2.1 (n8n-nodes-base.webhook, POST, onReceived) → NoOp',
	A11: 'WeCom Trigger code as v1.1 (bench copy) → NoOp',
	AC: 'WeCom Trigger v1 with its credential cached 60 s (bench copy) → NoOp',
	M1: 'minimal custom trigger v1 (bench, no credential/crypto) → NoOp',
	M2: 'minimal custom trigger v2 (bench) → NoOp',
	B1: 'Webhook v1 (n8n-nodes-base.webhook typeVersion 1) → NoOp',
};

interface Deployed {
	key: WfKey;
	workflowId: string;
	url: string;
	expectBody: string;
}

const BENCH_PACKAGE = 'n8n-nodes-kefubench';

/**
 * A throwaway community package written next to n8n-nodes-kefu in the user folder: a copy of the WeCom Trigger
 * declared as versions 1 and 1.1 (the same code: it subclasses the built one), one that answers first, one with
 * its credential cached, and a minimal trigger with the same webhook descriptions but no credential and no crypto.
 */
function writeBenchPackage(userFolder: string): void {
	const root = path.join(userFolder, '.n8n', 'nodes', 'node_modules', BENCH_PACKAGE);
	mkdirSync(path.join(root, 'dist'), { recursive: true });
	writeFileSync(
		path.join(root, 'package.json'),
		JSON.stringify({
			name: BENCH_PACKAGE,
			version: '0.0.0',
			main: 'index.js',
			keywords: ['n8n-community-node-package'],
			n8n: {
				n8nNodesApiVersion: 1,
				strict: false,
				credentials: [],
				nodes: [
					'dist/WeComTriggerBench.node.js',
					'dist/WeComTriggerCached.node.js',
					'dist/WeComTriggerAnswerFirst.node.js',
					'dist/MinimalTrigger.node.js',
				],
			},
		}),
	);
	const projectDist = path.resolve(__dirname, '..', '..', 'dist', 'nodes', 'WeCom');
	for (const icon of ['wecom.svg', 'wecom.dark.svg']) {
		if (existsSync(path.join(projectDist, icon))) cpSync(path.join(projectDist, icon), path.join(root, 'dist', icon));
	}
	writeFileSync(
		path.join(root, 'dist', 'WeComTriggerBench.node.js'),
		`"use strict";
const { WeComTrigger } = require('../../n8n-nodes-kefu/dist/nodes/WeCom/WeComTrigger.node.js');
class WeComTriggerBench extends WeComTrigger {
	constructor() {
		super();
		this.description = { ...this.description, displayName: 'WeCom Trigger (bench copy)', name: 'weComTriggerBench', version: [1, 1.1], defaultVersion: 1.1 };
	}
}
exports.WeComTriggerBench = WeComTriggerBench;
`,
	);
	// What the trigger would cost without n8n's per-call credential resolution (which builds an isolate in a
	// webhook context): the same code, with getCredentials answered from a 60 s cache per credential id.
	writeFileSync(
		path.join(root, 'dist', 'WeComTriggerCached.node.js'),
		`"use strict";
const { WeComTrigger } = require('../../n8n-nodes-kefu/dist/nodes/WeCom/WeComTrigger.node.js');
const cache = new Map();
class WeComTriggerCached extends WeComTrigger {
	constructor() {
		super();
		this.description = { ...this.description, displayName: 'WeCom Trigger (bench, cached credential)', name: 'weComTriggerCached', version: 1 };
	}
	async webhook() {
		const read = this.getCredentials.bind(this);
		this.getCredentials = async (type) => {
			const key = type + ':' + this.getNode().credentials[type].id;
			const hit = cache.get(key);
			if (hit && hit.until > Date.now()) return hit.value;
			const value = await read(type);
			cache.set(key, { value, until: Date.now() + 60000 });
			return value;
		};
		return await super.webhook.call(this);
	}
}
exports.WeComTriggerCached = WeComTriggerCached;
`,
	);
	// "Answer first": the trigger's own verdict, but a run is acknowledged by the trigger at once, before n8n has
	// stored its execution (what docs/callbacks.md measures against).
	writeFileSync(
		path.join(root, 'dist', 'WeComTriggerAnswerFirst.node.js'),
		`"use strict";
const { WeComTrigger } = require('../../n8n-nodes-kefu/dist/nodes/WeCom/WeComTrigger.node.js');
class WeComTriggerAnswerFirst extends WeComTrigger {
	constructor() {
		super();
		this.description = { ...this.description, displayName: 'WeCom Trigger (bench, answers first)', name: 'weComTriggerAnswerFirst' };
	}
	async webhook() {
		const result = await super.webhook.call(this);
		if (result.workflowData === undefined) return result;
		this.getResponseObject().status(200).type('text/plain').send('success');
		return { workflowData: result.workflowData, noWebhookResponse: true };
	}
}
exports.WeComTriggerAnswerFirst = WeComTriggerAnswerFirst;
`,
	);
	writeFileSync(
		path.join(root, 'dist', 'MinimalTrigger.node.js'),
		`"use strict";
const plain = { responseHeaders: { entries: [{ name: 'content-type', value: 'text/plain; charset=utf-8' }] } };
class MinimalTrigger {
	constructor() {
		this.description = {
			displayName: 'Minimal Trigger (bench)', name: 'minimalTrigger', icon: 'file:wecom.svg', group: ['trigger'],
			version: [1, 2], defaultVersion: 2, description: 'bench', defaults: { name: 'Minimal Trigger' },
			inputs: [], outputs: ['main'],
			webhooks: [
				{ name: 'setup', httpMethod: 'GET', responseMode: 'onReceived', responseData: '', path: 'webhook' },
				{ name: 'default', httpMethod: 'POST', responseMode: 'onReceived', responseData: '', path: 'webhook', ...plain },
			],
			properties: [],
		};
		this.webhookMethods = { default: {
			async checkExists() { return true; }, async create() { return true; }, async delete() { return true; },
		} };
	}
	async webhook() {
		if (this.getWebhookName() === 'setup') return { webhookResponse: String(this.getQueryData().echostr ?? '') };
		return { workflowData: [[{ json: { received: true } }]], webhookResponse: 'success' };
	}
}
exports.MinimalTrigger = MinimalTrigger;
`,
	);
}

// Requests are signed before a run that may last up to 10 minutes: the default timestamp window (300 s)
// would refuse the tail of a slow run, so the bench allows the largest window instead.
const WECOM_TRIGGER_PARAMETERS = { messageTypes: ['text'], options: { maxClockSkewSeconds: 3600 } };

function workflowFor(key: WfKey, webhookId: string, credential: { id: string; name: string }): WorkflowJson {
	const trigger: WorkflowJson['nodes'][number] = (() => {
		const base = { id: randomUUID(), name: 'Trigger', position: [0, 0], webhookId };
		switch (key) {
			case 'A':
				return {
					...base,
					type: 'n8n-nodes-kefu.weComTrigger',
					typeVersion: 1.1,
					parameters: WECOM_TRIGGER_PARAMETERS,
					credentials: { weComCallbackApi: credential },
				};
			case 'AF':
				return {
					...base,
					type: `${BENCH_PACKAGE}.weComTriggerAnswerFirst`,
					typeVersion: 1.1,
					parameters: WECOM_TRIGGER_PARAMETERS,
					credentials: { weComCallbackApi: credential },
				};
			case 'AC':
				return {
					...base,
					type: `${BENCH_PACKAGE}.weComTriggerCached`,
					typeVersion: 1,
					parameters: WECOM_TRIGGER_PARAMETERS,
					credentials: { weComCallbackApi: credential },
				};
			case 'A11':
				return {
					...base,
					type: `${BENCH_PACKAGE}.weComTriggerBench`,
					typeVersion: 1.1,
					parameters: WECOM_TRIGGER_PARAMETERS,
					credentials: { weComCallbackApi: credential },
				};
			case 'M1':
			case 'M2':
				return { ...base, type: `${BENCH_PACKAGE}.minimalTrigger`, typeVersion: key === 'M1' ? 1 : 2, parameters: {} };
			case 'B':
			case 'B1':
				return {
					...base,
					type: 'n8n-nodes-base.webhook',
					typeVersion: key === 'B' ? 2.1 : 1,
					parameters: { httpMethod: 'POST', path: `bench-${key.toLowerCase()}-${webhookId}`, options: {} },
				};
		}
	})();
	return {
		name: `bench ${key}: ${WF_TITLES[key]}`,
		nodes: [
			trigger,
			{ id: randomUUID(), name: 'NoOp', type: 'n8n-nodes-base.noOp', typeVersion: 1, position: [220, 0], parameters: {} },
		],
		connections: { Trigger: { main: [[{ node: 'NoOp', type: 'main', index: 0 }]] } },
		settings: { executionOrder: 'v1' },
	};
}

// ---------------------------------------------------------------------------------------------- requests

/** One message: its MsgId, and the request WeCom sends for it, every time (first delivery and retries). */
interface Target {
	msgId: string;
	path: string;
	body: Buffer;
}

const CONTENT =
	'你好，我想查询一下上周五下的订单（订单号 20240607-00318）现在的物流状态。包裹一直显示“已揽收”，' +
	'已经三天没有更新了。如果发不了货，能不能直接退款？另外发票抬头需要改成公司名称，税号我稍后发给你。麻烦帮忙看一下，谢谢！';

let msgSeq = 7_400_000_000_000_000_000n;

/**
 * Distinct, correctly encrypted and signed text-message callbacks (distinct MsgId and sender). The nonce is the
 * MsgId's tail: unique within a run, so n8n's built-in Webhook node (which sees only the encrypted body) can be
 * matched to its MsgId through the query it stores.
 */
function buildTargets(secrets: CallbackSecrets, url: string, count: number): Target[] {
	const { pathname } = new URL(url);
	const out: Target[] = [];
	for (let i = 0; i < count; i++) {
		const msgId = String(++msgSeq);
		const xml = textMessageXml({
			corpId: secrets.corpId,
			fromUser: `user${msgId.slice(-6)}`,
			content: CONTENT,
			msgId,
			agentId: '1000002',
		});
		const signed = encryptedCallback(secrets, xml, { agentId: '1000002', nonce: msgId.slice(-9) });
		out.push({ msgId, path: withQuery(pathname, signed.query), body: Buffer.from(signed.body) });
	}
	return out;
}

// ---------------------------------------------------------------------------------------------- the client

interface ClientOptions {
	kind: 'wecom' | 'patient';
	/** WeCom's patience: it closes the connection when no answer came within 5 s (doc 90930). */
	hangUpMs: number;
	/** WeCom retries a callback 3 times (doc 90930). */
	retries: number;
	/** The doc names no interval between retries: by default the next one goes out at once. */
	retryDelayMs: number;
	/** Retry after an answer other than 200 "success" too (the doc promises retries after timeouts and failed connections only). */
	retryOnStatus: boolean;
}

/** One HTTP attempt: the status (or "timeout" when the client hung up, "error:<code>"), the body, the time. */
interface Attempt {
	status: number | string;
	ms: number;
	body: string;
}

/** What happened to one MsgId on the wire. */
interface Delivery {
	msgId: string;
	attempts: Attempt[];
	/** 1-based attempt that was answered 200 with the expected body, or 0. */
	acknowledgedAt: number;
}

function send(agent: http.Agent, port: number, target: Target, timeoutMs: number): Promise<Attempt> {
	return new Promise((resolve) => {
		const started = performance.now();
		let settled = false;
		const done = (status: number | string, body = '') => {
			if (settled) return;
			settled = true;
			resolve({ status, ms: performance.now() - started, body });
		};
		const req = http.request(
			{
				host: '127.0.0.1',
				port,
				method: 'POST',
				path: target.path,
				agent,
				headers: { 'content-type': 'text/xml', 'content-length': target.body.length },
			},
			(res) => {
				const chunks: Buffer[] = [];
				res.on('data', (c: Buffer) => chunks.push(c));
				res.on('end', () => done(res.statusCode ?? 0, Buffer.concat(chunks).toString('utf8')));
				res.on('error', (e: NodeJS.ErrnoException) => done(`error:${e.code ?? e.message}`));
			},
		);
		// The whole exchange, not socket idleness: WeCom counts 5 s from sending the request.
		const hangUp = setTimeout(() => {
			if (settled) return;
			done('timeout');
			req.destroy();
		}, timeoutMs);
		req.on('close', () => clearTimeout(hangUp));
		req.on('error', (e: NodeJS.ErrnoException) => done(`error:${e.code ?? e.message}`));
		req.end(target.body);
	});
}

interface ClientResult {
	deliveries: Delivery[];
	/** MsgIds whose first delivery went out. */
	sent: number;
	wallMs: number;
	hitTimeLimit: boolean;
}

/**
 * Sends every target at `concurrency` deliveries in flight. wecom: a delivery is the first request and up to
 * `retries` more of the same request, each abandoned after `hangUpMs`; patient: one request, waited for.
 */
async function fire(
	targets: Target[],
	port: number,
	concurrency: number,
	timeLimitMs: number,
	client: ClientOptions,
	expectBody: string,
): Promise<ClientResult> {
	const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
	const deliveries: Delivery[] = [];
	const started = performance.now();
	const deadline = started + timeLimitMs;
	let next = 0;
	let hitTimeLimit = false;
	const progress = setInterval(() => {
		const acknowledged = deliveries.filter((d) => d.acknowledgedAt > 0).length;
		process.stderr.write(
			`  … ${deliveries.length}/${targets.length} done (${acknowledged} acknowledged), ${((performance.now() - started) / 1000).toFixed(0)} s\n`,
		);
	}, 15_000);
	const acknowledges = (a: Attempt) => a.status === 200 && a.body === expectBody;
	const retryable = (a: Attempt) => typeof a.status === 'string' || (client.retryOnStatus && !acknowledges(a));
	const deliver = async (target: Target): Promise<Delivery> => {
		const attempts: Attempt[] = [];
		for (let i = 0; i <= client.retries; i++) {
			if (i > 0 && client.retryDelayMs > 0) await sleep(client.retryDelayMs);
			// A patient request may not outlive the run's time limit by more than a minute.
			const timeout = client.kind === 'wecom' ? client.hangUpMs : Math.max(5_000, deadline - performance.now() + 60_000);
			const attempt = await send(agent, port, target, timeout);
			attempts.push(attempt);
			if (acknowledges(attempt)) return { msgId: target.msgId, attempts, acknowledgedAt: i + 1 };
			if (!retryable(attempt)) break;
		}
		return { msgId: target.msgId, attempts, acknowledgedAt: 0 };
	};
	const worker = async () => {
		for (;;) {
			if (performance.now() > deadline) {
				hitTimeLimit = next < targets.length;
				return;
			}
			const i = next++;
			if (i >= targets.length) return;
			deliveries.push(await deliver(targets[i]));
		}
	};
	await Promise.all(Array.from({ length: concurrency }, worker));
	clearInterval(progress);
	agent.destroy();
	return { deliveries, sent: Math.min(next, targets.length), wallMs: performance.now() - started, hitTimeLimit };
}

function percentile(sorted: number[], p: number): number {
	if (sorted.length === 0) return NaN;
	return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

// ---------------------------------------------------------------------------------------------- per MsgId

interface StoredExecution {
	id: string;
	status: string;
	data?: { resultData?: { runData?: Record<string, Array<{ data?: { main?: Array<Array<{ json?: Record<string, any> }>> } }>> } };
}

/** The workflow's executions with their data, newer than `afterIds`, through n8n's public API. */
async function executionsWithData(n8n: N8nInstance, workflowId: string, afterIds: Set<string>): Promise<StoredExecution[]> {
	const out: StoredExecution[] = [];
	let cursor: string | undefined;
	do {
		const qs = new URLSearchParams({ workflowId, limit: '100', includeData: 'true' });
		if (cursor) qs.set('cursor', cursor);
		const page = await n8n.api<{ data: StoredExecution[]; nextCursor?: string | null }>('GET', `/executions?${qs.toString()}`);
		out.push(...page.data.filter((e) => !afterIds.has(e.id)));
		cursor = page.nextCursor ?? undefined;
	} while (cursor);
	return out;
}

/** The MsgId an execution ran for: the trigger's item (WeCom Trigger), or the nonce of the stored query (Webhook). */
function msgIdOf(execution: StoredExecution, byNonce: Map<string, string>): string | undefined {
	const json = execution.data?.resultData?.runData?.Trigger?.[0]?.data?.main?.[0]?.[0]?.json;
	if (json === undefined) return undefined;
	if (typeof json.MsgId === 'string') return json.MsgId;
	const nonce = (json.query as Record<string, unknown> | undefined)?.nonce;
	return typeof nonce === 'string' ? byNonce.get(nonce) : undefined;
}

interface PerMsgId {
	msgIds: number;
	acknowledged: number;
	/** How many MsgIds were acknowledged at the 1st, 2nd, ... attempt. */
	acknowledgedAtAttempt: Record<string, number>;
	acknowledgedExactlyOnce: number;
	/** Acknowledged, and no successful execution. */
	lost: number;
	/** Acknowledged, and more than one successful execution. */
	duplicated: number;
	neverAcknowledged: number;
	neverAcknowledgedRanOnce: number;
	neverAcknowledgedNotRun: number;
	neverAcknowledgedRanMoreThanOnce: number;
	/** Successful executions beyond the first of their MsgId. */
	extraExecutions: number;
	executionsByStatus: Record<string, number>;
	executionsWithoutKnownMsgId: number;
	sampleLost: string[];
	sampleDuplicated: string[];
}

function countPerMsgId(deliveries: Delivery[], executions: StoredExecution[], byNonce: Map<string, string>): PerMsgId {
	const successes = new Map<string, number>();
	const executionsByStatus: Record<string, number> = {};
	let executionsWithoutKnownMsgId = 0;
	for (const execution of executions) {
		executionsByStatus[execution.status] = (executionsByStatus[execution.status] ?? 0) + 1;
		const msgId = msgIdOf(execution, byNonce);
		if (msgId === undefined) executionsWithoutKnownMsgId++;
		else if (execution.status === 'success') successes.set(msgId, (successes.get(msgId) ?? 0) + 1);
	}
	const out: PerMsgId = {
		msgIds: deliveries.length,
		acknowledged: 0,
		acknowledgedAtAttempt: {},
		acknowledgedExactlyOnce: 0,
		lost: 0,
		duplicated: 0,
		neverAcknowledged: 0,
		neverAcknowledgedRanOnce: 0,
		neverAcknowledgedNotRun: 0,
		neverAcknowledgedRanMoreThanOnce: 0,
		extraExecutions: 0,
		executionsByStatus,
		executionsWithoutKnownMsgId,
		sampleLost: [],
		sampleDuplicated: [],
	};
	for (const d of deliveries) {
		const runs = successes.get(d.msgId) ?? 0;
		out.extraExecutions += Math.max(0, runs - 1);
		const trail = `${d.msgId}: ${d.attempts.map((a) => a.status).join(' → ')}; ${runs} successful executions`;
		if (d.acknowledgedAt > 0) {
			out.acknowledged++;
			out.acknowledgedAtAttempt[d.acknowledgedAt] = (out.acknowledgedAtAttempt[d.acknowledgedAt] ?? 0) + 1;
			if (runs === 1) out.acknowledgedExactlyOnce++;
			else if (runs === 0) {
				out.lost++;
				if (out.sampleLost.length < 5) out.sampleLost.push(trail);
			} else {
				out.duplicated++;
				if (out.sampleDuplicated.length < 5) out.sampleDuplicated.push(trail);
			}
		} else {
			out.neverAcknowledged++;
			if (runs === 0) out.neverAcknowledgedNotRun++;
			else if (runs === 1) out.neverAcknowledgedRanOnce++;
			else {
				out.neverAcknowledgedRanMoreThanOnce++;
				if (out.sampleDuplicated.length < 5) out.sampleDuplicated.push(trail);
			}
		}
	}
	return out;
}

// ---------------------------------------------------------------------------------------------- metrics

/** n8n's expression-engine counters from /metrics (only when N8N_METRICS=true), summed over labels. */
async function scrapeExpressionMetrics(n8n: N8nInstance): Promise<Record<string, number> | undefined> {
	try {
		const res = await fetch(`${n8n.baseUrl}/metrics`);
		if (!res.ok) return undefined;
		const out: Record<string, number> = {};
		for (const line of (await res.text()).split('\n')) {
			const m = /^(n8n_expression_[a-z_]+?)(?:\{[^}]*\})?\s+([0-9.eE+-]+)$/.exec(line);
			if (!m || m[1].endsWith('_bucket')) continue;
			out[m[1]] = (out[m[1]] ?? 0) + Number(m[2]);
		}
		return out;
	} catch {
		return undefined;
	}
}

// ---------------------------------------------------------------------------------------------- n8n's log

function logSize(file: string): number {
	try {
		return readFileSync(file).length;
	} catch {
		return 0;
	}
}

/**
 * n8n 2.41 pings its database every 2 s; a ping slower than 5 s marks it "not ready", and n8n then answers every
 * request 503 "Database is not ready!" before any workflow sees it, until a ping succeeds again (3 failures in a
 * row make it rebuild its connections). Counted from n8n's log since `offset`.
 */
function databaseMonitorEvents(file: string, offset: number): Record<string, number> {
	let text = '';
	try {
		text = readFileSync(file).subarray(offset).toString('utf8');
	} catch {
		return {};
	}
	const events: Record<string, RegExp> = {
		pingFailed: /Database ping failed/g,
		recoveryTriggered: /Triggering database connection recovery/g,
		recoveryAttempts: /Attempting to recover database connection/g,
		recovered: /Database connection recovered/g,
		sqliteLockTimeouts: /LockAcquireTimeoutError|SQLITE_BUSY/g,
	};
	return Object.fromEntries(Object.entries(events).map(([name, re]) => [name, text.match(re)?.length ?? 0]));
}

// ---------------------------------------------------------------------------------------------- one run

interface RunResult {
	label: string;
	phase: string;
	workflow: WfKey;
	workflowTitle: string;
	engine: string;
	env: Record<string, string>;
	client: ClientOptions;
	msgIdsPlanned: number;
	msgIdsSent: number;
	hitTimeLimit: boolean;
	wallS: number;
	msgIdsPerS: number;
	requests: number;
	/** Answers and hang-ups of all attempts: "200", "503", "timeout", "error:ECONNRESET", ... */
	attemptsByOutcome: Record<string, number>;
	/** Attempts answered 200 with another body than the expected one. */
	unexpected200Bodies: number;
	sampleNon200?: string[];
	/** Send to answer of the attempts that got an answer. */
	answeredLatencyMs: { p50: number; p90: number; p99: number; max: number };
	/** First send to acknowledgement, of the acknowledged MsgIds. */
	acknowledgementMs: { p50: number; p90: number; p99: number; max: number };
	perMsgId: PerMsgId;
	/** n8n's database monitor during the run (its log): while it finds the database "not ready", n8n answers 503. */
	databaseMonitor: Record<string, number>;
	cpu: {
		mainMs: number;
		childrenMs: number;
		msPerRequest: number;
		msPerMsgId: number;
		mainMsPerRequest: number;
		childrenMsPerRequest: number;
		quietWaitMs: number;
	};
	peakRssMb: { main: number; tree: number };
	loadAvgBefore: number[];
	loadAvgAfter: number[];
	/** The 1-minute load average, sampled every 5 s during the run: min, median, max. */
	loadAvg1DuringRun: { min: number; median: number; max: number };
	expressionMetricsPerRequest?: Record<string, number>;
}

async function runOne(
	n8n: N8nInstance,
	deployed: Deployed,
	targets: Target[],
	opts: Options,
	label: string,
	phase: string,
	engine: string,
	env: Record<string, string>,
): Promise<RunResult> {
	const pid = n8n.pid as number;
	const port = Number(new URL(n8n.baseUrl).port);
	await waitCpuQuiet(pid);
	const logOffset = logSize(n8n.logFile);
	const before = new Set((await n8n.executions(deployed.workflowId)).map((e) => e.id));
	const metricsBefore = await scrapeExpressionMetrics(n8n);
	const loadAvgBefore = loadAvg();
	let peakMain = 0;
	let peakTree = 0;
	const sampleRss = () => {
		const tree = processTree(pid);
		const main = rssKb(pid);
		peakMain = Math.max(peakMain, main);
		peakTree = Math.max(peakTree, tree.reduce((sum, s) => sum + (s.pid === pid ? main : rssKb(s.pid)), 0));
	};
	const rssSampler = setInterval(sampleRss, 250);
	const loads: number[] = [];
	const loadSampler = setInterval(() => loads.push(loadAvg()[0]), 5_000);
	const cpu0 = cpuSnapshot(pid);
	process.stderr.write(`${label}: ${deployed.key} (${targets.length} MsgIds, ${opts.concurrency} connections, ${opts.client.kind} client)\n`);
	const client = await fire(targets, port, opts.concurrency, opts.timeLimitS * 1000, opts.client, deployed.expectBody);
	clearInterval(loadSampler);
	const quietWaitMs = await waitCpuQuiet(pid);
	const cpu1 = cpuSnapshot(pid);
	clearInterval(rssSampler);
	sampleRss();
	const loadAvgAfter = loadAvg();
	const metricsAfter = await scrapeExpressionMetrics(n8n);
	await n8n.settledExecutions(deployed.workflowId, 3_000, 600_000);
	const executions = await executionsWithData(n8n, deployed.workflowId, before);
	const byNonce = new Map(targets.map((t) => [new URL(t.path, 'http://x').searchParams.get('nonce') ?? '', t.msgId]));
	const perMsgId = countPerMsgId(client.deliveries, executions, byNonce);
	const databaseMonitor = databaseMonitorEvents(n8n.logFile, logOffset);

	const attempts = client.deliveries.flatMap((d) => d.attempts);
	const attemptsByOutcome: Record<string, number> = {};
	const sampleNon200: string[] = [];
	let unexpected = 0;
	for (const a of attempts) {
		attemptsByOutcome[String(a.status)] = (attemptsByOutcome[String(a.status)] ?? 0) + 1;
		if (a.status === 200 && a.body !== deployed.expectBody) unexpected++;
		if (typeof a.status === 'number' && a.status !== 200 && sampleNon200.length < 5) sampleNon200.push(`${a.status} ${a.body.slice(0, 200)}`);
	}
	const stats = (values: number[]) => {
		const sorted = [...values].sort((a, b) => a - b);
		return {
			p50: Math.round(percentile(sorted, 50)),
			p90: Math.round(percentile(sorted, 90)),
			p99: Math.round(percentile(sorted, 99)),
			max: Math.round(sorted.at(-1) ?? NaN),
		};
	};
	const acknowledgementMs = client.deliveries
		.filter((d) => d.acknowledgedAt > 0)
		.map((d) => d.attempts.slice(0, d.acknowledgedAt).reduce((sum, a) => sum + a.ms, 0) + (d.acknowledgedAt - 1) * opts.client.retryDelayMs);
	const d = cpuDelta(cpu0, cpu1);
	const n = Math.max(1, attempts.length);
	const r1 = (x: number) => Math.round(x * 10) / 10;
	let expressionMetricsPerRequest: Record<string, number> | undefined;
	if (metricsBefore && metricsAfter) {
		expressionMetricsPerRequest = {};
		for (const [k, v] of Object.entries(metricsAfter)) {
			const delta = v - (metricsBefore[k] ?? 0);
			if (delta !== 0) expressionMetricsPerRequest[k] = Math.round((delta / n) * 1000) / 1000;
		}
	}
	const sortedLoads = [...loads].sort((a, b) => a - b);
	return {
		label,
		phase,
		workflow: deployed.key,
		workflowTitle: WF_TITLES[deployed.key],
		engine,
		env,
		client: opts.client,
		msgIdsPlanned: targets.length,
		msgIdsSent: client.sent,
		hitTimeLimit: client.hitTimeLimit,
		wallS: r1(client.wallMs / 1000),
		msgIdsPerS: r1((client.deliveries.length * 1000) / client.wallMs),
		requests: attempts.length,
		attemptsByOutcome,
		unexpected200Bodies: unexpected,
		...(sampleNon200.length ? { sampleNon200 } : {}),
		answeredLatencyMs: stats(attempts.filter((a) => typeof a.status === 'number').map((a) => a.ms)),
		acknowledgementMs: stats(acknowledgementMs),
		perMsgId,
		databaseMonitor,
		cpu: {
			mainMs: Math.round(d.mainMs),
			childrenMs: Math.round(d.childrenMs),
			msPerRequest: r1((d.mainMs + d.childrenMs) / n),
			msPerMsgId: r1((d.mainMs + d.childrenMs) / Math.max(1, client.deliveries.length)),
			mainMsPerRequest: r1(d.mainMs / n),
			childrenMsPerRequest: r1(d.childrenMs / n),
			quietWaitMs,
		},
		peakRssMb: { main: Math.round(peakMain / 1024), tree: Math.round(peakTree / 1024) },
		loadAvgBefore,
		loadAvgAfter,
		loadAvg1DuringRun: {
			min: sortedLoads[0] ?? NaN,
			median: percentile(sortedLoads, 50),
			max: sortedLoads.at(-1) ?? NaN,
		},
		...(expressionMetricsPerRequest ? { expressionMetricsPerRequest } : {}),
	};
}

// ---------------------------------------------------------------------------------------------- plans

interface Phase {
	name: string;
	env: Record<string, string>;
	workflows: WfKey[];
	runs: WfKey[];
}

function phasesFor(opts: Options): Phase[] {
	if (opts.plan === 'wecom') {
		// n8n's defaults are where acknowledgements are slowest: each request builds expression isolates.
		const runs = opts.workflows ?? ['A', 'AF', 'B'];
		const name = Object.entries(opts.n8nEnv).map(([k, v]) => `${k}=${v}`).join(' ') || 'defaults';
		return [{ name, env: opts.n8nEnv, workflows: [...new Set(runs)], runs }];
	}
	const all: WfKey[] = ['A', 'B'];
	if (opts.plan === 'main') {
		const phases: Phase[] = [{ name: 'default-1', env: {}, workflows: all, runs: ['A', 'B', 'A', 'B'] }];
		if (opts.pairs >= 2) {
			phases.push({ name: 'legacy', env: { N8N_EXPRESSION_ENGINE: 'legacy' }, workflows: all, runs: ['A', 'B'] });
		}
		if (opts.pairs >= 3) phases.push({ name: 'default-2', env: {}, workflows: all, runs: ['A', 'B'] });
		return phases;
	}
	if (opts.plan === 'isolates') {
		// Interleaved repeats of triggers that need 3, 2, 2 and 1 isolates per request (see the README).
		const wfs: WfKey[] = ['A', 'AC', 'M2', 'B'];
		return [{ name: 'isolates', env: { N8N_METRICS: 'true' }, workflows: wfs, runs: [...wfs, ...wfs] }];
	}
	const diag: WfKey[] = ['A', 'B', 'A11', 'AC', 'M1', 'M2', 'B1'];
	const metrics = { N8N_METRICS: 'true' };
	return [
		{ name: 'diag-default', env: metrics, workflows: diag, runs: ['A', 'B', 'A11', 'AC', 'M1', 'M2', 'B1'] },
		{
			name: 'diag-no-isolate-skip',
			env: { ...metrics, N8N_EXPRESSION_ENGINE_ALLOW_WEBHOOK_ISOLATE_SKIP: 'false' },
			workflows: ['A', 'B'],
			runs: ['B', 'A'],
		},
		{
			name: 'diag-compile-cache',
			env: { ...metrics, N8N_EXPRESSION_ENGINE_COMPILE_CACHE: 'true' },
			workflows: ['A', 'B'],
			runs: ['A', 'B'],
		},
		{
			name: 'diag-lazy-acquire',
			env: { ...metrics, N8N_EXPRESSION_ENGINE_LAZY_ACQUIRE: 'true' },
			workflows: ['A', 'A11', 'M1', 'M2', 'B'],
			runs: ['A', 'A11', 'M1', 'M2', 'B'],
		},
	];
}

// ---------------------------------------------------------------------------------------------- main

function machineInfo() {
	const { bin, nodeBin } = n8nPaths();
	const cpuModel = /model name\s*:\s*(.*)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? os.cpus()[0]?.model;
	const n8nVersion = (JSON.parse(readFileSync(path.join(path.dirname(bin), '..', 'package.json'), 'utf8')) as { version: string })
		.version;
	return {
		cpuModel,
		nproc: os.availableParallelism(),
		memGb: Math.round(os.totalmem() / 2 ** 30),
		kernel: `${os.type()} ${os.release()} ${os.arch()}`,
		nodeOfN8n: execFileSync(nodeBin, ['--version']).toString().trim(),
		nodeOfBench: process.version,
		n8nVersion,
		clkTck: CLK_TCK,
	};
}

function fmtTable(results: RunResult[]): string {
	const head = [
		'run', 'wf', 'engine', 'MsgIds', 'requests', 'acked', 'acked at 1/2/3/4', 'exactly once', 'lost', 'duplicated',
		'never acked (ran/not)', 'attempts', 'ack p50/p99 ms', 'CPU ms/req', 'db not ready', 'load1 min-max',
	];
	const rows = results.map((r) => {
		const m = r.perMsgId;
		return [
			r.label,
			r.workflow,
			r.engine,
			String(m.msgIds),
			String(r.requests),
			String(m.acknowledged),
			[1, 2, 3, 4].map((i) => m.acknowledgedAtAttempt[i] ?? 0).join('/'),
			String(m.acknowledgedExactlyOnce),
			String(m.lost),
			String(m.duplicated),
			`${m.neverAcknowledged} (${m.neverAcknowledgedRanOnce + m.neverAcknowledgedRanMoreThanOnce}/${m.neverAcknowledgedNotRun})`,
			Object.entries(r.attemptsByOutcome).map(([k, v]) => `${k}:${v}`).join(' '),
			`${r.acknowledgementMs.p50}/${r.acknowledgementMs.p99}`,
			r.cpu.msPerRequest.toFixed(1),
			String(r.databaseMonitor.pingFailed ?? 0),
			`${r.loadAvg1DuringRun.min.toFixed(1)}-${r.loadAvg1DuringRun.max.toFixed(1)}`,
		];
	});
	const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
	const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
	return [line(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

async function main(): Promise<void> {
	const opts = parseOptions(process.argv.slice(2));
	const machine = machineInfo();
	const secrets = newSecrets('ww_bench_corp');
	const sample = buildTargets(secrets, 'http://127.0.0.1/webhook/x/webhook', 1)[0];
	const inputs = {
		plan: opts.plan,
		msgIdsPerRun: opts.requests,
		concurrency: opts.concurrency,
		timeLimitS: opts.timeLimitS,
		client: opts.client,
		warmupPerWorkflow: opts.warmup,
		bodyBytes: sample.body.length,
		bodyNote: 'every workflow gets distinct encrypted WeCom envelopes (text/xml) with msg_signature/timestamp/nonce in the query',
		clientNote: 'node:http, keep-alive Agent (maxSockets = concurrency), all on 127.0.0.1, requests precomputed',
		n8nEnvAdded: { EXECUTIONS_DATA_PRUNE: 'false' },
		n8nEnvOfHarness: 'test/e2e/harness.ts n8nEnv(): SQLite, DB_SQLITE_POOL_SIZE=2 (n8n\'s default is 3), N8N_LOG_LEVEL=info',
	};
	console.log('machine:', JSON.stringify(machine));
	console.log('inputs: ', JSON.stringify(inputs));
	const started = new Date();
	const results: RunResult[] = [];
	const phases: Array<{ name: string; env: Record<string, string>; idleCpuMsPerS: number; processes: string[] }> = [];
	const resultsDir = path.resolve(__dirname, '..', '..', 'bench', 'results');
	mkdirSync(resultsDir, { recursive: true });
	const stamp = started.toISOString().slice(0, 10);
	const outFile = opts.out ?? path.join(resultsDir, `trigger-load-${stamp}-${opts.plan}.json`);
	const save = () =>
		writeFileSync(
			outFile,
			JSON.stringify({ startedAt: started.toISOString(), finishedAt: new Date().toISOString(), machine, inputs, phases, runs: results }, null, 2),
		);

	let runNo = 0;
	for (const phase of phasesFor(opts)) {
		const userFolder = mkdtempSync(path.join(os.tmpdir(), 'kefu-bench-'));
		writeBenchPackage(userFolder);
		const env: Record<string, string> = { EXECUTIONS_DATA_PRUNE: 'false', ...phase.env };
		const engine = env.N8N_EXPRESSION_ENGINE ?? 'vm (default)';
		process.stderr.write(`phase ${phase.name}: starting n8n with ${JSON.stringify(env)}\n`);
		const n8n = await startN8n({ env, userFolder });
		try {
			const credential = await n8n.createCredential('weComCallbackApi', 'WeCom Callback (bench)', { ...secrets });
			const deployed = new Map<WfKey, Deployed>();
			for (const key of phase.workflows) {
				const webhookId = randomUUID();
				const wf = workflowFor(key, webhookId, credential);
				const { id } = await n8n.importWorkflow(wf);
				await n8n.publish(id);
				const isBuiltIn = key === 'B' || key === 'B1';
				const url = isBuiltIn
					? `${n8n.baseUrl}/webhook/${wf.nodes[0].parameters.path as string}`
					: n8n.webhookUrl(webhookId, 'webhook');
				const warm = buildTargets(secrets, url, 1)[0];
				await waitForWebhook(`${n8n.baseUrl}${warm.path}`, {
					method: 'POST',
					headers: { 'content-type': 'text/xml' },
					body: warm.body,
				});
				if (key === 'A' || key === 'AF' || key === 'A11' || key === 'AC') {
					const echo = await fetch(withQuery(url, urlVerification(secrets, 'bench-echo')));
					if ((await echo.text()) !== 'bench-echo') throw new Error(`${key}: URL verification failed`);
				}
				deployed.set(key, {
					key,
					workflowId: id,
					url,
					expectBody: isBuiltIn ? '{"message":"Workflow was started"}' : 'success',
				});
			}
			// Warm-up (not measured): JIT, caches, the first isolates. Patient, so that nothing is retried.
			const patient: ClientOptions = { ...opts.client, kind: 'patient', retries: 0 };
			for (const d of deployed.values()) {
				const warm = await fire(buildTargets(secrets, d.url, opts.warmup), Number(new URL(n8n.baseUrl).port), 10, 120_000, patient, d.expectBody);
				const bad = warm.deliveries.filter((x) => x.acknowledgedAt === 0).length;
				if (bad > 0) process.stderr.write(`  warm-up of ${d.key}: ${bad} not acknowledged\n`);
			}
			for (const d of deployed.values()) await n8n.settledExecutions(d.workflowId, 2_000, 300_000);
			await waitCpuQuiet(n8n.pid as number);
			const idle0 = cpuSnapshot(n8n.pid as number);
			await sleep(5_000);
			const idle = cpuDelta(idle0, cpuSnapshot(n8n.pid as number));
			const processes = processTree(n8n.pid as number).map((s) => `${s.pid} ${s.comm} (ppid ${s.ppid})`);
			phases.push({ name: phase.name, env, idleCpuMsPerS: Math.round((idle.mainMs + idle.childrenMs) / 5), processes });
			process.stderr.write(`  n8n tree: ${processes.join('; ')}; idle CPU ${Math.round((idle.mainMs + idle.childrenMs) / 5)} ms/s\n`);

			for (const key of phase.runs) {
				const d = deployed.get(key)!;
				const targets = buildTargets(secrets, d.url, opts.requests);
				const label = `${++runNo}`;
				const result = await runOne(n8n, d, targets, opts, label, phase.name, engine, phase.env);
				results.push(result);
				save();
				console.log(fmtTable([result]).split('\n').slice(-1)[0]);
			}
		} finally {
			await n8n.stop({ keepUserFolder: true });
			// n8n's log of the phase, to read what it says about refused requests; the database goes.
			const keptLog = path.join(os.tmpdir(), `trigger-load-${started.toISOString().replace(/[:.]/g, '-')}-${phase.name}.n8n.log`);
			if (existsSync(n8n.logFile)) cpSync(n8n.logFile, keptLog);
			process.stderr.write(`  n8n's log: ${keptLog}\n`);
			rmSync(userFolder, { recursive: true, force: true });
		}
	}

	console.log(
		`\n${opts.plan} plan, ${opts.requests} MsgIds/run at ${opts.concurrency} connections, ${opts.client.kind} client; machine ${machine.cpuModel}, nproc ${machine.nproc}, n8n ${machine.n8nVersion}, Node ${machine.nodeOfN8n}`,
	);
	console.log(fmtTable(results));
	for (const r of results) {
		const m = r.perMsgId;
		if (m.lost > 0 || m.duplicated > 0) {
			console.log(`\nrun ${r.label} ${r.workflow}: ${m.lost} lost, ${m.duplicated} duplicated; e.g.\n  ${[...m.sampleLost, ...m.sampleDuplicated].join('\n  ')}`);
		}
	}
	if (results.some((r) => r.expressionMetricsPerRequest)) {
		console.log('\nexpression-engine counters per request (n8n /metrics deltas):');
		for (const r of results) console.log(`  run ${r.label} ${r.workflow} [${r.phase}]: ${JSON.stringify(r.expressionMetricsPerRequest ?? {})}`);
	}
	save();
	console.log(`\nresults: ${outFile}`);
}

main().catch((error: unknown) => {
	console.error(error);
	process.exitCode = 1;
});
