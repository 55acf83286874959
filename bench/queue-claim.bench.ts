// The shared claim that queue mode's design rests on (docs/queue-mode.md, "Design"), run on a real Redis:
// does "the first INCR of a per-message key wins" hand out each kf msgid exactly once when every msgid
// arrives twice, once in each of two processes at about the same time, and what does a claim cost?
// Build: npm run build && node_modules/.bin/tsc -p tsconfig.test.json
// Run:   node_modules/.bin/node .test-build/bench/queue-claim.bench.js [--msgids=200] [--concurrency=10] [--out=file.json]
//        (or npm run bench -- queue-claim). Writes bench/results/queue-claim.json (or --out).
//
// Redis: Debian's redis-server (scripts/ensure-queue-deps.mjs installs it), started here on a free loopback
// port with no persistence and a data directory in /tmp, and stopped at the end. The Redis client is the one
// the pinned n8n installs (node-redis 4.6.14, n8n-nodes-base's dependency); no package of the project's own.
//
// Scenarios (each on a flushed Redis; 2 child processes, each gets all msgids in its own random order, so each
// msgid is delivered twice, once to each process; `concurrency` claims at once per process):
//   in-process  a Map in each process: the baseline cost, and what the single-process default gives (each
//               process believes it is the only one: every msgid is claimed twice).
//   redis-node  n8n-nodes-base's own Redis node (Redis.node.js of the pinned n8n, run with a minimal execution
//               context): one node execution per delivery, operation Increment with Expire, as a template
//               would run it. The node opens, pings and closes a connection in every execution.
//   incr-expire the same two commands (INCR, then EXPIRE) on one open connection per process.
//   set-nx      SET key owner NX EX ttl on one open connection: the one-command claim a client of our own
//               would use (not reachable from a lint-clean community node: see the design).
//   kill        a worker killed mid-execution: process A skips msgids marked done, takes a lease (INCR, then
//               EXPIRE 3 s), works 20-60 ms per message, then logs the answer (RPUSH) and marks the msgid
//               done (SET … EX 172800). A is SIGKILLed 150 ms in. Process B got the same msgids; 4 s after
//               A's death it sweeps: every msgid not marked done is leased and answered again. Counted from
//               the answer log: msgids answered twice (duplicates) and never (losses).
//   kill-bucket the same with the lease period in the lease key (kefu:kf:lease:<msgid>:<period>): what a
//               template can do with n8n's Redis node alone.
//   kill-set-nx the same with SET NX EX as the lease (one command).
import { type ChildProcess, fork } from 'node:child_process';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { argv } from 'node:process';
import { performance } from 'node:perf_hooks';

import { freePorts, n8nPaths } from '../test/e2e/harness';
import { machine, machineLine } from './support/measure';

const DONE_TTL_S = 48 * 3600; // kf answers are possible for 48 h after the customer's message (doc 94677)
const LEASE_S = 3;
// The mark of an answered msgid: a number, so that a later INCR on the key still works (and returns more than 1).
const DONE = '1000000';

interface RedisClient {
	connect(): Promise<unknown>;
	quit(): Promise<unknown>;
	incr(key: string): Promise<number>;
	expire(key: string, seconds: number): Promise<boolean>;
	set(key: string, value: string, options?: Record<string, unknown>): Promise<string | null>;
	get(key: string): Promise<string | null>;
	rPush(key: string, value: string): Promise<number>;
	lRange(key: string, start: number, stop: number): Promise<string[]>;
	ttl(key: string): Promise<number>;
	keys(pattern: string): Promise<string[]>;
	flushAll(): Promise<string>;
}

const n8nModules = path.resolve(path.dirname(n8nPaths().bin), '..', '..');
const n8nRequire = createRequire(path.join(n8nModules, 'n8n', 'package.json'));

function redisClient(port: number): RedisClient {
	const { createClient } = n8nRequire('redis') as { createClient(o: unknown): RedisClient };
	return createClient({ socket: { host: '127.0.0.1', port } });
}

function arg(name: string, fallback: string): string {
	const found = argv.find((a) => a.startsWith(`--${name}=`));
	return found ? found.slice(name.length + 3) : fallback;
}

function shuffled<T>(list: T[]): T[] {
	const out = [...list];
	for (let i = out.length - 1; i > 0; i--) {
		const j = Math.floor(Math.random() * (i + 1));
		[out[i], out[j]] = [out[j], out[i]];
	}
	return out;
}

async function pool<T>(items: T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
	let next = 0;
	await Promise.all(
		Array.from({ length: concurrency }, async () => {
			while (next < items.length) await work(items[next++]);
		}),
	);
}

