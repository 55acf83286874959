/**
 * What the queue-mode set costs before any work: how long the set of `npm run start:queue` takes to start
 * (Postgres and Redis, then n8n main alone, then the webhook process and the workers together, then the load
 * balancer: scripts/queue.mjs), the memory each process holds once idle (with its children: n8n's task runners,
 * Postgres's backends), and how long the ordered stop takes. Started through the e2e harness (a fresh folder:
 * the first start includes initdb and n8n's migrations on an empty database).
 *
 *   npm run bench -- queue-mode-idle        (KEFU_BENCH_IDLE_S=20: seconds of idling before the memory is read)
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import { startN8nQueue } from '../test/e2e/harness-queue';
import { machine, machineLine } from './support/measure';
import { processTree } from './support/proc';

const projectRoot = path.resolve(__dirname, '..', '..');

function rssKb(pid: number): number {
	try {
		const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
		return match ? Number(match[1]) : 0;
	} catch {
		return 0;
	}
}

/**
 * Proportional set size: shared pages counted once across the processes that share them. Postgres's backends
 * all map its shared buffers, so their RSS summed counts those many times over.
 */
function pssKb(pid: number): number {
	try {
		const match = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
		return match ? Number(match[1]) : 0;
	} catch {
		return 0;
	}
}

async function main(): Promise<void> {
	console.log(machineLine());
	const idleS = Number(process.env.KEFU_BENCH_IDLE_S ?? 20);
	const t0 = Date.now();
	const n8n = await startN8nQueue({ workers: 2, webhooks: 1 });
	const startMs = Date.now() - t0;
	console.log(`set started in ${(startMs / 1000).toFixed(1)} s; idling ${idleS} s`);
	await new Promise((r) => setTimeout(r, idleS * 1000));
	const memory: Record<string, { ownMb: number; withChildrenMb: number; withChildrenPssMb: number; processes: number }> = {};
	for (const [name, pid] of Object.entries(n8n.pids())) {
		const tree = processTree(pid);
		const total = tree.reduce((sum, p) => sum + rssKb(p.pid), 0);
		const pss = tree.reduce((sum, p) => sum + pssKb(p.pid), 0);
		memory[name] = {
			ownMb: Math.round(rssKb(pid) / 1024),
			withChildrenMb: Math.round(total / 1024),
			withChildrenPssMb: Math.round(pss / 1024),
			processes: tree.length,
		};
	}
	const t1 = Date.now();
	await n8n.stop();
	const stopMs = Date.now() - t1;
	console.log('process      own RSS   with children: RSS, PSS (processes)');
	for (const [name, m] of Object.entries(memory)) {
		console.log(
			`${name.padEnd(12)} ${String(m.ownMb).padStart(5)} MB ${String(m.withChildrenMb).padStart(6)} MB ${String(m.withChildrenPssMb).padStart(6)} MB (${m.processes})`,
		);
	}
	const totalMb = Object.values(memory).reduce((sum, m) => sum + m.withChildrenPssMb, 0);
	console.log(`total (PSS) ${totalMb} MB; stop took ${(stopMs / 1000).toFixed(1)} s`);
	writeFileSync(
		path.join(projectRoot, 'bench', 'results', 'queue-mode-idle.json'),
		`${JSON.stringify({ machine: machine(), idleS, startMs, stopMs, memory, totalMb }, null, 2)}\n`,
	);
}

main().catch((error) => {
	console.error(error);
	process.exit(1);
});
