// The gateway's memory: (fake) idle and READY with the fake client, no Chromium; (real) the real
// whatsapp-web.js with Debian's Chromium from start up to FAILED, on a machine that cannot reach
// WhatsApp. Each case runs the gateway in a child process (startGateway, as `npm start` does) and
// samples it from outside through /proc: RSS and PSS of the gateway's node process and of every process
// under it (Chromium's browser, zygotes, renderers, GPU and utility processes). PSS shares each shared
// page among the processes that map it, so the PSS sum is what the session costs the machine; the RSS sum
// counts shared pages once per process and overstates it. The child reports its own V8 heap.
//
// In the real case Chromium's traffic goes to a loopback proxy that accepts and never answers, so
// WhatsApp Web's page load hangs until Chromium's own timeout (about 30 s, net::ERR_TIMED_OUT): long
// enough for Chromium's memory to settle. Without the proxy the start fails in under a second.
//
// Rerun (in gateway/, after npm ci; Linux only, needs /usr/bin/chromium for the real case):
//   node node_modules/typescript/bin/tsc -p tsconfig.json && node dist/bench/memory.bench.js [fake|real] [--out=../bench/results/gateway-memory.json]

import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

const SAMPLE_MS = 500;
const FAKE_IDLE_MS = 15_000;

interface ProcMemory {
	pid: number;
	name: string;
	rssKb: number;
	pssKb: number;
}

interface Sample {
	atMs: number;
	state: string;
	node: ProcMemory | null;
	others: ProcMemory[];
}

function readProc(pid: number): ProcMemory | null {
	try {
		const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
		const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(rollup)?.[1] ?? 0);
		const name = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
		return { pid, name, rssKb: kb('Rss'), pssKb: kb('Pss') };
	} catch {
		return null; // the process ended between the listing and the read
	}
}

/** Every process below `root`, found through the parent PID in /proc/<pid>/stat. */
function descendants(root: number): number[] {
	const parentOf = new Map<number, number>();
	for (const entry of readdirSync('/proc')) {
		if (!/^\d+$/.test(entry)) continue;
		try {
			const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
			// The command name (field 2) is in parentheses and may hold spaces: read after its last ')'.
			const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
			parentOf.set(Number(entry), ppid);
		} catch {
			/* gone */
		}
	}
	const found: number[] = [];
	const queue = [root];
	while (queue.length > 0) {
		const parent = queue.shift() as number;
		for (const [pid, ppid] of parentOf) {
			if (ppid === parent) {
				found.push(pid);
				queue.push(pid);
			}
		}
	}
	return found;
}

const mb = (kb: number) => Math.round(kb / 102.4) / 10;

function summarize(samples: Sample[]) {
	const sum = (s: Sample, key: 'rssKb' | 'pssKb') => (s.node?.[key] ?? 0) + s.others.reduce((n, p) => n + p[key], 0);
	const rows = samples.map((s) => ({
		atMs: s.atMs,
		state: s.state,
		processes: 1 + s.others.length,
		nodeRssMb: mb(s.node?.rssKb ?? 0),
		nodePssMb: mb(s.node?.pssKb ?? 0),
		totalRssMb: mb(sum(s, 'rssKb')),
		totalPssMb: mb(sum(s, 'pssKb')),
	}));
	return rows;
}

// ——— the child: one gateway, as npm start runs it, reporting its state and heap on stdout ———

async function child(mode: 'fake' | 'real'): Promise<void> {
	const { loadConfig } = await import('../src/config');
	const { startGateway } = await import('../src/main');
	const dataDir = process.env.BENCH_DATA_DIR as string;
	const config = loadConfig(['--port', '0', '--data-dir', dataDir], {
		GATEWAY_API_KEY: 'bench-api-key-0123456789',
		GATEWAY_WEBHOOK_SECRET: 'bench-webhook-secret-0123456789',
		GATEWAY_CHROMIUM_PATH: process.env.GATEWAY_CHROMIUM_PATH ?? '/usr/bin/chromium',
	});
	let createClient;
	let fakeClients: Array<{ completePairing(): void }> = [];
	if (mode === 'fake') {
		const { fakeFactory } = await import('../test/fakeClient');
		const fake = fakeFactory();
		createClient = fake.factory;
		fakeClients = fake.clients;
	} else {
		createClient = (await import('../src/client/wwebjs')).createWhatsAppWebClient;
	}
	const report = (state: string, extra: object = {}) => {
		const m = process.memoryUsage();
		process.stdout.write(`${JSON.stringify({ state, heapUsedMb: mb(m.heapUsed / 1024), heapTotalMb: mb(m.heapTotal / 1024), externalMb: mb(m.external / 1024), rssMb: mb(m.rss / 1024), ...extra })}\n`);
	};
	const gateway = await startGateway(config, { createClient, log: () => {} });
	gateway.session.onChange((s) => {
		report(s.state, { reason: s.reason, detail: s.detail });
		// No restart: the process stays up (without Chromium) so that its memory after FAILED can be read.
		if (s.state === 'FAILED') void gateway.session.stop();
	});
	if (mode === 'fake') fakeClients[0].completePairing();
	setInterval(() => report(gateway.session.status().state), SAMPLE_MS);
	process.on('SIGTERM', () => void gateway.close().then(() => process.exit(0)));
	report(gateway.session.status().state);
}

// ——— the parent: runs the child and samples it through /proc ———

