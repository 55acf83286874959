// n8n in queue mode on one machine, every port on 127.0.0.1: Postgres (a cluster of its own), Redis, n8n main,
// `n8n webhook` processes behind a small round-robin load balancer, and `n8n worker` processes. Used by
// `npm run start:queue` (scripts/start-queue.mjs) and by the e2e harness (test/e2e/harness-queue.ts), so the
// set the tests prove is the set operators run. docs/queue-mode.md, "Running it", says what lives where.
//
// Everything is started in its own process group (detached) so that Ctrl-C in a terminal reaches only the
// script that started the set, which then stops the set in order; a pid file per process lets the next start
// end what a killed start left running.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { n8nBin, n8nDefaults, node24Bin, root } from './lib.mjs';

/** Defaults that leave `npm start`'s ports alone (n8n 5678, its task broker 5679, the sandbox 5700-5703). */
export const QUEUE_PORT_DEFAULTS = {
	main: 5800, // the editor and n8n's API
	balancer: 5801, // the address given to WeCom: the load balancer in front of the webhook processes
	postgres: 5802,
	redis: 5803,
	internal: 5810, // from here on, one port each: webhook processes, main's task broker, each worker's task broker
};

/** The environment variables that move each port, for the start output and docs/queue-mode.md. */
export const QUEUE_PORT_ENV = {
	main: 'KEFU_QUEUE_PORT',
	balancer: 'KEFU_QUEUE_WEBHOOK_PORT',
	postgres: 'KEFU_QUEUE_POSTGRES_PORT',
	redis: 'KEFU_QUEUE_REDIS_PORT',
	internal: 'KEFU_QUEUE_INTERNAL_PORTS',
};

/** The URL paths n8n's webhook processes serve (n8n/dist/abstract-server.js, start()); the rest is main's. */
const WEBHOOK_PATHS = ['/webhook/', '/webhook-waiting/', '/form/', '/form-waiting/', '/mcp/'];

function portFromEnv(env, key) {
	const raw = env[QUEUE_PORT_ENV[key]];
	if (raw === undefined || raw === '') return QUEUE_PORT_DEFAULTS[key];
	const port = Number(raw);
	if (!Number.isInteger(port) || port < 1 || port > 65535) {
		throw new Error(`${QUEUE_PORT_ENV[key]}=${raw} is not a port number`);
	}
	return port;
}

function countFromEnv(env, name, fallback) {
	const raw = env[name];
	if (raw === undefined || raw === '') return fallback;
	const n = Number(raw);
	if (!Number.isInteger(n) || n < 1 || n > 16) throw new Error(`${name}=${raw}: give a whole number from 1 to 16`);
	return n;
}

/**
 * What runs where. `ports` may give any of main, balancer, postgres, redis, internal (a first port) or
 * internalPorts (a list, one per webhook process, then main's broker, then one per worker).
 */
export function queuePlan({ dir, ports = {}, webhooks = 1, workers = 2 }) {
	const base = { ...QUEUE_PORT_DEFAULTS, ...ports };
	const internal = ports.internalPorts ?? Array.from({ length: webhooks + 1 + workers }, (_, i) => base.internal + i);
	if (internal.length < webhooks + 1 + workers) throw new Error('queuePlan: not enough internal ports');
	const processes = [
		{ name: 'main', role: 'start', port: base.main, brokerPort: internal[webhooks] },
		...Array.from({ length: webhooks }, (_, i) => ({ name: `webhook-${i + 1}`, role: 'webhook', port: internal[i] })),
		...Array.from({ length: workers }, (_, i) => ({ name: `worker-${i + 1}`, role: 'worker', brokerPort: internal[webhooks + 1 + i] })),
	];
	for (const p of processes) p.userFolder = path.join(dir, 'n8n', p.name);
	return {
		dir,
		ports: { main: base.main, balancer: base.balancer, postgres: base.postgres, redis: base.redis },
		processes,
		logDir: path.join(dir, 'logs'),
		runDir: path.join(dir, 'run'),
		postgresDir: path.join(dir, 'postgres'),
		redisDir: path.join(dir, 'redis'),
	};
}

/** The plan of `npm run start:queue`: .n8n-local/queue/ (or KEFU_QUEUE_DIR) and the ports of the environment. */
export function queuePlanFromEnv(env = process.env) {
	const dir = env.KEFU_QUEUE_DIR ?? path.join(root, '.n8n-local', 'queue');
	const ports = {};
	for (const key of ['main', 'balancer', 'postgres', 'redis', 'internal']) ports[key] = portFromEnv(env, key);
	return queuePlan({
		dir,
		ports,
		webhooks: countFromEnv(env, 'KEFU_QUEUE_WEBHOOKS', 1),
		workers: countFromEnv(env, 'KEFU_QUEUE_WORKERS', 2),
	});
}

