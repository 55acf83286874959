// Postgres and Redis for n8n's queue mode: Debian's `postgresql` and `redis-server` packages, installed
// with apt-get when missing (the same way scripts/ensure-chromium.mjs brings Chromium). Only the binaries
// are wanted: the project starts its own servers on loopback ports with data directories of its own, so
// the services the packages enable are left as Debian sets them and no file in /etc is changed.
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';

import { ensureDebianPackages } from './lib.mjs';

const PACKAGES = ['postgresql', 'redis-server'];

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
	ensureDebianPackages(PACKAGES, 'queue-deps');
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
