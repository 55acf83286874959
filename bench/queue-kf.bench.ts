/**
 * kf (微信客服) messages across processes: is every customer message answered exactly once when every kf callback
 * reaches two webhook processes and two workers pull the same messages, and what the shared state (the claims in
 * Redis of workflows/wecom-kf-bot-queue.json) costs per pull against the in-process state of
 * workflows/wecom-kf-bot.json.
 *
 *   npm run bench -- queue-kf                          (all three runs below, one after the other)
 *   node_modules/.bin/node .test-build/bench/queue-kf.bench.js [--runs=queue,single,single-redis]
 *     [--customers=200] [--concurrency=20] [--drain-limit=300] [--n8n-env=KEY=VALUE ...] [--out=file.json]
 *
 * Runs (each starts its own n8n and stops it; one at a time):
 *   queue         the queue-mode set (test/e2e/harness-queue.ts: Postgres, Redis, main, 2 webhook processes,
 *                 2 workers), wecom-kf-bot-queue.json set up as test/e2e/queue-kf.test.ts does (its Redis nodes on
 *                 the queue's Redis). Every callback is posted straight to both webhook processes at once.
 *   single        one n8n (SQLite), wecom-kf-bot.json: the in-process state; every callback posted twice at once.
 *   single-redis  one n8n, wecom-kf-bot-queue.json with its Redis nodes on a Redis of its own (redis-server on a
 *                 loopback port, no persistence): the claims' cost without queue mode around them, and the
 *                 Redis commands of the template alone (the queue's Redis also carries n8n's job queue).
 * Load: `customers` customers each send one text message (AutoReply's keyword rule "价格" answers it, so no model
 * is called); for each, the fake WeCom issues a sync_msg token and the bench delivers that kf callback twice.
 * At most `concurrency` customers are in flight. Counted from the fake WeCom: send_msg attempts per customer
 * (more than one = duplicate: the reply's Message ID guard makes the fake refuse it, but n8n sent it twice) and
 * successful sends (none = lost); sync_msg calls; and from the stored executions: items Pull Messages put out,
 * the time of each node (n8n's executionTime), each execution's duration. CPU: every process of the set with
 * its children, from /proc, from the first callback until the set is idle again. Redis: INFO commandstats and
 * connections received, before and after.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { startFakeOpenAi } from '../test/fakes/openai';
import { startFakeWeComApi } from '../test/fakes/wecom';
import { encryptedCallback, kfEventXml, newSecrets, urlVerification, withQuery } from '../test/fakes/wecom/callback';
import {
	createTemplateCredentials,
	freePorts,
	type N8nInstance,
	readTemplate,
	startN8n,
	waitForWebhook,
	type WorkflowJson,
} from '../test/e2e/harness';
import { type QueueN8nInstance, startN8nQueue } from '../test/e2e/harness-queue';
import { machine } from './support/measure';
import { cpuDelta, cpuSnapshot, type CpuSnapshot } from './support/proc';

const projectRoot = path.resolve(__dirname, '..', '..');
const KF = 'wkFAKEKF0001'; // the fake's default kf account
type RunKind = 'queue' | 'single' | 'single-redis';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function argValue(name: string): string | undefined {
	return process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
}

// ------------------------------------------------------------------------------------------------ CPU

function snapshots(roots: number[]): CpuSnapshot[] {
	return roots.map((r) => cpuSnapshot(r));
}
function deltaMs(a: CpuSnapshot[], b: CpuSnapshot[]): number {
	return a.reduce((sum, s, i) => {
		const d = cpuDelta(s, b[i]);
		return sum + d.mainMs + d.childrenMs;
	}, 0);
}
/** Until the trees use less than idle + 5 % of a core for two half seconds in a row (at most `limitMs`). */
async function waitQuiet(roots: number[], idleMsPerS: number, limitMs: number): Promise<number> {
	const started = Date.now();
	let quiet = 0;
	let prev = snapshots(roots);
	while (Date.now() - started < limitMs) {
		await sleep(500);
		const next = snapshots(roots);
		quiet = deltaMs(prev, next) < 25 + idleMsPerS / 2 ? quiet + 1 : 0;
		prev = next;
		if (quiet >= 2) break;
	}
	return Date.now() - started;
}