/** A secret made once and kept (mode 600): a new encryption key would make every saved credential unreadable. */
function keptSecret(file) {
	if (!existsSync(file)) writeFileSync(file, randomBytes(24).toString('hex'), { mode: 0o600 });
	return readFileSync(file, 'utf8').trim();
}

export function queueSecrets(plan) {
	mkdirSync(plan.dir, { recursive: true });
	return {
		encryptionKey: process.env.N8N_ENCRYPTION_KEY ?? keptSecret(path.join(plan.dir, 'encryption-key')),
		postgresPassword: keptSecret(path.join(plan.dir, 'postgres-password')),
		redisPassword: keptSecret(path.join(plan.dir, 'redis-password')),
	};
}

/**
 * The environment of each n8n process of the set, on top of `baseEnv` (PATH with Node 24, telemetry off…).
 * `publicWebhookUrl` is what the editor shows as production URLs: the load balancer unless WEBHOOK_URL says
 * otherwise (a public address in front of it).
 */
export function queueEnv(plan, secrets, baseEnv, proc) {
	const env = {
		...baseEnv,
		...n8nDefaults(baseEnv),
		N8N_USER_FOLDER: proc.userFolder,
		N8N_ENCRYPTION_KEY: secrets.encryptionKey,
		N8N_LISTEN_ADDRESS: '127.0.0.1',
		EXECUTIONS_MODE: 'queue',
		DB_TYPE: 'postgresdb',
		DB_POSTGRESDB_HOST: '127.0.0.1',
		DB_POSTGRESDB_PORT: String(plan.ports.postgres),
		DB_POSTGRESDB_DATABASE: 'n8n',
		DB_POSTGRESDB_USER: 'n8n',
		DB_POSTGRESDB_PASSWORD: secrets.postgresPassword,
		QUEUE_BULL_REDIS_HOST: '127.0.0.1',
		QUEUE_BULL_REDIS_PORT: String(plan.ports.redis),
		QUEUE_BULL_REDIS_PASSWORD: secrets.redisPassword,
		// Production webhooks only on the webhook processes (n8n/dist/server.js:133): main keeps the editor,
		// the API and test webhooks, and never runs a production execution itself.
		N8N_DISABLE_PRODUCTION_MAIN_PROCESS: 'true',
		WEBHOOK_URL: baseEnv.WEBHOOK_URL ?? `http://127.0.0.1:${plan.ports.balancer}/`,
		// Without it n8n takes the editor's address from WEBHOOK_URL, the load balancer, which serves no editor.
		N8N_EDITOR_BASE_URL: baseEnv.N8N_EDITOR_BASE_URL ?? `http://127.0.0.1:${plan.ports.main}/`,
		QUEUE_HEALTH_CHECK_ACTIVE: 'false',
	};
	if (proc.port !== undefined) env.N8N_PORT = String(proc.port);
	if (proc.brokerPort !== undefined) env.N8N_RUNNERS_BROKER_PORT = String(proc.brokerPort);
	return env;
}

// ---------------------------------------------------------------------------------------------------------
// Processes that a killed start left behind

function pidFile(plan, name) {
	return path.join(plan.runDir, `${name}.pid`);
}

/**
 * A process's start time in clock ticks since boot (/proc/<pid>/stat, field 22): with the pid it names one
 * process for good, where a pid alone may be another program's by now and a command line may change (Redis
 * rewrites its own title).
 */
function startTimeOf(pid) {
	try {
		const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
		return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
	} catch {
		return undefined;
	}
}

export function alive(pid) {
	try {
		process.kill(pid, 0);
		return true;
	} catch (error) {
		return error.code === 'EPERM';
	}
}

/** The state letter and process group of a pid from /proc (undefined when it is gone). */
function procStat(pid) {
	try {
		const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
		// "pid (comm) S ppid pgrp …": comm may hold spaces and parentheses, so read after the last ")".
		const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
		return { state, pgrp: Number(pgrp) };
	} catch {
		return undefined;
	}
}

/**
 * Pids of the process group `pgid` that still run. A zombie (state Z) has ended and only waits to be reaped,
 * which an orphan's new parent may do late: it does not count.
 */
