// The WeCom Trigger under a bounded load in a real n8n (the pinned version, started by the e2e harness with
// the built package installed), driven by a client that behaves like WeCom, and counted per MsgId.
// Run:   npm run bench -- trigger-load            (the default plan, "wecom": A, AF and B below, default engine)
//        node_modules/.bin/node .test-build/bench/trigger-load.js [--plan=wecom|main|diag|isolates]
//          [--workflows=A,AF,B] [--requests=1000] [--concurrency=50] [--time-limit=300] [--client=wecom|patient]
//          [--hang-up-ms=5000] [--retries=3] [--retry-delay-ms=0] [--retry-on-status] [--n8n-env=KEY=VALUE ...]
//          [--mode=single|queue|both] [--queue-webhooks=1] [--queue-workers=2] [--drain-limit=300] [--out=file.json]
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
//
// --mode=queue runs the same workflows on the queue-mode set of test/e2e/harness-queue.ts (Postgres, Redis, n8n
// main, --queue-webhooks webhook processes, --queue-workers workers, the round-robin load balancer in front;
// the callbacks go to the balancer). There n8n acknowledges once the job is queued and a worker executes it later:
// the run waits (at most --drain-limit s) until the set is idle again before it counts. CPU is then the sum over
// every process of the set with its children (Postgres's backends, task runners); the balancer runs inside this
// bench process and is reported with the client's CPU. --mode=both runs each phase in one process, then queued.
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';

import { type N8nInstance, n8nPaths, startN8n, waitForWebhook, type WorkflowJson } from '../test/e2e/harness';
import { type QueueN8nInstance, startN8nQueue } from '../test/e2e/harness-queue';
import { CLK_TCK, cpuDelta, type CpuSnapshot, cpuSnapshot, processTree } from './support/proc';
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

/** One n8n process (SQLite), or the queue-mode set (Postgres, Redis, main, webhook processes, workers, balancer). */
type Mode = 'single' | 'queue';

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
	/** single, queue, or both one after the other (each phase runs in every mode given). */
	modes: Mode[];
	queueWebhooks: number;
	queueWorkers: number;
	/** How long the queue may take to drain after the client is done (queue mode executes after acknowledging). */
	drainLimitS: number;
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
		modes: (() => {
			const mode = get('mode') ?? 'single';
			if (!['single', 'queue', 'both'].includes(mode)) throw new Error(`unknown --mode=${mode}`);
			return mode === 'both' ? ['single', 'queue'] : [mode as Mode];
		})(),
		queueWebhooks: Number(get('queue-webhooks') ?? 1),
		queueWorkers: Number(get('queue-workers') ?? 2),
		drainLimitS: Number(get('drain-limit') ?? 300),
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

/** CPU of several process trees at once (every process of a queue-mode set). */
type SetSnapshot = CpuSnapshot[];

function setSnapshot(roots: number[]): SetSnapshot {
	return roots.map((root) => cpuSnapshot(root));
}

/** CPU milliseconds of all the trees between two snapshots: the roots, and their descendants (live or reaped). */
function setDelta(a: SetSnapshot, b: SetSnapshot): { mainMs: number; childrenMs: number } {
	let mainMs = 0;
	let childrenMs = 0;
	for (let i = 0; i < a.length; i++) {
		const d = cpuDelta(a[i], b[i]);
		mainMs += d.mainMs;
		childrenMs += d.childrenMs;
	}
	return { mainMs, childrenMs };
}

/**
 * Waits until the trees have used less than `idleMsPerS` + 5 % of one core for two consecutive half seconds (at
 * most `limitMs`). `idleMsPerS` is what the set burns when nothing happens (a queue-mode set polls Redis and
 * Postgres; one process is near 0).
 */
async function waitCpuQuiet(roots: number[], limitMs = 120_000, idleMsPerS = 0): Promise<number> {
	const started = Date.now();
	let quiet = 0;
	let prev = setSnapshot(roots);
	while (Date.now() - started < limitMs) {
		await sleep(500);
		const next = setSnapshot(roots);
		const d = setDelta(prev, next);
		prev = next;
		quiet = d.mainMs + d.childrenMs < 25 + idleMsPerS / 2 ? quiet + 1 : 0;
		if (quiet >= 2) break;
	}
	return Date.now() - started;
}

/** What a run drives and measures: one n8n, or the queue-mode set. */
interface Rig {
	mode: Mode;
	n8n: N8nInstance;
	/** The pids whose trees are measured (CPU, RSS): n8n, or every process of the set. */
	roots(): Record<string, number>;
	/** The n8n processes' logs (database monitor events). */
	logFiles(): string[];
	/** Where the callbacks go: n8n's port, or the balancer's. */
	webhookOrigin: string;
	/** The set's CPU when idle (ms/s), measured after the warm-up. */
	idleCpuMsPerS: number;
}

