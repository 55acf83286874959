// CPU time of a process and its descendants (n8n and its task runners), read from /proc (Linux): what a bench
// that drives a real n8n reports next to wall time, since wall time on a shared machine moves with other jobs.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

export const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;

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
export function processTree(root: number): ProcStat[] {
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

export interface CpuSnapshot {
	mainTicks: number;
	reapedChildTicks: number;
	children: Map<number, number>;
}

export function cpuSnapshot(root: number): CpuSnapshot {
	const tree = processTree(root);
	const main = tree[0];
	return {
		mainTicks: main?.ticks ?? 0,
		reapedChildTicks: main?.childTicks ?? 0,
		children: new Map(tree.slice(1).map((s) => [s.pid, s.ticks])),
	};
}

/** CPU milliseconds between two snapshots: the main process, and its descendants (live or reaped). */
export function cpuDelta(a: CpuSnapshot, b: CpuSnapshot): { mainMs: number; childrenMs: number } {
	let childTicks = b.reapedChildTicks - a.reapedChildTicks;
	for (const [pid, ticks] of b.children) childTicks += ticks - (a.children.get(pid) ?? 0);
	const ms = (t: number) => (t * 1000) / CLK_TCK;
	return { mainMs: ms(b.mainTicks - a.mainTicks), childrenMs: ms(childTicks) };
}