export function liveGroupMembers(pgid) {
	const live = [];
	for (const name of readdirSync('/proc')) {
		if (!/^\d+$/.test(name)) continue;
		const stat = procStat(Number(name));
		if (stat && stat.pgrp === pgid && stat.state !== 'Z') live.push(Number(name));
	}
	return live;
}

/** Whether `pid` runs and has not ended (a zombie has). */
export function runs(pid) {
	const stat = procStat(pid);
	return stat !== undefined && stat.state !== 'Z';
}

/** Waits until nothing of the group `pgid` runs (SIGKILL is delivered asynchronously); false past `ms`. */
export async function waitGroupGone(pgid, ms) {
	const deadline = Date.now() + ms;
	while (liveGroupMembers(pgid).length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
	return liveGroupMembers(pgid).length === 0;
}

function writePidFile(plan, name, pid) {
	mkdirSync(plan.runDir, { recursive: true });
	writeFileSync(pidFile(plan, name), JSON.stringify({ pid, startTime: startTimeOf(pid) ?? '' }));
}

async function waitGone(pid, ms) {
	const deadline = Date.now() + ms;
	while (alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
	return !alive(pid);
}

/**
 * Ends the processes named in pid files that are still the processes started then (same pid, same start time),
 * with their process groups (n8n's task runners), and removes the files. n8n first, Redis last: n8n processes
 * that lose Redis under them only log errors until they stop.
 */
export async function cleanStale(plan, log = () => {}) {
	if (!existsSync(plan.runDir)) return;
	const files = readdirSync(plan.runDir).filter((f) => f.endsWith('.pid'));
	files.sort((a, b) => Number(a === 'redis.pid') - Number(b === 'redis.pid'));
	for (const file of files) {
		const full = path.join(plan.runDir, file);
		let entry;
		try {
			entry = JSON.parse(readFileSync(full, 'utf8'));
		} catch {
			entry = undefined;
		}
		if (entry && entry.startTime && startTimeOf(entry.pid) === entry.startTime) {
			log(`ending ${file.replace(/\.pid$/, '')} (pid ${entry.pid}) left running by an earlier start`);
			killGroup(entry.pid, 'SIGTERM');
			if (!(await waitGone(entry.pid, 15_000))) killGroup(entry.pid, 'SIGKILL');
			await waitGone(entry.pid, 5_000);
			killGroup(entry.pid, 'SIGKILL');
		}
		rmSync(full, { force: true });
	}
}

function killGroup(pid, signal) {
	try {
		process.kill(-pid, signal);
	} catch {
		// the group is gone already
	}
}

// ---------------------------------------------------------------------------------------------------------
// Postgres

/** initdb and postgres refuse to run as root: then they run as Debian's `postgres` user. */
function postgresUser() {
	if (process.getuid?.() !== 0) return undefined;
	const uid = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
	const gid = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
	if (uid.status !== 0) throw new Error('running as root, and there is no `postgres` user to run Postgres as');
	return { uid: Number(uid.stdout), gid: Number(gid.stdout) };
}

function pgRun(deps, bin, args, opts = {}) {
	const cmd = path.join(deps.pgBin, bin);
	const [file, argv] = postgresUser() ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args];
	const r = spawnSync(file, argv, { encoding: 'utf8', ...opts });
	return r;
}

function pgCheck(r, what) {
	if (r.status !== 0) throw new Error(`${what} failed (exit ${r.status ?? r.signal}): ${`${r.stdout ?? ''}${r.stderr ?? ''}`.trim().slice(-600)}`);
	return r;
}

export function postgresPaths(plan) {
	return {
		data: path.join(plan.postgresDir, 'data'),
		socketDir: path.join(plan.postgresDir, 'run'),
		log: path.join(plan.postgresDir, 'server.log'),
	};
}

/**
 * The set's own cluster: made with initdb on first use (local socket trusted, TCP with a password), started
 * with pg_ctl on loopback, with a role and database `n8n`. A server left running by a killed start is
 * stopped first (pg_ctl knows it by its data directory), so this start owns the one it starts.
 */
export async function startPostgres(plan, deps, secrets, log = () => {}) {
	const { data, socketDir, log: logFile } = postgresPaths(plan);
	const user = postgresUser();
	for (const dir of [plan.postgresDir, data, socketDir]) {
		mkdirSync(dir, { recursive: true, mode: 0o700 });
		if (user) chownSync(dir, user.uid, user.gid);
	}
	if (!existsSync(path.join(data, 'PG_VERSION'))) {
		log('making the Postgres cluster (once)');
		pgCheck(
			pgRun(deps, 'initdb', ['-D', data, '-U', 'postgres', '--auth-local=trust', '--auth-host=scram-sha-256', '-E', 'UTF8', '--no-locale']),
			'initdb',
		);
	}
	if (pgRun(deps, 'pg_ctl', ['status', '-D', data]).status === 0) {
		log('stopping the Postgres an earlier start left running');
		pgCheck(pgRun(deps, 'pg_ctl', ['stop', '-D', data, '-m', 'fast', '-w']), 'pg_ctl stop');
	}
	const options = [
		`-p ${plan.ports.postgres}`,
		`-k ${socketDir}`,
		'-c listen_addresses=127.0.0.1',
		'-c unix_socket_permissions=0700',
	].join(' ');
	pgCheck(pgRun(deps, 'pg_ctl', ['start', '-D', data, '-l', logFile, '-w', '-t', '60', '-o', options]), `pg_ctl start (see ${logFile})`);
	// The password goes in on stdin, never on a command line (`ps` shows those to every local user).
	const sql = [
		"DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'n8n') THEN CREATE ROLE n8n LOGIN; END IF; END $$;",
		`ALTER ROLE n8n PASSWORD '${secrets.postgresPassword}';`,
		"SELECT 'CREATE DATABASE n8n OWNER n8n' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'n8n')\\gexec",
	].join('\n');
	pgCheck(
		pgRun(deps, 'psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-h', socketDir, '-p', String(plan.ports.postgres), '-U', 'postgres', '-d', 'postgres'], {
			input: sql,
		}),
		'creating the n8n role and database',
	);
	return { pid: Number(readFileSync(path.join(data, 'postmaster.pid'), 'utf8').split('\n')[0]) };
}

