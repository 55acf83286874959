// The WhatsApp Web gateway's tests (gateway/ is a project of its own, with its own lockfile): `npm ci` in
// gateway/ when its node_modules is missing or older than its lockfile, Debian's Chromium for the smoke
// test (apt-get when missing), then compile and run gateway/test/.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { ensureChromium } from './ensure-chromium.mjs';
import { root } from './lib.mjs';

const gateway = path.join(root, 'gateway');
const installed = path.join(gateway, 'node_modules', '.package-lock.json');

function run(cmd, args, env = process.env) {
	const r = spawnSync(cmd, args, { cwd: gateway, stdio: 'inherit', env });
	if (r.status !== 0) process.exit(r.status ?? 1);
}

if (!existsSync(installed) || statSync(installed).mtimeMs < statSync(path.join(gateway, 'package-lock.json')).mtimeMs) {
	// The lockfile replaces puppeteer by puppeteer-core, so no browser is downloaded.
	run('npm', ['ci', '--no-audit', '--no-fund'], { ...process.env, PUPPETEER_SKIP_DOWNLOAD: 'true' });
}
const chromium = ensureChromium();
run(process.execPath, [path.join(gateway, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json']);
const tests = readdirSync(path.join(gateway, 'dist', 'test')).filter((f) => f.endsWith('.test.js')).map((f) => path.join('dist', 'test', f));
run(process.execPath, ['--test', '--test-reporter=spec', ...tests], { ...process.env, GATEWAY_CHROMIUM_PATH: chromium });