// ------------------------------------------------------------------------------------------------ Redis

interface RedisAt {
	port: number;
	password?: string;
}

function redisInfo(cli: string, at: RedisAt, section: string): Record<string, string> {
	// The password goes through the environment (REDISCLI_AUTH), never the command line.
	const text = execFileSync(cli, ['-h', '127.0.0.1', '-p', String(at.port), 'INFO', section], {
		env: { ...process.env, ...(at.password ? { REDISCLI_AUTH: at.password } : {}) },
	}).toString();
	const out: Record<string, string> = {};
	for (const line of text.split(/\r?\n/)) {
		const i = line.indexOf(':');
		if (i > 0) out[line.slice(0, i)] = line.slice(i + 1);
	}
	return out;
}

/** Calls per command (INFO commandstats) and connections received so far. */
function redisCounters(cli: string, at: RedisAt): { commands: Record<string, number>; connections: number } {
	const commands: Record<string, number> = {};
	for (const [key, value] of Object.entries(redisInfo(cli, at, 'commandstats'))) {
		const m = /^cmdstat_(.+)$/.exec(key);
		const calls = /calls=(\d+)/.exec(value);
		if (m && calls) commands[m[1]] = Number(calls[1]);
	}
	return { commands, connections: Number(redisInfo(cli, at, 'stats').total_connections_received ?? 0) };
}

async function startOwnRedis(server: string): Promise<{ at: RedisAt; child: ChildProcess; stop(): Promise<void> }> {
	const [port] = await freePorts(1);
	const child = spawn(server, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
		stdio: 'ignore',
	});
	for (let i = 0; i < 100; i++) {
		try {
			execFileSync('/usr/bin/redis-cli', ['-p', String(port), 'PING'], { stdio: 'ignore' });
			break;
		} catch {
			await sleep(100);
		}
	}
	return {
		at: { port },
		child,
		stop: async () => {
			const exited = new Promise((r) => child.once('exit', r));
			child.kill('SIGTERM');
			await exited;
		},
	};
}

// ------------------------------------------------------------------------------------------------ one run

interface NodeTimes {
	[node: string]: { runs: number; totalMs: number };
}

