// Installs the pinned n8n into a cache folder outside the clone, once. Reused when present.
// Why the steps: n8n 2.41.1 needs Node >= 24; `npm install` of it fails here unless install scripts are
// skipped (the Kafka node's librdkafka build downloads zlib), so we install with --ignore-scripts and then
// rebuild only the two native modules n8n needs to start (sqlite3 from source, isolated-vm from prebuilds),
// against the Node 24 headers. See docs/n8n-platform.md.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { N8N_VERSION, n8nInstallDir, node24Bin, node24Env, npmCli, root } from './lib.mjs';

function run(cmd, args, opts) {
	console.log(`[ensure-n8n] ${cmd} ${args.join(' ')}`);
	const r = spawnSync(cmd, args, { stdio: 'inherit', ...opts });
	if (r.status !== 0) {
		throw new Error(`[ensure-n8n] "${cmd} ${args.join(' ')}" failed with exit code ${r.status}`);
	}
}

export function ensureN8n() {
	const dir = n8nInstallDir();
	const marker = path.join(dir, '.complete');
	if (existsSync(marker)) return dir;
	const tmp = `${dir}.partial-${process.pid}`;
	rmSync(tmp, { recursive: true, force: true });
	mkdirSync(tmp, { recursive: true });
	cpSync(path.join(root, 'e2e-n8n', 'package.json'), path.join(tmp, 'package.json'));
	const env = node24Env();
	const started = Date.now();
	console.log(`[ensure-n8n] installing n8n ${N8N_VERSION} into ${dir} (about 5 to 8 minutes, once)`);
	run(node24Bin(), [npmCli(), 'install', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: tmp, env });
	// npm 11 gates dependency install scripts: e2e-n8n/package.json allowScripts approves exactly these two.
	run(node24Bin(), [npmCli(), 'rebuild', 'sqlite3', 'isolated-vm'], { cwd: tmp, env });
	const check = spawnSync(
		node24Bin(),
		['-e', "require('sqlite3'); require('isolated-vm'); console.log('native modules load')"],
		{ cwd: tmp, env, stdio: 'inherit' },
	);
	if (check.status !== 0) throw new Error('[ensure-n8n] sqlite3 or isolated-vm did not build for Node 24');
	writeFileSync(path.join(tmp, '.complete'), `${new Date().toISOString()} ${Date.now() - started} ms\n`);
	rmSync(dir, { recursive: true, force: true });
	renameSync(tmp, dir);
	console.log(`[ensure-n8n] done in ${Math.round((Date.now() - started) / 1000)} s`);
	return dir;
}

if (import.meta.url === `file://${process.argv[1]}`) {
	ensureN8n();
}