export function stopPostgres(plan, deps) {
	const { data } = postgresPaths(plan);
	if (pgRun(deps, 'pg_ctl', ['status', '-D', data]).status === 0) {
		pgCheck(pgRun(deps, 'pg_ctl', ['stop', '-D', data, '-m', 'fast', '-w']), 'pg_ctl stop');
	}
}

// ---------------------------------------------------------------------------------------------------------
// Child processes (Redis, n8n) and their readiness

function spawnLogged(plan, name, file, args, env) {
	mkdirSync(plan.logDir, { recursive: true });
	const logFile = path.join(plan.logDir, `${name}.log`);
	const fd = openSync(logFile, 'a');
	const child = spawn(file, args, { cwd: root, env, detached: true, stdio: ['ignore', fd, fd] });
	closeSync(fd);
	let exited = false;
	child.once('exit', () => (exited = true));
	const started = new Promise((resolve, reject) => {
		child.once('spawn', resolve);
		child.once('error', reject);
	});
	return { name, child, logFile, started, hasExited: () => exited, logOffset: 0 };
}

/** Waits until the process's log (from where this start began) matches `pattern`. */
async function waitForLog(proc, pattern, timeoutMs, check) {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const text = readFileSync(proc.logFile, 'utf8').slice(proc.logOffset).replace(/\x1b\[[0-9;]*m/g, '');
		if (pattern.test(text) && (!check || (await check()))) return;
		if (proc.hasExited()) throw new Error(`${proc.name} exited while starting; see ${proc.logFile}`);
		if (Date.now() > deadline) throw new Error(`${proc.name} was not ready after ${timeoutMs / 1000} s; see ${proc.logFile}`);
		await new Promise((r) => setTimeout(r, 250));
	}
}

function logSize(plan, name) {
	const file = path.join(plan.logDir, `${name}.log`);
	return existsSync(file) ? readFileSync(file).length : 0;
}

async function startRedis(plan, deps, secrets) {
	mkdirSync(plan.redisDir, { recursive: true, mode: 0o700 });
	const conf = path.join(plan.redisDir, 'redis.conf');
	// A config file of its own (mode 600: it holds the password, which a command line would show in `ps`).
	// The append-only file keeps jobs that are queued but not yet run across a stop.
	writeFileSync(
		conf,
		[
			'bind 127.0.0.1',
			`port ${plan.ports.redis}`,
			'protected-mode yes',
			`dir ${plan.redisDir}`,
			'save ""',
			'appendonly yes',
			'appendfsync everysec',
			`requirepass ${secrets.redisPassword}`,
			'daemonize no',
			'logfile ""',
			'',
		].join('\n'),
		{ mode: 0o600 },
	);
	const offset = logSize(plan, 'redis');
	const proc = spawnLogged(plan, 'redis', deps.redisServer, [conf], process.env);
	proc.logOffset = offset;
	await proc.started;
	writePidFile(plan, 'redis', proc.child.pid);
	await waitForLog(proc, /Ready to accept connections/, 30_000);
	return proc;
}

