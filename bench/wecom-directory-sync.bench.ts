// Directory → Sync's engine against the loopback fake WeCom directory, every directory call answered after
// 20 ms (a call to qyapi.weixin.qq.com from a server in China): wall time, WeCom calls and peak memory of one
// sync, side by side with the seed's way in the same run (one department at a time, one call after another:
// the same engine with Concurrency 1).
// Build: npm run build && node_modules/.bin/tsc -p tsconfig.test.json
// Run:   node_modules/.bin/node .test-build/bench/wecom-directory-sync.bench.js [--out=file.json]
//        (or npm run bench -- wecom-directory-sync). Writes bench/results/wecom-directory-sync.json (or --out).
//
// Inputs: generateDirectory (test/fakes/wecom/directory.ts, seed 12): 100 members per department, one in ten
// in two departments, Chinese names, a tree four levels deep; 25,000 / 50,000 / 100,000 members in 250 / 500 /
// 1,000 departments; a self-built app that sees everything and gets every field.
//
// Each row runs in a child process of its own (the fake stays in this one), so its peak RSS is the sync's:
// the child reads the whole directory once to build the rows a destination would hold (every item of a first
// sync), then the measured sync compares WeCom with those rows (the steady state of a scheduled sync: nothing
// changed). Peak RSS is the child's maxRSS over both; peak heap is sampled every 10 ms.
import assert from 'node:assert/strict';
import { fork } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { argv } from 'node:process';
import { getHeapStatistics } from 'node:v8';

import { type DirectoryClient, type SyncOptions, syncDirectory } from '../nodes/WeCom/directory/sync';
import { generateDirectory, startFakeWeComApi } from '../test/fakes/wecom';
import { machine, machineLine } from './support/measure';

const CORP_ID = 'ww_bench_directory';
const AGENT_ID = 1000009;
const SECRET = 'bench-directory-secret-0123456789abcdef';
const LATENCY_MS = 20;
const MEMBERS_PER_DEPARTMENT = 100;

interface Row {
	name: string;
	members: number;
	concurrency: number;
	/** The fake answers 45033 past this many directory calls at once (WeCom publishes no number). */
	maxConcurrentCalls?: number;
}

const ROWS: Row[] = [
	{ name: 'sequential (seed: one department at a time)', members: 100_000, concurrency: 1 },
	{ name: 'sync, Concurrency 5 (default)', members: 100_000, concurrency: 5 },
	{ name: 'sync, Concurrency 10', members: 100_000, concurrency: 10 },
	{ name: 'sync, Concurrency 5', members: 50_000, concurrency: 5 },
	{ name: 'sync, Concurrency 5', members: 25_000, concurrency: 5 },
	// Choosing the default: the fake refuses more than 10 calls at once with 45033, and the sync backs off.
	{ name: 'sync, Concurrency 5, 45033 past 10', members: 100_000, concurrency: 5, maxConcurrentCalls: 10 },
	{ name: 'sync, Concurrency 10, 45033 past 10', members: 100_000, concurrency: 10, maxConcurrentCalls: 10 },
	{ name: 'sync, Concurrency 20, 45033 past 10', members: 100_000, concurrency: 20, maxConcurrentCalls: 10 },
];

interface ChildResult {
	wallMs: number;
	/** V8 heap the destination's rows take once built (after a full GC): the sync's input, not its own. */
	rowsHeapMb: number;
	/** RSS sampled every 10 ms during the measured sync only (maxRSS covers building the rows too). */
	peakRssSyncMb: number;
	/** CPU time of the sync's process during the measured sync (the fake's is in fakeCpuMs). */
	cpuMs: number;
	calls: number;
	departments: number;
	members: number;
	unchanged: number;
	/** Calls made again after -1/45033/45009. */
	retried: number;
	peakRssMb: number;
	peakHeapMb: number;
	rssBeforeMb: number;
}