async function runOnce(kind: RunKind, customers: number, concurrency: number, drainLimitS: number, n8nEnv: Record<string, string>) {
	const secrets = newSecrets('ww_bench_kf_corp');
	const wecom = await startFakeWeComApi({ corpId: secrets.corpId, apps: [{ agentId: 1000002, secret: 'fake-secret' }] });
	const openai = await startFakeOpenAi();
	const file = kind === 'single' ? 'wecom-kf-bot.json' : 'wecom-kf-bot-queue.json';
	const { template, webhookId } = readTemplate(file);
	// Lazy isolate acquisition as the project's start scripts set it (scripts/lib.mjs, n8nDefaults), in every run
	// alike; --n8n-env=N8N_EXPRESSION_ENGINE_LAZY_ACQUIRE=false for n8n's own default.
	const env = { EXECUTIONS_DATA_PRUNE: 'false', N8N_EXPRESSION_ENGINE_LAZY_ACQUIRE: 'true', ...n8nEnv };
	let n8n: N8nInstance | undefined;
	let ownRedis: Awaited<ReturnType<typeof startOwnRedis>> | undefined;
	const { ensureQueueDeps } = require(path.join(projectRoot, 'scripts', 'ensure-queue-deps.mjs')) as {
		ensureQueueDeps(): { redisServer: string; redisCli: string };
	};
	const deps = kind === 'single' ? undefined : ensureQueueDeps();
	try {
		let redis: RedisAt | undefined;
		let roots: Record<string, number>;
		let destinations: string[];
		if (kind === 'queue') {
			const q: QueueN8nInstance = await startN8nQueue({ workers: 2, webhooks: 2, env });
			n8n = q;
			redis = { port: q.set.plan.ports.redis, password: readFileSync(path.join(q.set.plan.dir, 'redis-password'), 'utf8').trim() };
			roots = q.pids();
			destinations = q.directWebhookUrls(webhookId);
		} else {
			if (kind === 'single-redis') {
				ownRedis = await startOwnRedis(deps!.redisServer);
				redis = ownRedis.at;
			}
			n8n = await startN8n({ env });
			roots = { n8n: n8n.pid as number, ...(ownRedis ? { redis: ownRedis.child.pid as number } : {}) };
			const url = n8n.webhookUrl(webhookId);
			destinations = [url, url];
		}
		const credentials = await createTemplateCredentials(n8n, { secrets, weComUrl: wecom.url, openAiUrl: openai.url });
		const redisCredential = redis
			? await n8n.createCredential('redis', 'Redis (bench)', {
					host: '127.0.0.1',
					port: redis.port,
					...(redis.password ? { password: redis.password } : {}),
					database: 0,
				})
			: undefined;
		const workflow = structuredClone(template) as WorkflowJson;
		const byNode: Record<string, Record<string, { id: string; name: string }>> = {};
		for (const node of workflow.nodes) {
			if (node.type === 'n8n-nodes-base.redis') byNode[node.name] = { redis: redisCredential! };
			if (node.type === 'n8n-nodes-kefu.weComTrigger') byNode[node.name] = { weComCallbackApi: credentials.callback };
			if (node.type === 'n8n-nodes-kefu.weCom') byNode[node.name] = { weComApi: credentials.api };
			if (node.type === '@n8n/n8n-nodes-langchain.lmChatOpenAi') byNode[node.name] = { openAiApi: credentials.model };
		}
		const { id: workflowId } = await n8n.importWorkflow(workflow, byNode);
		await n8n.publish(workflowId);
		for (const url of new Set(destinations)) await waitForWebhook(withQuery(url, urlVerification(secrets, 'warm-up')));

		const deliver = async (token: string): Promise<string[]> => {
			const signed = encryptedCallback(secrets, kfEventXml({ corpId: secrets.corpId, token, openKfId: KF }), { agentId: '' });
			return await Promise.all(
				destinations.map(async (url) => {
					const res = await fetch(withQuery(url, signed.query), {
						method: 'POST',
						headers: { 'content-type': 'text/xml' },
						body: signed.body,
						signal: AbortSignal.timeout(60_000),
					});
					return `${res.status} ${await res.text()}`;
				}),
			);
		};

		// Warm-up (not counted): 10 customers, then wait until their executions have settled.
		for (let i = 0; i < 10; i++) {
			const { token } = wecom.kfCustomerSends(KF, `wm_warm${i}`, { msgtype: 'text', text: { content: '请问价格是多少' } });
			await deliver(token);
		}
		await n8n.settledExecutions(workflowId, 3_000, 180_000);
		const rootPids = Object.values(roots);
		await waitQuiet(rootPids, kind === 'queue' ? 150 : 50, 60_000);
		const idle0 = snapshots(rootPids);
		await sleep(20_000);
		const idleMsPerS = deltaMs(idle0, snapshots(rootPids)) / 20;

		const known = await n8n.executionIds(workflowId);
		const syncCallsBefore = wecom.requests.filter((r) => r.path === '/cgi-bin/kf/sync_msg').length;
		const redisBefore = redis ? redisCounters(deps!.redisCli, redis) : undefined;
		const loadBefore = os.loadavg();
		const cpu0 = snapshots(rootPids);
		const started = Date.now();
		const names = Array.from({ length: customers }, (_, i) => `wm_bench${i}`);
		const answers: Record<string, number> = {};
		let next = 0;
		await Promise.all(
			Array.from({ length: concurrency }, async () => {
				for (;;) {
					const i = next++;
					if (i >= names.length) return;
					const { token } = wecom.kfCustomerSends(KF, names[i], { msgtype: 'text', text: { content: '请问价格是多少' } });
					for (const a of await deliver(token)) answers[a] = (answers[a] ?? 0) + 1;
				}
			}),
		);
		const deliveredMs = Date.now() - started;
		const quietWaitMs = await waitQuiet(rootPids, idleMsPerS, drainLimitS * 1000);
		const cpu1 = snapshots(rootPids);
		const wallMs = Date.now() - started;
		const loadAfter = os.loadavg();
		const redisAfter = redis ? redisCounters(deps!.redisCli, redis) : undefined;
		await n8n.settledExecutions(workflowId, 3_000, drainLimitS * 1000);
		const executions = (await n8n.executions(workflowId)).filter((e) => !known.has(e.id));

		// Per customer: send_msg attempts (each a call n8n made) and the sends WeCom accepted.
		const attempts = new Map<string, number>();
		for (const a of wecom.kfAttempts) {
			if (a.path === '/cgi-bin/kf/send_msg') attempts.set(a.external_userid, (attempts.get(a.external_userid) ?? 0) + 1);
		}
		const accepted = new Map<string, number>();
		for (const m of wecom.kfSent) accepted.set(m.external_userid, (accepted.get(m.external_userid) ?? 0) + 1);
		const duplicated = names.filter((c) => (attempts.get(c) ?? 0) > 1);
		const lost = names.filter((c) => (accepted.get(c) ?? 0) === 0);

		// Per execution (pull): items out of Pull Messages, node times, duration.
		const nodeTimes: NodeTimes = {};
		let pulledItems = 0;
		const durations: number[] = [];
		const statuses: Record<string, number> = {};
		for (const e of executions) {
			statuses[e.status] = (statuses[e.status] ?? 0) + 1;
			if (e.stoppedAt) durations.push(Date.parse(e.stoppedAt) - Date.parse(e.startedAt));
			const run = await n8n.execution(e.id);
			const runData = (run.data?.resultData.runData ?? {}) as Record<
				string,
				Array<{ executionTime?: number; data?: { main?: Array<unknown[] | null> } }>
			>;
			for (const [node, tasks] of Object.entries(runData)) {
				for (const t of tasks) {
					nodeTimes[node] = nodeTimes[node] ?? { runs: 0, totalMs: 0 };
					nodeTimes[node].runs++;
					nodeTimes[node].totalMs += t.executionTime ?? 0;
					if (node === 'Pull Messages') pulledItems += (t.data?.main ?? []).reduce((s, items) => s + (items?.length ?? 0), 0);
				}
			}
		}
		durations.sort((a, b) => a - b);
		const pct = (p: number) => durations[Math.min(durations.length - 1, Math.max(0, Math.ceil((p / 100) * durations.length) - 1))];
		const cpuMs = deltaMs(cpu0, cpu1);
		const redisNodes = Object.keys(nodeTimes).filter((n) => workflow.nodes.find((x) => x.name === n)?.type === 'n8n-nodes-base.redis');
		const redisDelta = (() => {
			if (!redisBefore || !redisAfter) return undefined;
			const commands: Record<string, number> = {};
			for (const [k, v] of Object.entries(redisAfter.commands)) {
				const d = v - (redisBefore.commands[k] ?? 0);
				if (d > 0) commands[k] = d;
			}
			return {
				// INFO itself: the bench's two reads (commandstats, stats) after the first ones.
				commands,
				connectionsReceived: redisAfter.connections - redisBefore.connections - 2,
			};
		})();
		const r1 = (x: number) => Math.round(x * 10) / 10;
		const pulls = executions.length;
		return {
			kind,
			template: `workflows/${file}`,
			customers,
			deliveriesPerCustomer: 2,
			concurrency,
			env,
			webhookAnswers: answers,
			counts: {
				answeredOnce: names.length - duplicated.length - lost.length,
				duplicated: duplicated.length,
				lost: lost.length,
				sampleDuplicated: duplicated.slice(0, 5),
				sampleLost: lost.slice(0, 5),
			},
			executions: { count: pulls, byStatus: statuses },
			syncMsgCalls: wecom.requests.filter((r) => r.path === '/cgi-bin/kf/sync_msg').length - syncCallsBefore,
			pulledItems,
			wallS: r1(wallMs / 1000),
			deliveredS: r1(deliveredMs / 1000),
			quietWaitS: r1(quietWaitMs / 1000),
			cpu: {
				totalMs: Math.round(cpuMs),
				idleMsPerS: Math.round(idleMsPerS),
				idleMsOverRun: Math.round((idleMsPerS * wallMs) / 1000),
				perCustomerMessageMs: r1(cpuMs / customers),
				perCustomerMessageWithoutIdleMs: r1((cpuMs - (idleMsPerS * wallMs) / 1000) / customers),
				perPullMs: r1(cpuMs / Math.max(1, pulls)),
				perPulledItemMs: r1(cpuMs / Math.max(1, pulledItems)),
			},
			pullDurationMs: { p50: pct(50), p90: pct(90), p99: pct(99), max: durations.at(-1) },
			nodeTimesPerPullMs: Object.fromEntries(
				Object.entries(nodeTimes).map(([n, t]) => [n, { runs: t.runs, meanPerRunMs: r1(t.totalMs / t.runs), perPullMs: r1(t.totalMs / Math.max(1, pulls)) }]),
			),
			redisNodesPerPullMs: r1(redisNodes.reduce((s, n) => s + nodeTimes[n].totalMs, 0) / Math.max(1, pulls)),
			redisNodeRunsPerPull: r1(redisNodes.reduce((s, n) => s + nodeTimes[n].runs, 0) / Math.max(1, pulls)),
			redis: redisDelta,
			loadAvgBefore: loadBefore,
			loadAvgAfter: loadAfter,
		};
	} finally {
		await n8n?.stop();
		await ownRedis?.stop();
		await wecom.close();
		await openai.close();
	}
}