async function readiness(port) {
	try {
		const res = await fetch(`http://127.0.0.1:${port}/healthz/readiness`, { signal: AbortSignal.timeout(5_000) });
		return res.ok;
	} catch {
		return false;
	}
}

async function startN8nProcess(plan, secrets, baseEnv, spec) {
	const offset = logSize(plan, spec.name);
	const proc = spawnLogged(plan, spec.name, node24Bin(), [n8nBin(), spec.role], queueEnv(plan, secrets, baseEnv, spec));
	proc.logOffset = offset;
	proc.spec = spec;
	await proc.started;
	writePidFile(plan, spec.name, proc.child.pid);
	return proc;
}

async function n8nReady(proc, timeoutMs) {
	const { spec } = proc;
	if (spec.role === 'worker') await waitForLog(proc, /n8n worker is now ready/, timeoutMs);
	else await waitForLog(proc, new RegExp(`n8n ready on 127\\.0\\.0\\.1, port ${spec.port}\\b`), timeoutMs, async () => await readiness(spec.port));
}

/** Sends SIGTERM, waits for the exit (n8n lets running executions finish), then ends what is left of its group. */
async function stopChild(plan, proc, timeoutMs = 30_000) {
	const { child } = proc;
	if (!proc.hasExited()) {
		const exited = new Promise((r) => child.once('exit', r));
		try {
			child.kill('SIGTERM');
		} catch {
			// gone already
		}
		const timer = setTimeout(() => killGroup(child.pid, 'SIGKILL'), timeoutMs);
		await exited;
		clearTimeout(timer);
	}
	// n8n's task runners are children in the same group: none may outlive the set.
	killGroup(child.pid, 'SIGKILL');
	await waitGroupGone(child.pid, 10_000);
	rmSync(pidFile(plan, proc.name), { force: true });
}

// ---------------------------------------------------------------------------------------------------------
// The load balancer

/**
 * Round robin over the webhook processes, for webhook paths only (the editor and API stay on main's port, not
 * on the address given to WeCom). The body is read first (WeCom's callbacks are small; 16 MB at most) so that
 * a request a webhook process refused to connect for goes to the next one instead of failing.
 */
export async function startBalancer({ port, upstreams, maxBody = 16 * 1024 * 1024 }) {
	let next = 0;
	const server = http.createServer(async (req, res) => {
		if (!WEBHOOK_PATHS.some((p) => req.url.startsWith(p))) {
			res.writeHead(404, { 'content-type': 'text/plain' }).end('Not a webhook path.\n');
			return;
		}
		const chunks = [];
		let size = 0;
		for await (const chunk of req) {
			size += chunk.length;
			if (size > maxBody) {
				res.writeHead(413, { 'content-type': 'text/plain' }).end('Request body too large.\n');
				return;
			}
			chunks.push(chunk);
		}
		const body = Buffer.concat(chunks);
		const first = next;
		next = (next + 1) % upstreams.length;
		const headers = { ...req.headers };
		const forwardedFor = headers['x-forwarded-for'];
		headers['x-forwarded-for'] = forwardedFor ? `${forwardedFor}, ${req.socket.remoteAddress}` : req.socket.remoteAddress;
		headers['content-length'] = String(body.length);
		delete headers['transfer-encoding'];
		for (let i = 0; i < upstreams.length; i++) {
			const upstream = upstreams[(first + i) % upstreams.length];
			const answered = await new Promise((resolve) => {
				const out = http.request(
					{ host: '127.0.0.1', port: upstream, method: req.method, path: req.url, headers },
					(upstreamRes) => {
						res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
						upstreamRes.pipe(res);
						upstreamRes.on('end', () => resolve(true));
						upstreamRes.on('error', () => resolve(true));
					},
				);
				// Only a refused connection is tried elsewhere: a request that reached n8n may have started an execution.
				out.on('error', (error) => resolve(error.code === 'ECONNREFUSED' ? false : error));
				out.end(body);
			});
			if (answered === true) return;
			if (answered !== false) {
				if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
				res.end();
				return;
			}
		}
		res.writeHead(502, { 'content-type': 'text/plain' }).end('No webhook process is running.\n');
	});
	await new Promise((resolve, reject) => {
		server.once('error', reject);
		server.listen(port, '127.0.0.1', resolve);
	});
	return {
		port,
		close: async () => {
			server.closeAllConnections?.();
			await new Promise((resolve) => server.close(resolve));
		},
	};
}

