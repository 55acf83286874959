// Installs (npm ci, when gateway/node_modules is missing or older than its lockfile) and compiles the
// WhatsApp Web gateway (gateway/, a project of its own). Used by its tests, by the e2e tests that run it
// with its simulated WhatsApp, and runnable alone: `node scripts/build-gateway.mjs`.
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { root } from './lib.mjs';

export const gatewayDir = path.join(root, 'gateway');
export const gatewayMain = path.join(gatewayDir, 'dist', 'src', 'main.js');

function run(cmd, args, env = process.env) {
	const r = spawnSync(cmd, args, { cwd: gatewayDir, stdio: 'inherit', env });
	if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed in gateway/ (exit ${r.status ?? r.signal})`);
}

export function buildGateway() {
	const installed = path.join(gatewayDir, 'node_modules', '.package-lock.json');
	if (!existsSync(installed) || statSync(installed).mtimeMs < statSync(path.join(gatewayDir, 'package-lock.json')).mtimeMs) {
		// The lockfile replaces puppeteer by puppeteer-core, so no browser is downloaded.
		run('npm', ['ci', '--no-audit', '--no-fund'], { ...process.env, PUPPETEER_SKIP_DOWNLOAD: 'true' });
	}
	run(process.execPath, [path.join(gatewayDir, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json']);
	return gatewayMain;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
	try {
		buildGateway();
	} catch (error) {
		console.error(error instanceof Error ? error.message : String(error));
		process.exit(1);
	}
}
