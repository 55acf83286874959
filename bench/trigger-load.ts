// The WeCom Trigger under a bounded load in a real n8n (the pinned version, started by the e2e harness with
// the built package installed), side by side with n8n's built-in Webhook node on the same instance.
// Build: npm run build && node_modules/.bin/tsc -p tsconfig.test.json
// Run:   node_modules/.bin/node .test-build/bench/trigger-load.js [--plan=main|diag|isolates] [--requests=2000]
//        [--concurrency=50] [--time-limit=600] [--pairs=3] [--out=file.json]
//
// Workflows, each "<trigger> → NoOp", all on 127.0.0.1:
//   A    n8n-nodes-kefu.weComTrigger v1, messageTypes ['text']: every request a distinct, encrypted and signed
//        text-message callback (distinct MsgId), precomputed before the run.
//   B    n8n-nodes-base.webhook v2.1, POST, default response mode (answers once the execution is stored); it
//        receives the same kind of bodies (the same ~1 KB encrypted XML envelopes, distinct per request).
//   Diagnostics only (--plan=diag|isolates), from a throwaway package `n8n-nodes-kefubench` written into
//   the same n8n's user folder:
//   A11  the same WeCom Trigger code declared as version 1.1 (n8n skips a per-request expression for v1 only);
//   AC   the same WeCom Trigger code (v1) with getCredentials answered from a 60 s cache;
//   M1   a minimal custom trigger (no credential, no crypto) with the WeCom Trigger's webhook descriptions, v1;
//   M2   the same minimal trigger as v2;
//   B1   the built-in Webhook node at typeVersion 1.
// Per run: requests/s, latency p50/p99, CPU per request of the n8n process tree (utime+stime from /proc),
// peak RSS, status counts, and "lost" = 200s without a stored successful execution.
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';

import { type N8nInstance, n8nPaths, startN8n, waitForWebhook, type WorkflowJson } from '../test/e2e/harness';
import {
	type CallbackSecrets,
	encryptedCallback,
	newSecrets,
	textMessageXml,
	urlVerification,
	withQuery,
} from '../test/fakes/wecom/callback';

// ---------------------------------------------------------------------------------------------- options

interface Options {
	plan: 'main' | 'diag' | 'isolates';
	requests: number;
	concurrency: number;
	timeLimitS: number;
	pairs: number;
	warmup: number;
	out?: string;
}

function parseOptions(argv: string[]): Options {
	const get = (name: string): string | undefined =>
		argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
	const plan = (get('plan') ?? 'main') as Options['plan'];
	if (!['main', 'diag', 'isolates'].includes(plan)) throw new Error(`unknown --plan=${plan}`);
	return {
		plan,
		requests: Number(get('requests') ?? (plan === 'main' ? 2000 : 1000)),
		concurrency: Number(get('concurrency') ?? 50),
		timeLimitS: Number(get('time-limit') ?? 600),
		pairs: Number(get('pairs') ?? 3),
		warmup: Number(get('warmup') ?? 100),
		out: get('out'),
	};
}

// ---------------------------------------------------------------------------------------------- /proc

const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;

interface ProcStat {
	pid: number;
	ppid: number;
	comm: string;
	ticks: number; // utime + stime
	childTicks: number; // cutime + cstime (children already reaped)
}

function readStat(pid: number): ProcStat | undefined {
	try {
		const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
		const close = text.lastIndexOf(')');
		const comm = text.slice(text.indexOf('(') + 1, close);
		const f = text.slice(close + 2).split(' ');
		return {
			pid,
			ppid: Number(f[1]),
			comm,
			ticks: Number(f[11]) + Number(f[12]),
			childTicks: Number(f[13]) + Number(f[14]),
		};
	} catch {
		return undefined;
	}
}

/** The process and all its descendants (task runners etc.). */
function processTree(root: number): ProcStat[] {
	const all: ProcStat[] = [];
	for (const name of readdirSync('/proc')) {
		if (!/^\d+$/.test(name)) continue;
		const s = readStat(Number(name));
		if (s) all.push(s);
	}
	const byParent = new Map<number, ProcStat[]>();
	for (const s of all) byParent.set(s.ppid, [...(byParent.get(s.ppid) ?? []), s]);
	const rootStat = all.find((s) => s.pid === root);
	if (!rootStat) return [];
	const out = [rootStat];
	for (let i = 0; i < out.length; i++) out.push(...(byParent.get(out[i].pid) ?? []));
	return out;
}

interface CpuSnapshot {
	mainTicks: number;
	reapedChildTicks: number;
	children: Map<number, number>;
}