/** The pinned n8n's Redis node, executed the way n8n would for one item (operation Increment + Expire). */
function redisNodeIncr(port: number): (key: string, ttl: number) => Promise<number> {
	const { Redis } = n8nRequire('n8n-nodes-base/dist/nodes/Redis/Redis.node.js') as {
		Redis: new () => { execute(this: unknown): Promise<Array<Array<{ json: Record<string, number> }>>> };
	};
	const node = new Redis();
	return async (key, ttl) => {
		const params: Record<string, unknown> = { operation: 'incr', key, expire: true, ttl };
		const context = {
			getCredentials: async () => ({ host: '127.0.0.1', port, ssl: false, database: 0, password: '' }),
			getNodeParameter: (name: string, _i: number, fallback?: unknown) => params[name] ?? fallback,
			getInputData: () => [{ json: {} }],
			getNode: () => ({ name: 'Redis', type: 'n8n-nodes-base.redis', typeVersion: 1, parameters: params }),
			continueOnFail: () => false,
		};
		const [[item]] = await node.execute.call(context);
		return item.json[key];
	};
}

// ---------------------------------------------------------------- child: one "worker" claiming deliveries
async function child(): Promise<void> {
	const [scenario, portText, concurrencyText, owner] = argv.slice(3);
	const port = Number(portText);
	const concurrency = Number(concurrencyText);
	const msgids = await new Promise<string[]>((resolve) => process.once('message', (m) => resolve(m as string[])));
	const won: string[] = [];
	const client = redisClient(port);
	await client.connect();
	const seen = new Map<string, string>();
	const nodeIncr = redisNodeIncr(port);
	const claim: Record<string, (id: string) => Promise<boolean>> = {
		'in-process': async (id) => {
			if (seen.has(id)) return false;
			seen.set(id, owner);
			return true;
		},
		'redis-node': async (id) => (await nodeIncr(`kefu:kf:claim:${id}`, DONE_TTL_S)) === 1,
		'incr-expire': async (id) => {
			const n = await client.incr(`kefu:kf:claim:${id}`);
			await client.expire(`kefu:kf:claim:${id}`, DONE_TTL_S);
			return n === 1;
		},
		'set-nx': async (id) => (await client.set(`kefu:kf:claim:${id}`, owner, { NX: true, EX: DONE_TTL_S })) === 'OK',
	};
	process.send?.({ ready: true });
	await new Promise<void>((resolve) => process.once('message', () => resolve()));
	const cpu0 = process.cpuUsage();
	const t0 = performance.now();
	if (scenario.startsWith('kill')) {
		// Claim with a short lease, work, answer (logged), mark done. Process B then sweeps what is not done.
		const lease = async (id: string): Promise<boolean> => {
			if (scenario === 'kill-set-nx') {
				return (await client.set(`kefu:kf:lease:${id}`, owner, { NX: true, EX: LEASE_S })) === 'OK';
			}
			// With INCR + EXPIRE (all n8n's Redis node offers) a process that dies between the two leaves a
			// key that never expires. kill-bucket puts the lease period in the key, so such a key blocks
			// only its own period and the next sweep claims the msgid under a new key.
			const bucket = scenario === 'kill-bucket' ? `:${Math.floor(Date.now() / 1000 / LEASE_S)}` : '';
			const key = `kefu:kf:lease:${id}${bucket}`;
			const n = await client.incr(key);
			// A period's key must outlive the period it names; a plain lease key expires with the lease.
			if (n === 1) await client.expire(key, bucket ? LEASE_S * 2 : LEASE_S);
			return n === 1;
		};
		const answer = async (id: string) => {
			if ((await client.get(`kefu:kf:claim:${id}`)) === DONE) return;
			if (!(await lease(id))) return;
			await new Promise((r) => setTimeout(r, 20 + Math.random() * 40));
			await client.rPush('kefu:bench:answers', `${id} ${owner}`);
			await client.set(`kefu:kf:claim:${id}`, DONE, { EX: DONE_TTL_S });
			won.push(id);
		};
		await pool(msgids, concurrency, answer);
		if (owner === 'B') {
			process.send?.({ firstPass: won.length });
			await new Promise<void>((resolve) => process.once('message', () => resolve())); // A is dead now
			await new Promise((r) => setTimeout(r, (LEASE_S + 1) * 1000));
			const notDone: string[] = [];
			for (const id of msgids) if ((await client.get(`kefu:kf:claim:${id}`)) !== DONE) notDone.push(id);
			await pool(notDone, concurrency, answer);
		}
	} else {
		await pool(msgids, concurrency, async (id) => {
			if (await claim[scenario](id)) won.push(id);
		});
	}
	const wallMs = performance.now() - t0;
	const cpu = process.cpuUsage(cpu0);
	await client.quit();
	process.send?.({ won, wallMs, cpuMs: (cpu.user + cpu.system) / 1000 });
	process.disconnect();
}

// ---------------------------------------------------------------- parent
function message(proc: ChildProcess): Promise<Record<string, unknown>> {
	return new Promise((resolve, reject) => {
		proc.once('message', (m) => resolve(m as Record<string, unknown>));
		proc.once('exit', (code, signal) => reject(new Error(`child exited (${code ?? signal}) before answering`)));
	});
}