class Refusal extends Error {
	constructor(readonly errcode: number) {
		super(`WeCom error ${errcode}`);
	}
}

/** A plain client of the fake (no n8n): one token, GET and POST with it. */
async function plainClient(baseUrl: string): Promise<DirectoryClient> {
	const token = (await (await fetch(`${baseUrl}/cgi-bin/gettoken?corpid=${CORP_ID}&corpsecret=${SECRET}`)).json()) as { access_token: string };
	const answer = async (response: Response) => {
		const json = (await response.json()) as Record<string, unknown>;
		if (json.errcode) throw new Refusal(Number(json.errcode));
		return json;
	};
	const url = (p: string, qs: Record<string, string | number> = {}) =>
		`${baseUrl}${p}?${new URLSearchParams({ ...Object.fromEntries(Object.entries(qs).map(([k, v]) => [k, String(v)])), access_token: token.access_token })}`;
	return {
		get: async (p, qs) => await answer(await fetch(url(p, qs))),
		post: async (p, body) => await answer(await fetch(url(p), { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } })),
		errcodeOf: (error) => (error instanceof Refusal ? error.errcode : undefined),
		isTransient: (error) => !(error instanceof Refusal),
		describe: (error) => String(error),
	};
}

/** A full GC (the child runs with --expose-gc), so heap figures are what is held, not what is garbage. */
function collect(): void {
	(globalThis as { gc?: () => void }).gc?.();
}

async function child(baseUrl: string, concurrency: number): Promise<void> {
	let peakHeap = 0;
	let peakRssSync = 0;
	let measuring = false;
	// v8's heap statistics, not process.memoryUsage(): that one reads /proc and cost seconds at this rate;
	// RSS alone (memoryUsage.rss(), a read of /proc too) is sampled every 100 ms, and only during the sync.
	const heapUsed = () => getHeapStatistics().used_heap_size;
	let ticks = 0;
	const sampler = setInterval(() => {
		peakHeap = Math.max(peakHeap, heapUsed());
		if (measuring && ++ticks % 10 === 0) peakRssSync = Math.max(peakRssSync, process.memoryUsage.rss());
	}, 10);
	collect();
	const heapBase = heapUsed();
	const client = await plainClient(baseUrl);
	const options: SyncOptions = {
		readWith: 'details',
		concurrency,
		includeUnchanged: false,
		skipMembersWithoutMobile: false,
		sleep: async (ms) => await new Promise((resolve) => setTimeout(resolve, ms)),
	};
	// The destination's rows: everything a first sync output (read fast; not measured).
	const first = await syncDirectory(client, [], { ...options, concurrency: 10 });
	// In place, not a copy: a third copy of the directory would set the child's peak, not the sync.
	const rows: Array<Record<string, unknown>> = first.items;
	for (const row of rows) delete row.change;
	collect();
	const rowsHeap = heapUsed() - heapBase;
	const rssBefore = process.memoryUsage.rss();
	measuring = true;
	process.send?.('measuring');
	const started = performance.now();
	const cpuStart = process.cpuUsage();
	const { summary } = await syncDirectory(client, rows, options);
	const wallMs = performance.now() - started;
	const cpu = process.cpuUsage(cpuStart);
	clearInterval(sampler);
	peakRssSync = Math.max(peakRssSync, process.memoryUsage.rss());
	peakHeap = Math.max(peakHeap, heapUsed());
	const result: ChildResult = {
		wallMs,
		rowsHeapMb: rowsHeap / 2 ** 20,
		peakRssSyncMb: peakRssSync / 2 ** 20,
		cpuMs: (cpu.user + cpu.system) / 1000,
		calls: summary.calls,
		departments: summary.departments,
		members: summary.members,
		unchanged: summary.unchanged,
		// department/list, then one user/list per department: any call beyond those was a retry.
		retried: summary.calls - summary.departments - 1,
		peakRssMb: process.resourceUsage().maxRSS / 1024,
		peakHeapMb: peakHeap / 2 ** 20,
		rssBeforeMb: rssBefore / 2 ** 20,
	};
	process.send?.(result);
}

