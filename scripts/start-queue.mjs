// `npm run start:queue`: n8n in queue mode on this machine, every port on 127.0.0.1. Builds and installs the
// package as `npm start` does, imports the templates the same way (never over an operator's workflows), then
// starts Postgres, Redis, n8n main, the webhook process(es) behind a round-robin load balancer and the workers
// (scripts/queue.mjs). Its data is its own, in .n8n-local/queue/: `npm start`'s SQLite data is not moved over.
// Ctrl-C or SIGTERM stops the set in order. docs/queue-mode.md, "Running it".
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ensureN8n } from './ensure-n8n.mjs';
import { ensureQueueDeps } from './ensure-queue-deps.mjs';
import { installPackage, node24Env, root } from './lib.mjs';
import { alive, describeQueueSet, postgresPaths, queuePlanFromEnv, startQueueSet } from './queue.mjs';
import { importTemplates } from './workflows.mjs';

const say = (line) => console.log(`[start:queue] ${line}`);

const plan = queuePlanFromEnv();
mkdirSync(plan.runDir, { recursive: true });

// One start per folder: a second one would stop the first one's processes as if they were left over.
const lockFile = path.join(plan.runDir, 'start-queue.lock');
if (existsSync(lockFile)) {
	const pid = Number(readFileSync(lockFile, 'utf8'));
	if (pid && pid !== process.pid && alive(pid) && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('start-queue')) {
		console.error(`[start:queue] already running (pid ${pid}) for ${plan.dir}; stop it first (Ctrl-C there, or kill ${pid}).`);
		process.exit(1);
	}
}
writeFileSync(lockFile, String(process.pid));

function run(cmd, args) {
	const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
	if (r.status !== 0) process.exit(r.status ?? 1);
}

run('npm', ['run', '--silent', 'build']);
ensureN8n();
const deps = ensureQueueDeps();
for (const p of plan.processes) installPackage(p.userFolder);

const baseEnv = node24Env({
	N8N_SECURE_COOKIE: process.env.N8N_SECURE_COOKIE ?? 'false',
	N8N_DIAGNOSTICS_ENABLED: process.env.N8N_DIAGNOSTICS_ENABLED ?? 'false',
	N8N_VERSION_NOTIFICATIONS_ENABLED: process.env.N8N_VERSION_NOTIFICATIONS_ENABLED ?? 'false',
	N8N_HOST: process.env.N8N_HOST ?? '127.0.0.1',
});
// The set decides these itself; an N8N_PORT meant for `npm start` must not leak into every process.
for (const key of ['N8N_PORT', 'N8N_USER_FOLDER', 'N8N_RUNNERS_BROKER_PORT', 'DB_TYPE', 'EXECUTIONS_MODE']) delete baseEnv[key];

let set;
let stopping;
async function stop(code) {
	stopping ??= (async () => {
		say('stopping: load balancer, workers, webhook processes, main, Redis, Postgres');
		try {
			await set?.stop();
		} catch (error) {
			console.error(`[start:queue] while stopping: ${error.message}`);
			code = code || 1;
		}
		rmSync(lockFile, { force: true });
		say('stopped');
		process.exit(code);
	})();
	return await stopping;
}
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => void stop(0));

try {
	say(`starting in ${plan.dir}`);
	await startQueueSet(plan, {
		deps,
		baseEnv,
		log: say,
		onCreate: (created) => (set = created),
		// The ledger of imported templates lives in the cluster's data directory: a cluster made anew (the
		// folder removed) gets the templates again, as a removed database.sqlite does for `npm start`.
		beforeN8n: (env) =>
			importTemplates({
				env,
				userFolder: plan.processes[0].userFolder,
				prefix: '[start:queue]',
				ledger: {
					file: path.join(postgresPaths(plan).data, 'kefu-imported.json'),
					database: path.join(postgresPaths(plan).data, 'PG_VERSION'),
				},
			}),
	});
} catch (error) {
	console.error(`[start:queue] ${error.message}`);
	await stop(1);
}
for (const line of describeQueueSet(set)) say(line);
say('Ctrl+C stops everything');

// A process of the set that ends on its own leaves the set half working: stop the rest and say which.
for (const p of set.n8n) {
	p.child.once('exit', (code, signal) => {
		if (stopping) return;
		console.error(`[start:queue] ${p.name} exited (${signal ?? code}); see ${p.logFile}`);
		void stop(1);
	});
}
