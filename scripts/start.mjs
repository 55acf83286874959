// `npm start`: build the package, install the pinned n8n (cached outside the clone) if it is not there,
// install the built package into the local n8n's community-package folder, import the templates, and start
// n8n on http://127.0.0.1:5678 with its default SQLite database (kept in .n8n-local/ between runs).
import { spawn, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { cpSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { ensureN8n } from './ensure-n8n.mjs';
import { n8nBin, node24Bin, node24Env, root } from './lib.mjs';

const userFolder = process.env.N8N_USER_FOLDER ?? path.join(root, '.n8n-local');
const port = process.env.N8N_PORT ?? '5678';

function run(cmd, args, opts = {}) {
	const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', ...opts });
	if (r.status !== 0) process.exit(r.status ?? 1);
}

run('npm', ['run', '--silent', 'build']);
ensureN8n();

// As n8n installs a community package: package.json and dist/ under <user folder>/.n8n/nodes/node_modules,
// so node types are n8n-nodes-kefu.* (the templates' names), not CUSTOM.*.
const target = path.join(userFolder, '.n8n', 'nodes', 'node_modules', 'n8n-nodes-kefu');
rmSync(target, { recursive: true, force: true });
mkdirSync(target, { recursive: true });
cpSync(path.join(root, 'package.json'), path.join(target, 'package.json'));
cpSync(path.join(root, 'dist'), path.join(target, 'dist'), { recursive: true });

// A stable encryption key per local folder, so credentials saved in the editor survive restarts.
const keyFile = path.join(userFolder, 'encryption-key');
if (!existsSync(keyFile)) writeFileSync(keyFile, randomBytes(24).toString('hex'), { mode: 0o600 });
const env = node24Env({
	N8N_USER_FOLDER: userFolder,
	N8N_ENCRYPTION_KEY: process.env.N8N_ENCRYPTION_KEY ?? readFileSync(keyFile, 'utf8').trim(),
	N8N_PORT: port,
	N8N_LISTEN_ADDRESS: process.env.N8N_LISTEN_ADDRESS ?? '127.0.0.1',
	N8N_HOST: process.env.N8N_HOST ?? '127.0.0.1',
	N8N_SECURE_COOKIE: process.env.N8N_SECURE_COOKIE ?? 'false',
	N8N_DIAGNOSTICS_ENABLED: process.env.N8N_DIAGNOSTICS_ENABLED ?? 'false',
	N8N_VERSION_NOTIFICATIONS_ENABLED: process.env.N8N_VERSION_NOTIFICATIONS_ENABLED ?? 'false',
});

// Templates carry fixed ids, so importing them again updates them instead of adding copies.
const templates = readdirSync(path.join(root, 'workflows')).filter((f) => f.endsWith('.json'));
if (templates.length > 0) {
	console.log(`[start] importing ${templates.length} template(s) from workflows/`);
	run(node24Bin(), [n8nBin(), 'import:workflow', '--separate', `--input=${path.join(root, 'workflows')}`], { env });
}

// The sandbox (docs/sandbox.md): fakes, "Sandbox …" credentials, published "[Sandbox] …" copies of the
// templates and the customer simulator, all on 127.0.0.1. KEFU_SANDBOX=off leaves it out.
let sandbox;
if (process.env.KEFU_SANDBOX !== 'off') {
	run(path.join(root, 'node_modules', '.bin', 'tsc'), ['-p', path.join('sandbox', 'tsconfig.json')]);
	const { sandboxPlan, startSandboxServers, prepareSandbox, describeSandbox } = createRequire(import.meta.url)(
		'../.sandbox-build/sandbox/index.js',
	);
	const plan = sandboxPlan({ userFolder, env });
	sandbox = await startSandboxServers(plan, { n8nUrl: `http://127.0.0.1:${port}` }).catch((error) => {
		console.error(`[sandbox] ${error.message}`);
		process.exit(1);
	});
	const report = prepareSandbox(plan, { node: node24Bin(), bin: n8nBin(), env });
	for (const line of describeSandbox(plan, sandbox, report)) console.log(line);
}

console.log(`[start] n8n on http://127.0.0.1:${port} (user folder ${userFolder}); Ctrl+C stops it`);
const child = spawn(node24Bin(), [n8nBin(), 'start'], { cwd: root, env, stdio: 'inherit' });
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', async (code) => {
	await sandbox?.close();
	process.exit(code ?? 0);
});
