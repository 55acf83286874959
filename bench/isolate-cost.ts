// CPU cost of one expression isolate as n8n 2.41.1's default `vm` expression engine builds it: an
// IsolatedVmBridge from n8n's own @n8n/expression-runtime (new isolated-vm Isolate, context, the ~480 KB
// runtime bundle evaluated in it), initialised and disposed. n8n's pool (N8N_EXPRESSION_ENGINE_POOL_SIZE,
// default 1) disposes a bridge when it is released and builds a new one, so every acquire costs one of these.
// Companion of bench/trigger-load.ts, which counts the acquisitions per request.
// Run:   npm run bench -- isolate-cost
//        (or node_modules/.bin/node .test-build/bench/isolate-cost.js [--count=30] [--out=file.json] after
//        node_modules/.bin/tsc -p tsconfig.test.json). Writes bench/results/isolate-cost.json.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';

import { n8nPaths } from '../test/e2e/harness';

interface Bridge {
	initialize(): Promise<void>;
	dispose(): Promise<void>;
}
type BridgeClass = new (config: Record<string, unknown>) => Bridge;

const logger = { debug() {}, info() {}, warn() {}, error() {} };

async function measure(Bridge: BridgeClass, count: number, compileCache: boolean) {
	// One untimed round: loads the bundle file from disk and (with the cache) produces the code cache.
	const warm = new Bridge({ logger, compileCache });
	await warm.initialize();
	await warm.dispose();
	const cpu0 = process.cpuUsage();
	const t0 = performance.now();
	for (let i = 0; i < count; i++) {
		const bridge = new Bridge({ logger, compileCache, memoryLimit: 128, timeout: 5000 });
		await bridge.initialize();
		await bridge.dispose();
	}
	const cpu = process.cpuUsage(cpu0);
	return {
		compileCache,
		count,
		cpuMsPerIsolate: Math.round(((cpu.user + cpu.system) / 1000 / count) * 10) / 10,
		wallMsPerIsolate: Math.round(((performance.now() - t0) / count) * 10) / 10,
	};
}

async function main(): Promise<void> {
	const count = Number(process.argv.find((a) => a.startsWith('--count='))?.slice(8) ?? 30);
	const { bin } = n8nPaths();
	const requireFromN8n = createRequire(path.join(path.dirname(bin), '..', 'package.json'));
	const runtime = requireFromN8n('@n8n/expression-runtime') as { IsolatedVmBridge: BridgeClass };
	const runtimeVersion = (requireFromN8n('@n8n/expression-runtime/package.json') as { version: string }).version;
	console.log(`@n8n/expression-runtime ${runtimeVersion}, Node ${process.version}`);
	const loadAvgBefore = os.loadavg();
	const rounds = [];
	for (const compileCache of [false, true, false, true]) {
		const round = await measure(runtime.IsolatedVmBridge, count, compileCache);
		rounds.push(round);
		console.log(JSON.stringify(round));
	}
	const out =
		process.argv.find((a) => a.startsWith('--out='))?.slice(6) ??
		path.resolve(__dirname, '..', '..', 'bench', 'results', 'isolate-cost.json');
	mkdirSync(path.dirname(out), { recursive: true });
	const machine = {
		cpuModel: /model name\s*:\s*(.*)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? os.cpus()[0]?.model,
		nproc: os.availableParallelism(),
		node: process.version,
		expressionRuntime: runtimeVersion,
	};
	const load = { loadAvgBefore, loadAvgAfter: os.loadavg() };
	writeFileSync(out, JSON.stringify({ date: new Date().toISOString(), machine, load, rounds }, null, 2));
	console.log(`results: ${out}`);
}

main().catch((error: unknown) => {
	console.error(error);
	process.exitCode = 1;
});