function rigOf(mode: Mode, n8n: N8nInstance): Rig {
	if (mode === 'single') {
		return {
			mode,
			n8n,
			roots: () => ({ n8n: n8n.pid as number }),
			logFiles: () => [n8n.logFile],
			webhookOrigin: n8n.baseUrl,
			idleCpuMsPerS: 0,
		};
	}
	const queued = n8n as QueueN8nInstance;
	return {
		mode,
		n8n,
		roots: () => queued.pids(),
		logFiles: () => queued.set.n8n.map((p) => p.logFile),
		webhookOrigin: new URL(queued.webhookUrl('x')).origin,
		idleCpuMsPerS: 0,
	};
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
	startedAt?: string | null;
	stoppedAt?: string | null;
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
	mode: Mode;
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
		/** The set's idle CPU over the run (idleCpuMsPerS × the run's wall time): what it burns with no callbacks. */
		idleMsOfSet: number;
		msPerMsgIdWithoutIdle: number;
		lastStopAfterSnapshotMs: number;
		/** CPU ms of each root with its children (n8n, or main, webhook-N, worker-N, postgres, redis). */
		perRootMs: Record<string, number>;
	};
	/** Peak RSS: `main` = n8n, or the set's main, alone, `tree` = every root with its children, summed. */
	peakRssMb: { main: number; tree: number; perRoot: Record<string, number> };
	/** Acknowledged MsgIds per second of the client's wall time. */
	acknowledgedPerS: number;
	/**
	 * Successful executions of this run per second, from their stored times: first startedAt to last stoppedAt.
	 * In queue mode they go on after the last acknowledgement (drainS: last stoppedAt after the client's end).
	 */
	executions: { successful: number; firstStartToLastStopS: number; perS: number; drainS: number };
	/** CPU of this bench process (the client; in queue mode also the load balancer) during the client's run. */
	benchProcessCpuMs: number;
	loadAvgBefore: number[];
	loadAvgAfter: number[];
	/** The 1-minute load average, sampled every 5 s during the run: min, median, max. */
	loadAvg1DuringRun: { min: number; median: number; max: number };
	expressionMetricsPerRequest?: Record<string, number>;
}

