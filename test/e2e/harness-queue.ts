/**
 * n8n in queue mode for e2e tests: the set `npm run start:queue` runs (scripts/queue.mjs: Postgres, Redis, n8n
 * main, webhook processes behind the round-robin load balancer, workers), in a temporary folder on ports free a
 * moment ago. It returns an N8nInstance like startN8n, so a test runs the same template in both modes:
 * the API and the editor are main's, `webhookUrl()` is the load balancer's.
 *
 *   const n8n = await startN8nQueue({ workers: 2 });
 *   ... as with startN8n ...
 *   n8n.workerOf(executionId)   // which worker ran it, from the workers' logs
 *   await n8n.stop();           // every process of the set, in order
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import assert from 'node:assert/strict';
import { type ExecutionSummary, freePorts, installPackageInto, N8nInstance, n8nEnv, n8nPaths, type StartOptions } from './harness';

const projectRoot = path.resolve(__dirname, '..', '..', '..');

/** The parts of scripts/queue.mjs this file uses (an ES module, loaded with Node 24's require of ESM). */
interface QueueProcess {
	name: string;
	logFile: string;
	child: import('node:child_process').ChildProcess;
	spec: { role: string; port?: number; brokerPort?: number; userFolder: string };
}
interface QueueSet {
	plan: { dir: string; ports: { main: number; balancer: number; postgres: number; redis: number } };
	n8n: QueueProcess[];
	stop(): Promise<void>;
	pids(): Record<string, number>;
}
interface QueueModule {
	queuePlan(options: {
		dir: string;
		ports: { main: number; balancer: number; postgres: number; redis: number; internalPorts: number[] };
		webhooks: number;
		workers: number;
	}): { processes: Array<{ name: string; userFolder: string }> };
	startQueueSet(plan: unknown, options: { deps: unknown; baseEnv: Record<string, string | undefined> }): Promise<QueueSet>;
	alive(pid: number): boolean;
	runs(pid: number): boolean;
	liveGroupMembers(pgid: number): number[];
}

function scriptModule<T>(file: string): T {
	// eslint-disable-next-line @typescript-eslint/no-require-imports
	return require(path.join(projectRoot, 'scripts', file)) as T;
}

export interface QueueStartOptions extends Pick<StartOptions, 'env'> {
	/** `n8n worker` processes (default 2). */
	workers?: number;
	/** `n8n webhook` processes behind the load balancer (default 1). */
	webhooks?: number;
}

export class QueueN8nInstance extends N8nInstance {
	constructor(
		readonly set: QueueSet,
		readonly folder: string,
		main: QueueProcess,
	) {
		super(`http://127.0.0.1:${set.plan.ports.main}`, folder, main.logFile, main.child, {}, main.spec.brokerPort ?? 0);
	}

	/** The load balancer's URL: where WeCom's callbacks arrive in queue mode. */
	override webhookUrl(webhookId: string, urlPath = 'webhook'): string {
		return `http://127.0.0.1:${this.set.plan.ports.balancer}/webhook/${webhookId}/${urlPath}`;
	}

	/**
	 * Each webhook process's own address for a webhook, not the balancer's: a test posts one callback to
	 * all of them to play a retry that reaches another process.
	 */
	directWebhookUrls(webhookId: string, urlPath = 'webhook'): string[] {
		return this.set.n8n
			.filter((p) => p.spec.role === 'webhook')
			.map((p) => `http://127.0.0.1:${p.spec.port}/webhook/${webhookId}/${urlPath}`);
	}

	/**
	 * Asserts that `second` ran on another worker than `first` and ended while `first` still ran: what a
	 * test of shared state across workers needs to have happened for it to prove anything.
	 */
	assertOverlappedOnTwoWorkers(first: ExecutionSummary, second: ExecutionSummary): void {
		const [workerOfFirst, workerOfSecond] = [first, second].map((execution) => this.workersOf(execution.id));
		assert.equal(workerOfFirst.length, 1, `execution ${first.id} ran on ${workerOfFirst.length} workers`);
		assert.equal(workerOfSecond.length, 1, `execution ${second.id} ran on ${workerOfSecond.length} workers`);
		assert.notEqual(workerOfFirst[0], workerOfSecond[0], 'both executions ran on one worker');
		const times = JSON.stringify([first, second].map((e) => [e.startedAt, e.stoppedAt]));
		assert.ok(Date.parse(second.stoppedAt!) < Date.parse(first.stoppedAt!), `the second execution did not end before the first: ${times}`);
	}

