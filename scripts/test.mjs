// `npm test`: every test, e2e included. Stages: build the package, lint it, compile the tests, run unit and
// in-process node tests, make sure the pinned n8n (cached outside the clone) and Debian's Chromium are installed,
// run the gateway's own tests (gateway/, its own npm ci), run e2e in n8n (the editor tests in headless Chromium).
// `npm test -- unit` runs only the fast stages; `npm test -- e2e` only the e2e stage (after a build).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { root } from './lib.mjs';

const only = process.argv[2];

function step(name, cmd, args, opts = {}) {
	const started = Date.now();
	console.log(`\n=== ${name}: ${cmd} ${args.join(' ')}`);
	const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', ...opts });
	const secs = ((Date.now() - started) / 1000).toFixed(1);
	if (r.status !== 0) {
		console.error(`=== ${name} failed (exit ${r.status}, ${secs} s)`);
		process.exit(r.status ?? 1);
	}
	console.log(`=== ${name} ok (${secs} s)`);
}

function testFiles(dir) {
	const abs = path.join(root, '.test-build', 'test', dir);
	if (!existsSync(abs)) return [];
	const out = [];
	for (const entry of readdirSync(abs, { recursive: true })) {
		const file = path.join(abs, entry);
		if (file.endsWith('.test.js') && statSync(file).isFile()) out.push(file);
	}
	return out.sort();
}

const npx = (bin) => path.join(root, 'node_modules', '.bin', bin);

step('build', 'npm', ['run', '--silent', 'build']);
if (only !== 'e2e') step('lint', 'npm', ['run', '--silent', 'lint']);
rmSync(path.join(root, '.test-build'), { recursive: true, force: true });
step('compile tests', npx('tsc'), ['-p', 'tsconfig.test.json']);

if (only !== 'e2e') {
	const fast = [...testFiles('unit'), ...testFiles('nodes')];
	step('unit and node tests', process.execPath, ['--test', '--test-reporter=spec', ...fast]);
	step('WhatsApp Web gateway tests (gateway/)', process.execPath, [path.join(root, 'scripts', 'test-gateway.mjs')]);
}
if (only !== 'unit') {
	step('install pinned n8n (cached)', process.execPath, [path.join(root, 'scripts', 'ensure-n8n.mjs')]);
	step('Chromium for the editor tests (Debian package)', process.execPath, [path.join(root, 'scripts', 'ensure-chromium.mjs')]);
	const e2e = testFiles('e2e');
	// One n8n at a time: each e2e file starts its own instance on its own ports; 2 cores do not fit two.
	step('e2e tests in a real n8n', process.execPath, ['--test', '--test-concurrency=1', '--test-reporter=spec', ...e2e]);
}