// ---------------------------------------------------------------------------------------------------------
// The set

/**
 * Starts the whole set. `beforeN8n(env)` runs once Postgres and Redis are up and before any n8n process, with
 * main's environment: where `npm run start:queue` imports the templates through n8n's CLI. On a failure, what
 * was started is stopped again before the error is thrown. `onCreate(set)` gets the set before anything starts.
 */
export async function startQueueSet(plan, { deps, baseEnv, beforeN8n, onCreate, log = () => {}, readyTimeoutMs = 180_000 }) {
	const secrets = queueSecrets(plan);
	const set = { plan, secrets, postgres: undefined, redis: undefined, n8n: [], balancer: undefined, deps };
	set.stop = async () => await stopQueueSet(set);
	set.pids = () => ({
		...(set.postgres ? { postgres: set.postgres.pid } : {}),
		...(set.redis ? { redis: set.redis.child.pid } : {}),
		...Object.fromEntries(set.n8n.map((p) => [p.name, p.child.pid])),
	});
	set.process = (name) => set.n8n.find((p) => p.name === name);
	set.envOf = (name) => queueEnv(plan, secrets, baseEnv, plan.processes.find((p) => p.name === name));
	// The caller holds the set from here on, so a Ctrl-C in the middle of the start stops what has started.
	onCreate?.(set);
	try {
		await cleanStale(plan, log);
		set.postgres = await startPostgres(plan, deps, secrets, log);
		set.redis = await startRedis(plan, deps, secrets);
		const [mainSpec, ...others] = plan.processes;
		if (beforeN8n) await beforeN8n(set.envOf('main'));
		// Main first, alone: it runs the database migrations the others expect.
		const main = await startN8nProcess(plan, secrets, baseEnv, mainSpec);
		set.n8n.push(main);
		await n8nReady(main, readyTimeoutMs);
		for (const spec of others) set.n8n.push(await startN8nProcess(plan, secrets, baseEnv, spec));
		await Promise.all(set.n8n.slice(1).map(async (p) => await n8nReady(p, readyTimeoutMs)));
		set.balancer = await startBalancer({
			port: plan.ports.balancer,
			upstreams: plan.processes.filter((p) => p.role === 'webhook').map((p) => p.port),
		});
		return set;
	} catch (error) {
		await stopQueueSet(set).catch(() => {});
		throw error;
	}
}

/** Stops in this order: the load balancer (no new callbacks), workers, webhook processes, main, Redis, Postgres. */
export async function stopQueueSet(set) {
	await set.balancer?.close();
	set.balancer = undefined;
	const byRole = (role) => set.n8n.filter((p) => p.spec.role === role);
	for (const role of ['worker', 'webhook', 'start']) {
		await Promise.all(byRole(role).map(async (p) => await stopChild(set.plan, p)));
	}
	if (set.redis) await stopChild(set.plan, set.redis, 10_000);
	if (set.postgres) stopPostgres(set.plan, set.deps);
}

/** The lines `npm run start:queue` prints: what runs where. */
export function describeQueueSet(set) {
	const { plan } = set;
	const lines = [
		`editor and API (n8n main): http://127.0.0.1:${plan.ports.main}`,
		`webhooks, the address for WeCom (load balancer): http://127.0.0.1:${plan.ports.balancer}/webhook/…`,
	];
	for (const p of set.n8n) {
		const where = p.spec.port ? `port ${p.spec.port}` : 'no HTTP port';
		const broker = p.spec.brokerPort ? `, task broker ${p.spec.brokerPort}` : '';
		lines.push(`${p.name}: pid ${p.child.pid}, ${where}${broker}, log ${p.logFile}`);
	}
	if (set.redis) lines.push(`redis: pid ${set.redis.child.pid}, 127.0.0.1:${plan.ports.redis}, password in ${path.join(plan.dir, 'redis-password')}`);
	if (set.postgres) {
		lines.push(`postgres: pid ${set.postgres.pid}, 127.0.0.1:${plan.ports.postgres}, database and user n8n, data ${postgresPaths(plan).data}`);
	}
	lines.push(`everything is kept in ${plan.dir}`);
	return lines;
}