function cpuSnapshot(root: number): CpuSnapshot {
	const tree = processTree(root);
	const main = tree[0];
	return {
		mainTicks: main?.ticks ?? 0,
		reapedChildTicks: main?.childTicks ?? 0,
		children: new Map(tree.slice(1).map((s) => [s.pid, s.ticks])),
	};
}

/** CPU milliseconds between two snapshots: the main process, and its descendants (live or reaped). */
function cpuDelta(a: CpuSnapshot, b: CpuSnapshot): { mainMs: number; childrenMs: number } {
	let childTicks = b.reapedChildTicks - a.reapedChildTicks;
	for (const [pid, ticks] of b.children) childTicks += ticks - (a.children.get(pid) ?? 0);
	const ms = (t: number) => (t * 1000) / CLK_TCK;
	return { mainMs: ms(b.mainTicks - a.mainTicks), childrenMs: ms(childTicks) };
}

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

type WfKey = 'A' | 'B' | 'A11' | 'AC' | 'M1' | 'M2' | 'B1';

const WF_TITLES: Record<WfKey, string> = {
	A: 'WeCom Trigger v1.1 (n8n-nodes-kefu.weComTrigger) → NoOp',
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
 * A throwaway community package for the diagnostics, written next to n8n-nodes-kefu in the user folder:
 * a copy of the WeCom Trigger declared as versions 1 and 1.1 (the same code: it subclasses the built one),
 * and a minimal trigger with the same webhook descriptions but no credential and no crypto.
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
				nodes: ['dist/WeComTriggerBench.node.js', 'dist/WeComTriggerCached.node.js', 'dist/MinimalTrigger.node.js'],
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

interface Target {
	path: string;
	body: Buffer;
}

const CONTENT =
	'你好，我想查询一下上周五下的订单（订单号 20240607-00318）现在的物流状态。包裹一直显示“已揽收”，' +
	'已经三天没有更新了。如果发不了货，能不能直接退款？另外发票抬头需要改成公司名称，税号我稍后发给你。麻烦帮忙看一下，谢谢！';

let msgSeq = 7_400_000_000_000_000_000n;

/** Distinct, correctly encrypted and signed text-message callbacks (distinct MsgId and sender). */
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
		const signed = encryptedCallback(secrets, xml, { agentId: '1000002' });
		out.push({ path: withQuery(pathname, signed.query), body: Buffer.from(signed.body) });
	}
	return out;
}

interface Outcome {
	status: number | string;
	ms: number;
	body: string;
}

function send(agent: http.Agent, port: number, target: Target, timeoutMs: number): Promise<Outcome> {
	return new Promise((resolve) => {
		const started = performance.now();
		const done = (status: number | string, body = '') => resolve({ status, ms: performance.now() - started, body });
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
		req.setTimeout(timeoutMs, () => req.destroy(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })));
		req.on('error', (e: NodeJS.ErrnoException) => done(e.code === 'TIMEOUT' ? 'timeout' : `error:${e.code ?? e.message}`));
		req.end(target.body);
	});
}

interface ClientResult {
	outcomes: Outcome[];
	sent: number;
	wallMs: number;
	hitTimeLimit: boolean;
}

async function fire(targets: Target[], port: number, concurrency: number, timeLimitMs: number): Promise<ClientResult> {
	const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
	const outcomes: Outcome[] = [];
	const started = performance.now();
	const deadline = started + timeLimitMs;
	let next = 0;
	let hitTimeLimit = false;
	const progress = setInterval(() => {
		process.stderr.write(`  … ${outcomes.length}/${targets.length} answered, ${((performance.now() - started) / 1000).toFixed(0)} s\n`);
	}, 15_000);
	const worker = async () => {
		for (;;) {
			if (performance.now() > deadline) {
				hitTimeLimit = next < targets.length;
				return;
			}
			const i = next++;
			if (i >= targets.length) return;
			// A request may not outlive the run's time limit by more than a minute.
			outcomes.push(await send(agent, port, targets[i], Math.max(5_000, deadline - performance.now() + 60_000)));
		}
	};
	await Promise.all(Array.from({ length: concurrency }, worker));
	clearInterval(progress);
	agent.destroy();
	return { outcomes, sent: Math.min(next, targets.length), wallMs: performance.now() - started, hitTimeLimit };
}