async function startRedis(): Promise<{ port: number; stop(): Promise<void> }> {
	const [port] = await freePorts(1);
	const dir = mkdtempSync(path.join(tmpdir(), 'kefu-redis-'));
	const proc = spawn(
		'/usr/bin/redis-server',
		['--bind', '127.0.0.1', '--port', String(port), '--save', '', '--appendonly', 'no', '--dir', dir, '--protected-mode', 'yes'],
		{ stdio: ['ignore', 'pipe', 'inherit'] },
	);
	await new Promise<void>((resolve, reject) => {
		let out = '';
		proc.stdout?.on('data', (d: Buffer) => {
			out += d.toString();
			if (out.includes('Ready to accept connections')) resolve();
		});
		proc.once('exit', (code) => reject(new Error(`redis-server exited (${code}): ${out.slice(-500)}`)));
	});
	return {
		port,
		stop: async () => {
			const exited = new Promise((r) => proc.once('exit', r));
			proc.kill('SIGTERM');
			await exited;
			rmSync(dir, { recursive: true, force: true });
		},
	};
}

async function runScenario(scenario: string, port: number, msgids: string[], concurrency: number) {
	const admin = redisClient(port);
	await admin.connect();
	await admin.flushAll();
	const me = __filename;
	const procs = ['A', 'B'].map((owner) => fork(me, ['--child', scenario, String(port), String(concurrency), owner]));
	procs.forEach((p) => p.send(shuffled(msgids)));
	await Promise.all(procs.map((p) => message(p)));
	const results = procs.map((p) => message(p));
	if (scenario.startsWith('kill')) results[0].catch(() => undefined); // A is killed: it never answers
	procs.forEach((p) => p.send('go'));
	let killedAfter: number | undefined;
	if (scenario.startsWith('kill')) {
		// A dies in the middle of its work: some of its claims are answered, some are held by a lease.
		await new Promise((r) => setTimeout(r, 150));
		const exited = new Promise((r) => procs[0].once('exit', r));
		procs[0].kill('SIGKILL');
		await exited;
		killedAfter = (await admin.lRange('kefu:bench:answers', 0, -1)).filter((l) => l.endsWith(' A')).length;
		await results[1]; // B's first pass: the msgids A still held were not B's to answer
		results[1] = message(procs[1]);
		procs[1].send('sweep');
	}
	const done = await Promise.all(scenario.startsWith('kill') ? [results[1]] : results);
	let wins: string[];
	if (scenario.startsWith('kill')) {
		wins = (await admin.lRange('kefu:bench:answers', 0, -1)).map((l) => l.split(' ')[0]);
	} else {
		wins = done.flatMap((d) => d.won as string[]);
	}
	const count = new Map<string, number>();
	for (const id of wins) count.set(id, (count.get(id) ?? 0) + 1);
	const duplicates = [...count.values()].filter((n) => n > 1).length;
	const losses = msgids.filter((id) => !count.has(id)).length;
	const keys = scenario === 'in-process' ? [] : await admin.keys('kefu:kf:*');
	let withoutTtl = 0;
	for (const key of keys) if ((await admin.ttl(key)) < 0) withoutTtl++;
	await admin.quit();
	const claims = msgids.length * 2;
	const wallMs = Math.max(...done.map((d) => d.wallMs as number));
	const cpuMs = done.reduce((s, d) => s + (d.cpuMs as number), 0);
	const row = {
		scenario,
		msgids: msgids.length,
		deliveries: claims,
		duplicates,
		losses,
		keysWithoutTtl: withoutTtl,
		...(killedAfter !== undefined && { answeredByAbeforeKill: killedAfter }),
		wallMs: Math.round(wallMs),
		claimsPerSecond: scenario.startsWith('kill') ? undefined : Math.round((claims / wallMs) * 1000),
		clientCpuMsPerClaim: scenario.startsWith('kill') ? undefined : Number((cpuMs / claims).toFixed(3)),
	};
	console.log(JSON.stringify(row));
	return row;
}

async function main(): Promise<void> {
	const msgidCount = Number(arg('msgids', '200'));
	const concurrency = Number(arg('concurrency', '10'));
	const scenarios = arg('scenarios', 'in-process,redis-node,incr-expire,set-nx,kill,kill-bucket,kill-set-nx').split(',');
	const out = arg('out', path.join(__dirname, '..', '..', 'bench', 'results', 'queue-claim.json'));
	console.log(machineLine());
	const msgids = Array.from({ length: msgidCount }, (_, i) => `msg${String(i).padStart(4, '0')}${Math.random().toString(36).slice(2, 8)}`);
	const redis = await startRedis();
	const rows = [];
	try {
		for (const scenario of scenarios) rows.push(await runScenario(scenario, redis.port, msgids, concurrency));
	} finally {
		await redis.stop();
	}
	writeFileSync(out, `${JSON.stringify({ machine: machine(), msgids: msgidCount, concurrency, rows }, null, 2)}\n`);
	console.log(`written ${out}`);
}

if (argv[2] === '--child') {
	child().catch((error) => {
		console.error(error);
		process.exit(1);
	});
} else {
	main().catch((error) => {
		console.error(error);
		process.exit(1);
	});
}