async function measureCase(mode: 'fake' | 'real') {
	const dataDir = mkdtempSync(path.join(os.tmpdir(), 'gw-bench-'));
	let blackhole: net.Server | null = null;
	const env: NodeJS.ProcessEnv = { ...process.env, BENCH_DATA_DIR: dataDir };
	if (mode === 'real') {
		const held: net.Socket[] = [];
		blackhole = net.createServer((socket) => held.push(socket));
		await new Promise<void>((r) => blackhole?.listen(0, '127.0.0.1', r));
		const port = (blackhole.address() as net.AddressInfo).port;
		// Chromium on Linux without a desktop reads its proxy from these variables.
		Object.assign(env, { https_proxy: `http://127.0.0.1:${port}`, http_proxy: `http://127.0.0.1:${port}`, all_proxy: `http://127.0.0.1:${port}` });
		blackhole.on('close', () => held.forEach((s) => s.destroy()));
	}
	const started = Date.now();
	const proc: ChildProcess = spawn(process.execPath, [__filename, 'child', mode], { env, stdio: ['ignore', 'pipe', 'inherit'] });
	const exited = new Promise((r) => proc.once('exit', r));
	const reports: Array<Record<string, unknown> & { atMs: number }> = [];
	let state = 'STARTING';
	let buffer = '';
	proc.stdout?.on('data', (chunk: Buffer) => {
		buffer += chunk.toString();
		let nl: number;
		while ((nl = buffer.indexOf('\n')) >= 0) {
			const line = buffer.slice(0, nl);
			buffer = buffer.slice(nl + 1);
			const parsed = JSON.parse(line) as { state: string };
			state = parsed.state;
			reports.push({ atMs: Date.now() - started, ...parsed });
		}
	});
	const samples: Sample[] = [];
	const deadline = started + (mode === 'fake' ? FAKE_IDLE_MS : 120_000);
	let failedAt: number | null = null;
	while (Date.now() < deadline) {
		await new Promise((r) => setTimeout(r, SAMPLE_MS));
		if (proc.pid === undefined || proc.exitCode !== null) break;
		samples.push({ atMs: Date.now() - started, state, node: readProc(proc.pid), others: descendants(proc.pid).map(readProc).filter((p): p is ProcMemory => p !== null) });
		if (reports.some((x) => x.state === 'FAILED')) {
			failedAt ??= Date.now();
			if (Date.now() - failedAt > 5_000) break; // a few samples after FAILED: Chromium must be gone
		}
	}
	const leftOver = proc.pid ? descendants(proc.pid) : [];
	proc.kill('SIGTERM');
	await exited;
	blackhole?.close();
	rmSync(dataDir, { recursive: true, force: true });
	return { mode, samples: summarize(samples), reports, leftOverProcesses: leftOver.length, lastSampleProcesses: samples.at(-1)?.others.map((p) => p.name) ?? [] };
}

function median(values: number[]): number {
	const sorted = [...values].sort((a, b) => a - b);
	const mid = sorted.length >> 1;
	return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

async function main(): Promise<void> {
	const args = process.argv.slice(2);
	if (args[0] === 'child') return child(args[1] as 'fake' | 'real');
	const out = args.find((a) => a.startsWith('--out='))?.slice('--out='.length);
	const modes = args.filter((a) => a === 'fake' || a === 'real') as Array<'fake' | 'real'>;
	const cpus = os.cpus();
	const machine = { date: new Date().toISOString(), node: process.version, cpu: cpus[0]?.model, cores: cpus.length, memGb: Math.round(os.totalmem() / 2 ** 30), loadavg: os.loadavg() };
	console.log(`Node ${machine.node}, ${machine.cpu}, ${machine.cores} cores, load ${machine.loadavg.map((l) => l.toFixed(2)).join(' ')}`);
	const results = [];
	for (const mode of modes.length > 0 ? modes : (['fake', 'real'] as const)) {
		const r = await measureCase(mode);
		const steady = r.samples.filter((s) => (mode === 'fake' ? s.state === 'READY' : s.state === 'STARTING') && s.atMs > 5_000);
		const failedAtMs = r.reports.find((x) => x.state === 'FAILED')?.atMs ?? Infinity;
		const after = r.samples.filter((s) => s.atMs > failedAtMs + 3_000);
		const failed = r.reports.find((x) => x.state === 'FAILED');
		const summary = {
			mode,
			steadyState: mode === 'fake' ? 'READY (fake client), idle, samples after 5 s' : 'STARTING with Chromium up (page load pending), samples after 5 s',
			steadySamples: steady.length,
			medianNodeRssMb: median(steady.map((s) => s.nodeRssMb)),
			medianTotalRssMb: median(steady.map((s) => s.totalRssMb)),
			medianTotalPssMb: median(steady.map((s) => s.totalPssMb)),
			peakTotalPssMb: Math.max(0, ...r.samples.map((s) => s.totalPssMb)),
			peakProcesses: Math.max(0, ...r.samples.map((s) => s.processes)),
			medianHeapUsedMb: median(r.reports.filter((x) => x.state === (mode === 'fake' ? 'READY' : 'STARTING')).map((x) => x.heapUsedMb as number)),
			failed: failed ? { atMs: failed.atMs, reason: failed.reason, detail: failed.detail } : null,
			afterFailed: after.length > 0 ? { processes: after.at(-1)?.processes, nodeRssMb: after.at(-1)?.nodeRssMb, totalPssMb: after.at(-1)?.totalPssMb } : null,
			leftOverProcesses: r.leftOverProcesses,
		};
		console.log(JSON.stringify(summary, null, 1));
		results.push({ ...summary, samples: r.samples, lastSampleProcesses: r.lastSampleProcesses });
	}
	if (out) writeFileSync(out, `${JSON.stringify({ ...machine, sampleMs: SAMPLE_MS, results }, null, '\t')}\n`);
}

void main().catch((error: unknown) => {
	console.error(error);
	process.exit(1);
});