function percentile(sorted: number[], p: number): number {
	if (sorted.length === 0) return NaN;
	return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
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

// ---------------------------------------------------------------------------------------------- one run

interface RunResult {
	label: string;
	phase: string;
	workflow: WfKey;
	workflowTitle: string;
	engine: string;
	env: Record<string, string>;
	requestsPlanned: number;
	requestsSent: number;
	answered: number;
	hitTimeLimit: boolean;
	wallS: number;
	requestsPerS: number;
	latencyMs: { p50: number; p90: number; p99: number; max: number };
	status200: number;
	non200ByStatus: Record<string, number>;
	unexpected200Bodies: number;
	sampleNon200?: string[];
	executions: { new: number; success: number; byStatus: Record<string, number> };
	lost: number;
	executionsWithout200: number;
	cpu: {
		mainMs: number;
		childrenMs: number;
		msPerRequest: number;
		mainMsPerRequest: number;
		childrenMsPerRequest: number;
		msPerRequestAtLastAnswer: number;
		quietWaitMs: number;
	};
	peakRssMb: { main: number; tree: number };
	loadAvgBefore: number[];
	loadAvgAfter: number[];
	expressionMetricsPerRequest?: Record<string, number>;
}

async function executionIds(n8n: N8nInstance, workflowId: string): Promise<Map<string, string>> {
	const all = await n8n.executions(workflowId);
	return new Map(all.map((e) => [e.id, e.status]));
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
	const before = await executionIds(n8n, deployed.workflowId);
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
	const sampler = setInterval(sampleRss, 250);
	const cpu0 = cpuSnapshot(pid);
	process.stderr.write(`${label}: ${deployed.key} (${targets.length} requests, ${opts.concurrency} connections)\n`);
	const client = await fire(targets, port, opts.concurrency, opts.timeLimitS * 1000);
	const cpuAtLastAnswer = cpuSnapshot(pid);
	const quietWaitMs = await waitCpuQuiet(pid);
	const cpu1 = cpuSnapshot(pid);
	clearInterval(sampler);
	sampleRss();
	const loadAvgAfter = loadAvg();
	const metricsAfter = await scrapeExpressionMetrics(n8n);
	await n8n.settledExecutions(deployed.workflowId, 3_000, 600_000);
	const after = await executionIds(n8n, deployed.workflowId);

	const byStatus: Record<string, number> = {};
	let fresh = 0;
	for (const [id, status] of after) {
		if (before.has(id)) continue;
		fresh++;
		byStatus[status] = (byStatus[status] ?? 0) + 1;
	}
	const success = byStatus.success ?? 0;
	const latencies = client.outcomes.map((o) => o.ms).sort((a, b) => a - b);
	const non200: Record<string, number> = {};
	const sampleNon200: string[] = [];
	let ok = 0;
	let unexpected = 0;
	for (const o of client.outcomes) {
		if (o.status === 200) {
			ok++;
			if (o.body !== deployed.expectBody) unexpected++;
		} else {
			non200[String(o.status)] = (non200[String(o.status)] ?? 0) + 1;
			if (sampleNon200.length < 5) sampleNon200.push(`${o.status} ${o.body.slice(0, 200)}`);
		}
	}
	const d = cpuDelta(cpu0, cpu1);
	const dAtLast = cpuDelta(cpu0, cpuAtLastAnswer);
	const n = Math.max(1, client.outcomes.length);
	const r1 = (x: number) => Math.round(x * 10) / 10;
	let expressionMetricsPerRequest: Record<string, number> | undefined;
	if (metricsBefore && metricsAfter) {
		expressionMetricsPerRequest = {};
		for (const [k, v] of Object.entries(metricsAfter)) {
			const delta = v - (metricsBefore[k] ?? 0);
			if (delta !== 0) expressionMetricsPerRequest[k] = Math.round((delta / n) * 1000) / 1000;
		}
	}
	return {
		label,
		phase,
		workflow: deployed.key,
		workflowTitle: WF_TITLES[deployed.key],
		engine,
		env,
		requestsPlanned: targets.length,
		requestsSent: client.sent,
		answered: client.outcomes.length,
		hitTimeLimit: client.hitTimeLimit,
		wallS: r1(client.wallMs / 1000),
		requestsPerS: r1((client.outcomes.length * 1000) / client.wallMs),
		latencyMs: {
			p50: Math.round(percentile(latencies, 50)),
			p90: Math.round(percentile(latencies, 90)),
			p99: Math.round(percentile(latencies, 99)),
			max: Math.round(latencies.at(-1) ?? NaN),
		},
		status200: ok,
		non200ByStatus: non200,
		unexpected200Bodies: unexpected,
		...(sampleNon200.length ? { sampleNon200 } : {}),
		executions: { new: fresh, success, byStatus },
		lost: Math.max(0, ok - success),
		executionsWithout200: Math.max(0, success - ok),
		cpu: {
			mainMs: Math.round(d.mainMs),
			childrenMs: Math.round(d.childrenMs),
			msPerRequest: r1((d.mainMs + d.childrenMs) / n),
			mainMsPerRequest: r1(d.mainMs / n),
			childrenMsPerRequest: r1(d.childrenMs / n),
			msPerRequestAtLastAnswer: r1((dAtLast.mainMs + dAtLast.childrenMs) / n),
			quietWaitMs,
		},
		peakRssMb: { main: Math.round(peakMain / 1024), tree: Math.round(peakTree / 1024) },
		loadAvgBefore,
		loadAvgAfter,
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
		'run', 'wf', 'engine', 'req/s', 'p50 ms', 'p99 ms', 'CPU ms/req', '(main+child)', 'peak RSS MB', '200s',
		'non-200', 'lost', 'load1 before→after',
	];
	const rows = results.map((r) => [
		r.label,
		r.workflow,
		r.engine,
		r.requestsPerS.toFixed(1),
		String(r.latencyMs.p50),
		String(r.latencyMs.p99),
		r.cpu.msPerRequest.toFixed(1),
		`${r.cpu.mainMsPerRequest.toFixed(1)}+${r.cpu.childrenMsPerRequest.toFixed(1)}`,
		String(r.peakRssMb.main),
		String(r.status200),
		Object.entries(r.non200ByStatus).map(([k, v]) => `${k}:${v}`).join(' ') || '0',
		String(r.lost),
		`${r.loadAvgBefore[0].toFixed(2)}→${r.loadAvgAfter[0].toFixed(2)}`,
	]);
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
		requestsPerRun: opts.requests,
		concurrency: opts.concurrency,
		timeLimitS: opts.timeLimitS,
		warmupPerWorkflow: opts.warmup,
		bodyBytes: sample.body.length,
		bodyNote: 'A and B both get distinct encrypted WeCom envelopes (text/xml) with msg_signature/timestamp/nonce in the query',
		client: 'node:http, keep-alive Agent (maxSockets = concurrency), all on 127.0.0.1, requests precomputed',
		n8nEnvAdded: { EXECUTIONS_DATA_PRUNE: 'false' },
	};
	console.log('machine:', JSON.stringify(machine));
	console.log('inputs: ', JSON.stringify(inputs));
	const started = new Date();
	const results: RunResult[] = [];
	const phases: Array<{ name: string; env: Record<string, string>; idleCpuMsPerS: number; processes: string[] }> = [];
	const resultsDir = path.resolve(__dirname, '..', '..', 'bench', 'results');
	mkdirSync(resultsDir, { recursive: true });
	const stamp = started.toISOString().slice(0, 10);
	const outFile = opts.out ?? path.join(resultsDir, `trigger-load-${stamp}${opts.plan === 'main' ? '' : `-${opts.plan}`}.json`);
	const save = () =>
		writeFileSync(
			outFile,
			JSON.stringify({ startedAt: started.toISOString(), finishedAt: new Date().toISOString(), machine, inputs, phases, runs: results }, null, 2),
		);

	let runNo = 0;
	for (const phase of phasesFor(opts)) {
		const userFolder = mkdtempSync(path.join(os.tmpdir(), 'kefu-bench-'));
		if (opts.plan !== 'main') writeBenchPackage(userFolder);
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
				if (key === 'A' || key === 'A11' || key === 'AC') {
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
			// Warm-up (not measured): JIT, caches, the first isolates.
			for (const d of deployed.values()) {
				const warm = await fire(buildTargets(secrets, d.url, opts.warmup), Number(new URL(n8n.baseUrl).port), 10, 120_000);
				const bad = warm.outcomes.filter((o) => o.status !== 200).length;
				if (bad > 0) process.stderr.write(`  warm-up of ${d.key}: ${bad} non-200 answers\n`);
			}
			await n8n.settledExecutions(deployed.get(phase.workflows[0])!.workflowId, 2_000, 300_000);
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
			rmSync(userFolder, { recursive: true, force: true });
		}
	}

	console.log(`\n${opts.plan} plan, ${opts.requests} requests/run at ${opts.concurrency} connections; machine ${machine.cpuModel}, nproc ${machine.nproc}, n8n ${machine.n8nVersion}, Node ${machine.nodeOfN8n}`);
	console.log(fmtTable(results));
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