	/** The pid of every process of the set (n8n's, Redis, Postgres's postmaster), to check that none is left. */
	pids(): Record<string, number> {
		return this.set.pids();
	}

	/** The worker whose log says it ran execution `id` ("Worker started execution <id>", job-processor.js). */
	workersOf(id: string): string[] {
		const started = new RegExp(`Worker started execution ${id} \\(job`);
		return this.set.n8n
			.filter((p) => p.spec.role === 'worker' && started.test(readFileSync(p.logFile, 'utf8')))
			.map((p) => p.name);
	}

	/** Whether a process's log mentions `text` (e.g. "Received webhook" on a webhook process). */
	logOf(name: string): string {
		const p = this.set.n8n.find((q) => q.name === name);
		if (!p) throw new Error(`no process ${name} in the set`);
		return readFileSync(p.logFile, 'utf8');
	}

	override async kill(): Promise<void> {
		throw new Error('kill() of a queue-mode set: stop() it, or kill one process by its pid (pids())');
	}

	override async stop(options: { keepUserFolder?: boolean } = {}): Promise<void> {
		await this.set.stop();
		const keep = options.keepUserFolder || process.env.KEFU_E2E_KEEP === '1';
		if (keep) console.log(`queue-mode folder kept: ${this.folder}`);
		else rmSync(this.folder, { recursive: true, force: true });
	}
}

export async function startN8nQueue(options: QueueStartOptions = {}): Promise<QueueN8nInstance> {
	const queue = scriptModule<QueueModule>('queue.mjs');
	const { ensureQueueDeps } = scriptModule<{ ensureQueueDeps(): unknown }>('ensure-queue-deps.mjs');
	const deps = ensureQueueDeps();
	const workers = options.workers ?? 2;
	const webhooks = options.webhooks ?? 1;
	const folder = mkdtempSync(path.join(tmpdir(), 'kefu-n8n-queue-'));
	// Postgres runs as the `postgres` user when the tests run as root: it must reach its folder inside.
	chmodSync(folder, 0o711);
	const [main, balancer, postgres, redis, ...internalPorts] = await freePorts(4 + webhooks + 1 + workers);
	const plan = queue.queuePlan({ dir: folder, ports: { main, balancer, postgres, redis, internalPorts }, webhooks, workers });
	for (const p of plan.processes) installPackageInto(p.userFolder);
	const { nodeBin } = n8nPaths();
	const baseEnv: Record<string, string | undefined> = {
		...process.env,
		PATH: `${path.dirname(nodeBin)}${path.delimiter}${process.env.PATH ?? ''}`,
		...n8nEnv(folder, main, 0),
		...options.env,
	};
	// Per process in queue mode (scripts/queue.mjs, queueEnv): not one value for all.
	for (const key of ['N8N_USER_FOLDER', 'N8N_PORT', 'N8N_RUNNERS_BROKER_PORT', 'WEBHOOK_URL', 'DB_SQLITE_POOL_SIZE']) delete baseEnv[key];
	let set: QueueSet;
	try {
		set = await queue.startQueueSet(plan, { deps, baseEnv });
	} catch (error) {
		if (process.env.KEFU_E2E_KEEP !== '1') rmSync(folder, { recursive: true, force: true });
		throw error;
	}
	return new QueueN8nInstance(set, folder, set.n8n[0]);
}

/** Whether a pid still runs (for "no process left behind"); a zombie waiting to be reaped has ended. */
export function stillRunning(pid: number): boolean {
	return scriptModule<QueueModule>('queue.mjs').runs(pid);
}

/** Pids of the process group `pgid` that still run (zombies excluded). */
export function liveGroupMembers(pgid: number): number[] {
	return scriptModule<QueueModule>('queue.mjs').liveGroupMembers(pgid);
}
