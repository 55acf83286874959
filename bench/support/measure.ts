// What the micro-benchmarks share: calls per second of CPU time and of wall time, and medians.
import * as os from 'node:os';
import { performance } from 'node:perf_hooks';
import { cpuUsage } from 'node:process';

/**
 * Calls `fn` in batches of `batch` for at least `ms` of wall time. Returns calls per second of CPU
 * time (user + system of this process: "per core", and much less sensitive than wall time to other
 * programs sharing the machine) and per second of wall time.
 */
export function measure(fn: () => void, ms: number, batch = 100): { cpu: number; wall: number } {
	let calls = 0;
	const cpuStart = cpuUsage();
	const started = performance.now();
	let elapsed = 0;
	do {
		for (let i = 0; i < batch; i++) fn();
		calls += batch;
		elapsed = performance.now() - started;
	} while (elapsed < ms);
	const cpu = cpuUsage(cpuStart);
	return { cpu: calls / ((cpu.user + cpu.system) / 1e6), wall: (calls / elapsed) * 1000 };
}

export function median(values: number[]): number {
	const sorted = [...values].sort((x, y) => x - y);
	const mid = sorted.length >> 1;
	return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** What every result file records of the run's machine: when, which Node, which CPU, how loaded. */
export function machine(): { date: string; node: string; cpu: string | undefined; cores: number; loadavg: number[] } {
	const cpus = os.cpus();
	return { date: new Date().toISOString(), node: process.version, cpu: cpus[0]?.model, cores: cpus.length, loadavg: os.loadavg() };
}

/** The same, as the first line a benchmark prints. */
export function machineLine(): string {
	const { node, cpu, cores, loadavg } = machine();
	return `Node ${node}, ${cpu ?? 'unknown CPU'}, ${cores} cores, load ${loadavg.map((l) => l.toFixed(2)).join(' ')}`;
}
