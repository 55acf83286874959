// `npm start`: build the package, install the pinned n8n (cached outside the clone) if it is not there,
// install the built package into the local n8n's community-package folder, import the templates n8n does not
// have yet, and start n8n on http://127.0.0.1:5678 with its default SQLite database (kept in .n8n-local/).
import { spawn, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { ensureN8n } from './ensure-n8n.mjs';
import { installPackage, n8nBin, node24Bin, root, startEnv } from './lib.mjs';
import { importTemplates } from './workflows.mjs';

const { env, userFolder, port } = startEnv();

function run(cmd, args, opts = {}) {
	const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', ...opts });
	if (r.status !== 0) process.exit(r.status ?? 1);
}

run('npm', ['run', '--silent', 'build']);
ensureN8n();

installPackage(userFolder);
importTemplates({ env, userFolder, prefix: '[start]' });

// The sandbox (docs/sandbox.md): fakes, "Sandbox …" credentials, published "[Sandbox] …" copies of the
// templates and the customer simulator, all on 127.0.0.1. KEFU_SANDBOX=off leaves it out.
let sandbox;
if (process.env.KEFU_SANDBOX !== 'off') {
	run(path.join(root, 'node_modules', '.bin', 'tsc'), ['-p', path.join('sandbox', 'tsconfig.json')]);
	const { sandboxPlan, startSandboxServers, prepareSandbox, describeSandbox } = createRequire(import.meta.url)(
		'../.sandbox-build/sandbox/index.js',
	);
	try {
		const plan = sandboxPlan({ userFolder, env });
		sandbox = await startSandboxServers(plan, { n8nUrl: `http://127.0.0.1:${port}` });
		for (const line of describeSandbox(plan, sandbox, prepareSandbox(plan))) console.log(line);
		sandbox.sayWhenN8nIsReady(`[sandbox] n8n is ready; try the bots in the customer simulator: ${sandbox.simulatorUrl}`);
	} catch (error) {
		// n8n and the operator's workflows do not depend on the sandbox: start them anyway.
		await sandbox?.close();
		sandbox = undefined;
		console.error(`[sandbox] not started: ${error.message}`);
		console.error('[sandbox] n8n starts without it (KEFU_SANDBOX=off skips the sandbox and this message).');
	}
}

console.log(`[start] n8n on http://127.0.0.1:${port} (user folder ${userFolder}); Ctrl+C stops it`);
const child = spawn(node24Bin(), [n8nBin(), 'start'], { cwd: root, env, stdio: 'inherit' });
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', async (code) => {
	await sandbox?.close();
	process.exit(code ?? 0);
});