async function runOne(
	rig: Rig,
	deployed: Deployed,
	targets: Target[],
	opts: Options,
	label: string,
	phase: string,
	engine: string,
	env: Record<string, string>,
): Promise<RunResult> {
	const { n8n } = rig;
	const roots = rig.roots();
	const rootPids = Object.values(roots);
	const port = Number(new URL(deployed.url).port);
	await waitCpuQuiet(rootPids, 120_000, rig.idleCpuMsPerS);
	const logOffsets = rig.logFiles().map((file) => [file, logSize(file)] as const);
	const before = new Set((await n8n.executions(deployed.workflowId)).map((e) => e.id));
	const metricsBefore = await scrapeExpressionMetrics(n8n);
	const loadAvgBefore = loadAvg();
	let peakMain = 0;
	let peakTree = 0;
	const peakPerRoot: Record<string, number> = {};
	const sampleRss = () => {
		let total = 0;
		for (const [name, pid] of Object.entries(roots)) {
			const kb = processTree(pid).reduce((sum, s) => sum + rssKb(s.pid), 0);
			peakPerRoot[name] = Math.max(peakPerRoot[name] ?? 0, kb);
			total += kb;
		}
		peakMain = Math.max(peakMain, rssKb(roots.main ?? roots.n8n));
		peakTree = Math.max(peakTree, total);
	};
	const rssSampler = setInterval(sampleRss, 250);
	const loads: number[] = [];
	const loadSampler = setInterval(() => loads.push(loadAvg()[0]), 5_000);
	const cpu0 = setSnapshot(rootPids);
	const benchCpu0 = process.cpuUsage();
	const runStartedMs = Date.now();
	process.stderr.write(
		`${label}: ${deployed.key} [${rig.mode}] (${targets.length} MsgIds, ${opts.concurrency} connections, ${opts.client.kind} client)\n`,
	);
	const client = await fire(targets, port, opts.concurrency, opts.timeLimitS * 1000, opts.client, deployed.expectBody);
	const benchCpu = process.cpuUsage(benchCpu0);
	const clientEndedMs = Date.now();
	clearInterval(loadSampler);
	// Queue mode: the workers go on after the last acknowledgement; the set is idle again once the queue is empty.
	const quietWaitMs = await waitCpuQuiet(rootPids, rig.mode === 'queue' ? opts.drainLimitS * 1000 : 120_000, rig.idleCpuMsPerS);
	const cpu1 = setSnapshot(rootPids);
	const snapshotMs = Date.now();
	clearInterval(rssSampler);
	sampleRss();
	const loadAvgAfter = loadAvg();
	const metricsAfter = await scrapeExpressionMetrics(n8n);
	await n8n.settledExecutions(deployed.workflowId, 3_000, 600_000);
	const executions = await executionsWithData(n8n, deployed.workflowId, before);
	const byNonce = new Map(targets.map((t) => [new URL(t.path, 'http://x').searchParams.get('nonce') ?? '', t.msgId]));
	const perMsgId = countPerMsgId(client.deliveries, executions, byNonce);
	const databaseMonitor: Record<string, number> = {};
	for (const [file, offset] of logOffsets) {
		for (const [k, v] of Object.entries(databaseMonitorEvents(file, offset))) databaseMonitor[k] = (databaseMonitor[k] ?? 0) + v;
	}
	const successful = executions.filter((e) => e.status === 'success');
	const starts = successful.map((e) => Date.parse(e.startedAt ?? '')).filter(Number.isFinite);
	const stops = successful.map((e) => Date.parse(e.stoppedAt ?? '')).filter(Number.isFinite);
	const firstStart = starts.length ? Math.min(...starts) : NaN;
	const lastStop = stops.length ? Math.max(...stops) : NaN;
	const spanS = (lastStop - firstStart) / 1000;
	if (lastStop > snapshotMs) {
		process.stderr.write(`  note: an execution stopped ${lastStop - snapshotMs} ms after the CPU was read (drain limit?)\n`);
	}

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
	const d = setDelta(cpu0, cpu1);
	const idleMs = (rig.idleCpuMsPerS * (snapshotMs - runStartedMs)) / 1000;
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
		mode: rig.mode,
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
			idleMsOfSet: Math.round(idleMs),
			msPerMsgIdWithoutIdle: r1((d.mainMs + d.childrenMs - idleMs) / Math.max(1, client.deliveries.length)),
			lastStopAfterSnapshotMs: Number.isFinite(lastStop) ? Math.max(0, lastStop - snapshotMs) : 0,
			perRootMs: Object.fromEntries(
				Object.keys(roots).map((name, i) => {
					const one = cpuDelta(cpu0[i], cpu1[i]);
					return [name, Math.round(one.mainMs + one.childrenMs)];
				}),
			),
		},
		peakRssMb: {
			main: Math.round(peakMain / 1024),
			tree: Math.round(peakTree / 1024),
			perRoot: Object.fromEntries(Object.entries(peakPerRoot).map(([k, v]) => [k, Math.round(v / 1024)])),
		},
		acknowledgedPerS: r1((perMsgId.acknowledged * 1000) / client.wallMs),
		executions: {
			successful: successful.length,
			firstStartToLastStopS: r1(spanS),
			perS: r1(successful.length / Math.max(0.001, spanS)),
			drainS: r1(Math.max(0, lastStop - clientEndedMs) / 1000),
		},
		benchProcessCpuMs: Math.round((benchCpu.user + benchCpu.system) / 1000),
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
		'run', 'mode', 'wf', 'engine', 'MsgIds', 'requests', 'acked', 'acked at 1/2/3/4', 'exactly once', 'lost', 'duplicated',
		'never acked (ran/not)', 'attempts', 'acked/s', 'exec/s', 'ack p50/p99 ms', 'CPU ms/req', 'CPU ms/MsgId',
		'peak RSS MB', 'db not ready', 'load1 min-max',
	];
	const rows = results.map((r) => {
		const m = r.perMsgId;
		return [
			r.label,
			r.mode,
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
			r.acknowledgedPerS.toFixed(1),
			r.executions.perS.toFixed(1),
			`${r.acknowledgementMs.p50}/${r.acknowledgementMs.p99}`,
			r.cpu.msPerRequest.toFixed(1),
			r.cpu.msPerMsgId.toFixed(1),
			String(r.peakRssMb.tree),
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
		modes: opts.modes,
		...(opts.modes.includes('queue')
			? {
					queueSet: `test/e2e/harness-queue.ts startN8nQueue: Postgres, Redis, main, ${opts.queueWebhooks} webhook process(es), ${opts.queueWorkers} workers, the round-robin balancer (in this process) in front; callbacks to the balancer`,
					drainLimitS: opts.drainLimitS,
				}
			: {}),
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
	const needsBenchPackage = (keys: WfKey[]) => keys.some((k) => k !== 'A' && k !== 'B');
	for (const phase of phasesFor(opts)) {
		for (const mode of opts.modes) {
			if (mode === 'queue' && needsBenchPackage(phase.workflows)) {
				throw new Error(`--mode=queue runs A and B only (the bench copies are installed into one user folder): ${phase.workflows.join(',')}`);
			}
			// n8n's own default for lazy acquisition unless the phase says otherwise: the project's start scripts (and
			// so the queue-mode set) turn it on when the environment does not set it.
			const env: Record<string, string> = { EXECUTIONS_DATA_PRUNE: 'false', N8N_EXPRESSION_ENGINE_LAZY_ACQUIRE: 'false', ...phase.env };
			const engine = env.N8N_EXPRESSION_ENGINE ?? 'vm (default)';
			const phaseName = opts.modes.length > 1 ? `${phase.name} [${mode}]` : phase.name;
			let userFolder: string | undefined;
			let n8n: N8nInstance;
			if (mode === 'single') {
				userFolder = mkdtempSync(path.join(os.tmpdir(), 'kefu-bench-'));
				writeBenchPackage(userFolder);
				process.stderr.write(`phase ${phaseName}: starting n8n with ${JSON.stringify(env)}\n`);
				n8n = await startN8n({ env, userFolder });
			} else {
				process.stderr.write(
					`phase ${phaseName}: starting the queue-mode set (${opts.queueWebhooks} webhook, ${opts.queueWorkers} workers) with ${JSON.stringify(env)}\n`,
				);
				n8n = await startN8nQueue({ env, webhooks: opts.queueWebhooks, workers: opts.queueWorkers });
			}
			const rig = rigOf(mode, n8n);
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
						? `${rig.webhookOrigin}/webhook/${wf.nodes[0].parameters.path as string}`
						: `${rig.webhookOrigin}/webhook/${webhookId}/webhook`;
					const warm = buildTargets(secrets, url, 1)[0];
					await waitForWebhook(`${rig.webhookOrigin}${warm.path}`, {
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
				const clientPort = Number(new URL(rig.webhookOrigin).port);
				for (const d of deployed.values()) {
					const warm = await fire(buildTargets(secrets, d.url, opts.warmup), clientPort, 10, 120_000, patient, d.expectBody);
					const bad = warm.deliveries.filter((x) => x.acknowledgedAt === 0).length;
					if (bad > 0) process.stderr.write(`  warm-up of ${d.key}: ${bad} not acknowledged\n`);
				}
				for (const d of deployed.values()) await n8n.settledExecutions(d.workflowId, 2_000, 300_000);
				const rootPids = Object.values(rig.roots());
				await waitCpuQuiet(rootPids, 120_000, mode === 'queue' ? 100 : 0);
				const idle0 = setSnapshot(rootPids);
				await sleep(20_000);
				const idle = setDelta(idle0, setSnapshot(rootPids));
				rig.idleCpuMsPerS = Math.round((idle.mainMs + idle.childrenMs) / 20);
				const processes = Object.entries(rig.roots()).flatMap(([name, root]) =>
					processTree(root).map((s) => `${name}: ${s.pid} ${s.comm} (ppid ${s.ppid})`),
				);
				phases.push({ name: phaseName, env, idleCpuMsPerS: rig.idleCpuMsPerS, processes });
				process.stderr.write(`  processes: ${processes.length}; idle CPU ${rig.idleCpuMsPerS} ms/s\n`);

				for (const key of phase.runs) {
					const d = deployed.get(key)!;
					const targets = buildTargets(secrets, d.url, opts.requests);
					const label = `${++runNo}`;
					const result = await runOne(rig, d, targets, opts, label, phaseName, engine, phase.env);
					results.push(result);
					save();
					console.log(fmtTable([result]).split('\n').slice(-1)[0]);
				}
			} finally {
				const logs = rig.logFiles();
				const keptLogs: string[] = [];
				const stamp2 = started.toISOString().replace(/[:.]/g, '-');
				// n8n's logs of the phase, to read what they say about refused requests; the database goes.
				const tmpLogs = logs.map((file, i) => {
					const kept = path.join(os.tmpdir(), `trigger-load-${stamp2}-${phaseName.replace(/[^\w-]+/g, '_')}-${i}.n8n.log`);
					return [file, kept] as const;
				});
				// The set's folder (and the logs in it) goes with stop(): copy first.
				const keep = () => {
					for (const [file, kept] of tmpLogs) {
						if (!existsSync(file)) continue;
						cpSync(file, kept);
						keptLogs.push(kept);
					}
				};
				if (mode === 'queue') {
					keep();
					await n8n.stop();
				} else {
					await n8n.stop({ keepUserFolder: true });
					keep();
					rmSync(userFolder!, { recursive: true, force: true });
				}
				process.stderr.write(`  n8n's logs: ${keptLogs.join(' ')}\n`);
			}
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