/** Runs a child; `onMeasured` gets this process's CPU (the fake's) during the child's measured sync. */
async function runChild(baseUrl: string, concurrency: number, onMeasured: (cpuMs: number) => void): Promise<ChildResult> {
	return await new Promise((resolve, reject) => {
		const proc = fork(__filename, ['--child', baseUrl, String(concurrency)], { execArgv: [...process.execArgv, '--expose-gc'] });
		let cpuStart = process.cpuUsage();
		proc.on('message', (message) => {
			if (message === 'measuring') {
				cpuStart = process.cpuUsage();
				return;
			}
			const cpu = process.cpuUsage(cpuStart);
			onMeasured((cpu.user + cpu.system) / 1000);
			resolve(message as ChildResult);
		});
		proc.once('exit', (code) => (code ? reject(new Error(`child exited ${code}`)) : undefined));
	});
}

async function main(): Promise<void> {
	console.log(machineLine());
	const api = await startFakeWeComApi({ corpId: CORP_ID, apps: [{ agentId: AGENT_ID, secret: SECRET }] });
	const results: Array<Row & ChildResult & { fakeCpuMs: number }> = [];
	let fakeCpuMs = 0;
	try {
		// --rows=0,1 runs only those rows of ROWS (e.g. for a profile); the default is all of them.
		const only = argv.find((arg) => arg.startsWith('--rows='))?.slice(7).split(',').map(Number);
		for (const row of ROWS.filter((_, index) => !only || only.includes(index))) {
			const corp = generateDirectory({ departments: row.members / MEMBERS_PER_DEPARTMENT, members: row.members, seed: 12 });
			api.reset();
			api.directory.setDepartments(corp.departments);
			api.directory.setMembers(corp.members);
			api.directory.configure({ latencyMs: LATENCY_MS, maxConcurrentCalls: row.maxConcurrentCalls });
			const result = await runChild(api.url, row.concurrency, (cpuMs) => (fakeCpuMs = cpuMs));
			assert.equal(result.members, row.members);
			assert.equal(result.unchanged, row.members + corp.departments.length, 'the steady state: nothing changed');
			results.push({ ...row, ...result, fakeCpuMs });
			console.log(
				`${row.name.padEnd(46)} ${String(row.members).padStart(7)} members  ${(result.wallMs / 1000).toFixed(2).padStart(6)} s  ${String(result.calls).padStart(5)} calls (${result.retried} again)  CPU ${(result.cpuMs / 1000).toFixed(2)} s (fake ${(fakeCpuMs / 1000).toFixed(2)} s)  RSS ${result.peakRssMb.toFixed(0)} MB (sync ${result.rssBeforeMb.toFixed(0)} → ${result.peakRssSyncMb.toFixed(0)} MB)  heap ${result.peakHeapMb.toFixed(0)} MB (rows ${result.rowsHeapMb.toFixed(0)} MB)`,
			);
		}
	} finally {
		await api.close();
	}
	const sequential = results.find((r) => r.concurrency === 1)?.wallMs;
	for (const result of results.filter((r) => r.members === 100_000 && sequential)) {
		console.log(`${result.name}: ${(result.wallMs / (sequential ?? 1)).toFixed(3)} of the sequential time`);
	}
	const out = argv.find((arg) => arg.startsWith('--out='))?.slice(6) ?? path.join(__dirname, '..', '..', 'bench', 'results', 'wecom-directory-sync.json');
	writeFileSync(out, JSON.stringify({ machine: machine(), latencyMs: LATENCY_MS, membersPerDepartment: MEMBERS_PER_DEPARTMENT, results }, null, 2) + '\n');
	console.log(`Wrote ${out}`);
}

if (argv[2] === '--child') void child(argv[3], Number(argv[4]));
else void main();
