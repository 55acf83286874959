// Postgres and Redis for n8n's queue mode: Debian's `postgresql` and `redis-server` packages, installed
// with apt-get when missing (the same way scripts/ensure-chromium.mjs brings Chromium). Only the binaries
// are wanted: the project starts its own servers on loopback ports with data directories of its own, so
// the services the packages enable are left as Debian sets them and no file in /etc is changed.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';

const PACKAGES = ['postgresql', 'redis-server'];

function installed(pkg) {
	const r = spawnSync('dpkg-query', ['-W', '-f=${Status}', pkg], { encoding: 'utf8' });
	return r.status === 0 && r.stdout.includes('install ok installed');
}

/** Debian puts the server binaries of Postgres under /usr/lib/postgresql/<major>/bin, not on the PATH. */
function postgresBinDir() {
	const base = '/usr/lib/postgresql';
	if (!existsSync(base)) return undefined;
	const majors = readdirSync(base)
		.filter((name) => /^\d+$/.test(name) && existsSync(path.join(base, name, 'bin', 'initdb')))
		.sort((a, b) => Number(b) - Number(a));
	return majors.length > 0 ? path.join(base, majors[0], 'bin') : undefined;
}

/** Installs what is missing and returns where the binaries are. */
export function ensureQueueDeps() {
	if (!existsSync('/usr/bin/dpkg-query')) {
		throw new Error(
			'Queue mode needs Postgres and Redis: this is not a Debian system, so install postgresql and ' +
				'redis-server yourself.',
		);
	}
	const missing = PACKAGES.filter((pkg) => !installed(pkg));
	if (missing.length > 0) {
		const asRoot = process.getuid?.() === 0;
		const sudo = asRoot ? [] : ['sudo', '-n'];
		console.log(`[queue-deps] installing ${missing.join(' ')} with apt-get`);
		for (const args of [['update', '-q'], ['install', '-y', '-q', '--no-install-recommends', ...missing]]) {
			const cmd = [...sudo, 'apt-get', ...args];
			const r = spawnSync(cmd[0], cmd.slice(1), {
				stdio: 'inherit',
				// policy-rc.d is not touched: in a container without an init system the packages' own
				// service start fails harmlessly, and on a server the operator's services stay theirs.
				env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
			});
			if (r.status !== 0) {
				throw new Error(
					`\`${cmd.join(' ')}\` failed (exit ${r.status ?? r.signal}). Install them yourself: ` +
						`sudo apt-get install ${missing.join(' ')}`,
				);
			}
		}
	}
	const pgBin = postgresBinDir();
	const redisServer = '/usr/bin/redis-server';
	if (!pgBin) throw new Error('postgresql is installed but no /usr/lib/postgresql/<major>/bin/initdb was found.');
	if (!existsSync(redisServer)) throw new Error('redis-server is installed but /usr/bin/redis-server is missing.');
	return { pgBin, redisServer, redisCli: '/usr/bin/redis-cli' };
}

if (import.meta.url === `file://${process.argv[1]}`) {
	try {
		const found = ensureQueueDeps();
		console.log(`[queue-deps] postgres ${found.pgBin}, redis ${found.redisServer}`);
	} catch (error) {
		console.error(error.message);
		process.exit(1);
	}
}