async function main(): Promise<void> {
	const runs = (argValue('runs') ?? 'queue,single,single-redis').split(',') as RunKind[];
	for (const r of runs) if (!['queue', 'single', 'single-redis'].includes(r)) throw new Error(`unknown run ${r}`);
	const customers = Number(argValue('customers') ?? 200);
	const concurrency = Number(argValue('concurrency') ?? 20);
	const drainLimitS = Number(argValue('drain-limit') ?? 300);
	const n8nEnv = Object.fromEntries(
		process.argv
			.filter((a) => a.startsWith('--n8n-env='))
			.map((a) => {
				const [k, ...v] = a.slice('--n8n-env='.length).split('=');
				return [k, v.join('=')];
			}),
	);
	const out = argValue('out') ?? path.join(projectRoot, 'bench', 'results', 'queue-kf.json');
	const result = { machine: machine(), runs: [] as unknown[] };
	console.log(`machine: ${JSON.stringify(result.machine)}`);
	for (const kind of runs) {
		process.stderr.write(`run ${kind}: ${customers} customers × 2 deliveries, ${concurrency} at once, load ${os.loadavg()[0].toFixed(2)}\n`);
		const r = await runOnce(kind, customers, concurrency, drainLimitS, n8nEnv);
		result.runs.push(r);
		writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
		console.log(JSON.stringify(r, null, 2));
	}
	console.log(`results: ${out}`);
}

main().catch((error) => {
	console.error(error);
	process.exit(1);
});
