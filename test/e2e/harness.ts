/**
 * The e2e test bed: a real n8n (the pinned version, installed by scripts/ensure-n8n.mjs) with this package
 * installed the way n8n installs community packages, so node types are `n8n-nodes-kefu.*` as in the
 * templates. One instance per test file; every port on 127.0.0.1.
 *
 *   const n8n = await startN8n();
 *   const cred = await n8n.createCredential('weComApi', 'WeCom', { corpId, ... });
 *   const wf = await n8n.importWorkflow(template, { weComApi: cred });
 *   await n8n.publish(wf.id);
 *   await fetch(n8n.webhookUrl(webhookId, 'webhook'), ...);
 *   const runs = await n8n.waitForExecutions(wf.id, 1);
 *   await n8n.stop();
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { cpSync, createWriteStream, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import path from 'node:path';

const projectRoot = path.resolve(__dirname, '..', '..', '..');

// The same paths as scripts/lib.mjs (an ES module that this CommonJS build cannot require).
export function n8nPaths(): { bin: string; nodeBin: string } {
	const manifest = readFileSync(path.join(projectRoot, 'e2e-n8n', 'package.json'));
	const version = (JSON.parse(manifest.toString()) as { dependencies: { n8n: string } }).dependencies.n8n;
	const key = createHash('sha256').update(manifest).digest('hex').slice(0, 12);
	const base = process.env.KEFU_N8N_CACHE ?? path.join(homedir(), '.cache', 'n8n-nodes-kefu');
	const dir = path.join(base, `n8n-${version}-${key}`);
	const nodeDir = path.join(projectRoot, 'node_modules', `node-${process.platform}-${process.arch}`);
	return { bin: path.join(dir, 'node_modules', 'n8n', 'bin', 'n8n'), nodeBin: path.join(nodeDir, 'bin', 'node') };
}

/**
 * `count` distinct ports that were free a moment ago, all held open together while they are chosen (one
 * at a time, the system could hand out the same port twice). Another program can still take one before
 * n8n binds it: startN8n trusts a port only once n8n says it listens on it, and starts again otherwise.
 */
export async function freePorts(count: number): Promise<number[]> {
	const servers = Array.from({ length: count }, () => createServer());
	try {
		return await Promise.all(
			servers.map(
				async (server) =>
					await new Promise<number>((resolve, reject) => {
						server.once('error', reject);
						server.listen(0, '127.0.0.1', () => {
							const address = server.address();
							resolve(typeof address === 'object' && address ? address.port : 0);
						});
					}),
			),
		);
	} finally {
		await Promise.all(servers.map(async (server) => await new Promise((resolve) => server.close(resolve))));
	}
}

export interface ExecutionSummary {
	id: string;
	workflowId: string;
	status: string;
	mode: string;
	finished: boolean;
	startedAt: string;
	stoppedAt: string | null;
}

export interface WorkflowJson {
	id?: string;
	name: string;
	nodes: Array<{
		id?: string;
		name: string;
		type: string;
		typeVersion: number;
		parameters: Record<string, unknown>;
		credentials?: Record<string, { id: string; name: string }>;
		webhookId?: string;
		[key: string]: unknown;
	}>;
	connections: Record<string, unknown>;
	settings?: Record<string, unknown>;
	[key: string]: unknown;
}

export interface StartOptions {
	/** Extra environment for n8n (e.g. N8N_EXPRESSION_ENGINE). */
	env?: Record<string, string>;
	/** Keep the user folder (database) of an earlier instance, to test restarts. */
	userFolder?: string;
	/** Where n8n's output goes; default a log file in the user folder. */
	logFile?: string;
	/**
	 * A script of the project that starts n8n itself instead of `n8n start` (e.g. scripts/start.mjs, as
	 * `npm start` runs it), given the same environment and ports; stopping the instance stops the script.
	 */
	script?: string;
	/**
	 * The ports of an earlier instance, to start again where it was: a gateway keeps the webhook URL it was
	 * given and delivers there (test/e2e/whatsapp-auto-reply.test.ts). Default: ports free a moment ago.
	 */
	ports?: { port: number; brokerPort: number };
}

export const OWNER = { email: 'owner@kefu.test', password: 'Kefu-e2e-Passw0rd', firstName: 'E2E', lastName: 'Owner' };

export class N8nInstance {
	private cookie = '';

	private apiKey = '';

	private exited = false;

	constructor(
		readonly baseUrl: string,
		readonly userFolder: string,
		readonly logFile: string,
		private readonly child: ChildProcess,
		private readonly options: StartOptions,
		private readonly brokerPort: number,
	) {
		child.once('exit', () => (this.exited = true));
	}

	get pid(): number | undefined {
		return this.child.pid;
	}

	/** n8n's port and its task broker's, for startN8n({ ports }) after a stop. */
	get ports(): { port: number; brokerPort: number } {
		return { port: Number(new URL(this.baseUrl).port), brokerPort: this.brokerPort };
	}

	webhookUrl(webhookId: string, path = 'webhook'): string {
		return `${this.baseUrl}/webhook/${webhookId}/${path}`;
	}

	/** Owner and API key are made on first use; webhooks need neither. */
	private async ensureApiKey(): Promise<void> {
		if (this.apiKey) return;
		let res = await fetch(`${this.baseUrl}/rest/owner/setup`, {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: JSON.stringify(OWNER),
		});
		// 400 when the owner exists already (a restarted instance): log in instead.
		if (!res.ok && res.status !== 400) throw new Error(`owner setup: ${res.status} ${await res.text()}`);
		res = await fetch(`${this.baseUrl}/rest/login`, {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: JSON.stringify({ emailOrLdapLoginId: OWNER.email, password: OWNER.password }),
		});
		if (!res.ok) throw new Error(`login: ${res.status} ${await res.text()}`);
		this.cookie = (res.headers.get('set-cookie') ?? '').split(';')[0];
		const scopes = await this.rest<{ data: string[] }>('GET', '/rest/api-keys/scopes');
		const created = await this.rest<{ data: { rawApiKey: string } }>('POST', '/rest/api-keys', {
			label: `e2e-${Date.now()}`,
			scopes: scopes.data,
			expiresAt: null,
		});
		this.apiKey = created.data.rawApiKey;
	}

	private async rest<T>(method: string, url: string, body?: unknown): Promise<T> {
		const res = await fetch(`${this.baseUrl}${url}`, {
			method,
			headers: { 'content-type': 'application/json', cookie: this.cookie },
			body: body === undefined ? undefined : JSON.stringify(body),
		});
		const text = await res.text();
		if (!res.ok) throw new Error(`${method} ${url}: ${res.status} ${text}`);
		return JSON.parse(text) as T;
	}

	async api<T>(method: string, url: string, body?: unknown): Promise<T> {
		await this.ensureApiKey();
		const res = await fetch(`${this.baseUrl}/api/v1${url}`, {
			method,
			headers: { 'content-type': 'application/json', 'x-n8n-api-key': this.apiKey },
			body: body === undefined ? undefined : JSON.stringify(body),
		});
		const text = await res.text();
		if (!res.ok) throw new Error(`${method} /api/v1${url}: ${res.status} ${text}`);
		return (text ? JSON.parse(text) : {}) as T;
	}

	async createCredential(type: string, name: string, data: Record<string, unknown>): Promise<{ id: string; name: string }> {
		const created = await this.api<{ id: string; name: string }>('POST', '/credentials', { type, name, data });
		return { id: created.id, name: created.name };
	}

	/** A credential's "Test" button, as the editor runs it (POST /rest/credentials/test): n8n's own verdict. */
	async testCredential(
		credential: { id: string; name: string },
		type: string,
		data: Record<string, unknown>,
	): Promise<{ status: string; message: string }> {
		await this.ensureApiKey();
		const answer = await this.rest<{ data: { status: string; message: string } }>('POST', '/rest/credentials/test', {
			credentials: { ...credential, type, data },
		});
		return answer.data;
	}

	/**
	 * Imports a workflow (e.g. a shipped template, which carries no credentials) and gives named nodes the
	 * credentials made for the test, as an admin does after importing a template.
	 */
	async importWorkflow(
		workflow: WorkflowJson,
		credentialsByNode: Record<string, Record<string, { id: string; name: string }>> = {},
	): Promise<{ id: string }> {
		for (const name of Object.keys(credentialsByNode)) {
			if (!workflow.nodes.some((node) => node.name === name)) throw new Error(`no node "${name}" in "${workflow.name}"`);
		}
		const nodes = workflow.nodes.map((node) =>
			credentialsByNode[node.name] ? { ...node, credentials: credentialsByNode[node.name] } : node,
		);
		const created = await this.api<{ id: string }>('POST', '/workflows', {
			name: workflow.name,
			nodes,
			connections: workflow.connections,
			settings: workflow.settings ?? { executionOrder: 'v1' },
		});
		return { id: created.id };
	}

	/** Publishes (2.x's word for activating) and waits until its webhooks answer. */
	async publish(workflowId: string): Promise<void> {
		await this.api('POST', `/workflows/${workflowId}/activate`);
	}

	/**
	 * Runs a saved workflow from `trigger` as the editor's "Execute workflow" button does (a Schedule Trigger
	 * fires once at once), and returns the execution's id: a scheduled template run exactly when a test wants.
	 */
	async runManually(workflowId: string, trigger: string): Promise<string> {
		await this.ensureApiKey();
		const answer = await this.rest<{ data: { executionId: string } }>('POST', `/rest/workflows/${workflowId}/run`, {
			triggerToStartFrom: { name: trigger },
		});
		return answer.data.executionId;
	}

	/** Waits until the execution `id` has finished and returns its status. */
	async waitForExecution(id: string, timeoutMs = 120_000): Promise<string> {
		const deadline = Date.now() + timeoutMs;
		for (;;) {
			const { status } = await this.api<{ status: string }>('GET', `/executions/${id}`).catch(() => ({ status: 'new' }));
			if (!['new', 'running', 'waiting'].includes(status)) return status;
			if (Date.now() > deadline) throw new Error(`execution ${id} still ${status} after ${timeoutMs} ms`);
			await new Promise((r) => setTimeout(r, 250));
		}
	}

	async executions(workflowId: string): Promise<ExecutionSummary[]> {
		const out: ExecutionSummary[] = [];
		let cursor: string | undefined;
		do {
			const qs = new URLSearchParams({ workflowId, limit: '250' });
			if (cursor) qs.set('cursor', cursor);
			const page = await this.api<{ data: ExecutionSummary[]; nextCursor?: string | null }>(
				'GET',
				`/executions?${qs.toString()}`,
			);
			out.push(...page.data);
			cursor = page.nextCursor ?? undefined;
		} while (cursor);
		return out;
	}

	async execution(id: string): Promise<{ status: string; data?: { resultData: { runData: Record<string, unknown>; error?: unknown } } }> {
		return await this.api('GET', `/executions/${id}?includeData=true`);
	}

	/**
	 * Every item `node` put out in a finished execution (all its runs), with the index of the output it
	 * left on: where a router sent each message, as n8n saved it.
	 */
	async nodeItems(executionId: string, node: string): Promise<Array<{ output: number; json: Record<string, unknown> }>> {
		const run = await this.execution(executionId);
		const tasks = (run.data?.resultData.runData[node] ?? []) as Array<{
			data?: { main?: Array<Array<{ json: Record<string, unknown> }> | null> };
		}>;
		return tasks.flatMap((task) =>
			(task.data?.main ?? []).flatMap((items, output) => (items ?? []).map((item) => ({ output, json: item.json }))),
		);
	}

	/** The ids of the workflow's executions so far, to tell the ones a test starts from older ones. */
	async executionIds(workflowId: string): Promise<Set<string>> {
		return new Set((await this.executions(workflowId)).map((e) => e.id));
	}

	/** The executions not in `known`, once the workflow's executions have settled (settledExecutions). */
	async settledExecutionsSince(workflowId: string, known: Set<string>, quietMs?: number, timeoutMs?: number): Promise<ExecutionSummary[]> {
		return (await this.settledExecutions(workflowId, quietMs, timeoutMs)).filter((e) => !known.has(e.id));
	}

	/** Waits until the workflow has at least `count` finished executions (any status) and returns them. */
	async waitForExecutions(workflowId: string, count: number, timeoutMs = 60_000): Promise<ExecutionSummary[]> {
		const deadline = Date.now() + timeoutMs;
		for (;;) {
			const all = await this.executions(workflowId);
			const done = all.filter((e) => e.status !== 'running' && e.status !== 'new' && e.status !== 'waiting');
			if (done.length >= count) return done;
			if (Date.now() > deadline) {
				throw new Error(`expected ${count} finished executions of ${workflowId}, have ${done.length} (of ${all.length})`);
			}
			await new Promise((r) => setTimeout(r, 250));
		}
	}

	/**
	 * The workflow's executions once none has been running and their number has not changed for `quietMs`:
	 * what a test counts after the work it started has had time to show itself.
	 */
	async settledExecutions(workflowId: string, quietMs = 1_500, timeoutMs = 60_000): Promise<ExecutionSummary[]> {
		const deadline = Date.now() + timeoutMs;
		let last = -1;
		let stableSince = Date.now();
		for (;;) {
			const all = await this.executions(workflowId);
			const busy = all.some((e) => e.status === 'running' || e.status === 'new');
			if (all.length !== last || busy) {
				last = all.length;
				stableSince = Date.now();
			} else if (Date.now() - stableSince >= quietMs) {
				return all;
			}
			if (Date.now() > deadline) throw new Error(`executions of ${workflowId} did not settle in ${timeoutMs} ms`);
			await new Promise((r) => setTimeout(r, 250));
		}
	}

	/**
	 * Sends `signal` to n8n and waits until it has exited, keeping the user folder: SIGKILL plays a crash
	 * (power loss, the OOM killer), where n8n saves nothing more. Start again with `startN8n({ userFolder })`.
	 */
	async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
		if (this.exited || this.child.exitCode !== null || this.child.signalCode !== null) return;
		const exited = new Promise((r) => this.child.once('exit', r));
		this.child.kill(signal);
		await exited;
	}

	async stop(options: { keepUserFolder?: boolean } = {}): Promise<void> {
		if (!this.exited && this.child.exitCode === null && this.child.pid !== undefined) {
			const exited = new Promise((r) => this.child.once('exit', r));
			this.child.kill('SIGTERM');
			const timer = setTimeout(() => this.child.kill('SIGKILL'), 20_000);
			await exited;
			clearTimeout(timer);
		}
		// KEFU_E2E_KEEP=1 keeps the folder (database, n8n's log) to look at after a failure.
		const keep = options.keepUserFolder || this.options.userFolder || process.env.KEFU_E2E_KEEP === '1';
		if (keep) console.log(`n8n user folder kept: ${this.userFolder}`);
		else rmSync(this.userFolder, { recursive: true, force: true });
	}
}

/**
 * Installs the built package (package.json + dist/, as `npm install` of the published tarball would) into
 * `<user folder>/.n8n/nodes/node_modules/n8n-nodes-kefu`, where n8n loads community packages as
 * `n8n-nodes-kefu.<node>` (a custom folder would make them `CUSTOM.<node>`: docs/n8n-platform.md).
 */
export function installPackageInto(userFolder: string): void {
	const target = path.join(userFolder, '.n8n', 'nodes', 'node_modules', 'n8n-nodes-kefu');
	rmSync(target, { recursive: true, force: true });
	mkdirSync(target, { recursive: true });
	cpSync(path.join(projectRoot, 'package.json'), path.join(target, 'package.json'));
	cpSync(path.join(projectRoot, 'dist'), path.join(target, 'dist'), { recursive: true });
}

export function n8nEnv(userFolder: string, port: number, brokerPort: number): Record<string, string> {
	return {
		N8N_USER_FOLDER: userFolder,
		N8N_PORT: String(port),
		N8N_LISTEN_ADDRESS: '127.0.0.1',
		N8N_HOST: '127.0.0.1',
		N8N_PROTOCOL: 'http',
		WEBHOOK_URL: `http://127.0.0.1:${port}/`,
		N8N_ENCRYPTION_KEY: 'kefu-e2e-encryption-key-not-secret',
		N8N_DIAGNOSTICS_ENABLED: 'false',
		N8N_VERSION_NOTIFICATIONS_ENABLED: 'false',
		N8N_TEMPLATES_ENABLED: 'false',
		N8N_PERSONALIZATION_ENABLED: 'false',
		N8N_SECURE_COOKIE: 'false',
		N8N_RUNNERS_BROKER_PORT: String(brokerPort),
		N8N_PUBLIC_API_SWAGGERUI_DISABLED: 'true',
		// Tests talk to 127.0.0.1 only: n8n would otherwise fetch its MCP server list from api.n8n.io.
		N8N_DISABLED_MODULES: 'mcp-registry',
		DB_SQLITE_POOL_SIZE: '2',
		N8N_LOG_LEVEL: 'info',
	};
}

/** How often startN8n picks new ports after n8n found one of its ports taken. */
const START_ATTEMPTS = 5;

export async function startN8n(options: StartOptions = {}): Promise<N8nInstance> {
	const level = options.env?.N8N_LOG_LEVEL;
	if (level && !['info', 'debug'].includes(level)) {
		throw new Error(`startN8n needs N8N_LOG_LEVEL info or debug, not "${level}": it waits for n8n's "n8n ready on" line`);
	}
	const userFolder = options.userFolder ?? mkdtempSync(path.join(tmpdir(), 'kefu-n8n-'));
	installPackageInto(userFolder);
	const logFile = options.logFile ?? path.join(userFolder, `n8n-${Date.now()}.log`);
	for (let attempt = 1; ; attempt++) {
		const instance = await launch(userFolder, logFile, options);
		if (instance) return instance;
		if (attempt === START_ATTEMPTS) throw new Error(`n8n found its port taken ${START_ATTEMPTS} times; see ${logFile}`);
	}
}

/**
 * One start of n8n on ports free a moment ago. n8n binds the ports it is given (it cannot be given port 0:
 * its task runner is told the broker's configured port, not the one bound), so another program may take
 * one first. Then n8n logs "port … is already in use" and exits, and this returns undefined to start again.
 * Until n8n logs "n8n ready on …, port N" for our port, whatever answers there may be someone else.
 */
async function launch(userFolder: string, logFile: string, options: StartOptions): Promise<N8nInstance | undefined> {
	const { bin, nodeBin } = n8nPaths();
	const [port, brokerPort] = options.ports ? [options.ports.port, options.ports.brokerPort] : await freePorts(2);
	const log = createWriteStream(logFile, { flags: 'a' });
	const env = {
		...process.env,
		PATH: `${path.dirname(nodeBin)}${path.delimiter}${process.env.PATH ?? ''}`,
		...n8nEnv(userFolder, port, brokerPort),
		...options.env,
	};
	const args = options.script ? [path.join(projectRoot, options.script)] : [bin, 'start'];
	const child = spawn(nodeBin, args, { cwd: projectRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
	child.stdout?.pipe(log);
	child.stderr?.pipe(log);
	// What n8n said while starting (a few kB), without colours: read for the two lines above.
	let output = '';
	const listen = (chunk: Buffer) => (output += chunk.toString().replace(/\x1b\[[0-9;]*m/g, ''));
	child.stdout?.on('data', listen);
	child.stderr?.on('data', listen);
	const baseUrl = `http://127.0.0.1:${port}`;
	const instance = new N8nInstance(baseUrl, userFolder, logFile, child, options, brokerPort);
	// A script builds and imports before n8n starts (scripts/start.mjs: about a minute here).
	const startLimitMs = options.script ? 300_000 : 120_000;
	const deadline = Date.now() + startLimitMs;
	let exitCode: number | null = null;
	child.once('exit', (code) => (exitCode = code ?? -1));
	child.once('error', (error) => {
		log.write(`spawn failed: ${error.message}\n`);
		exitCode = -1;
	});
	try {
		for (;;) {
			if (exitCode !== null) {
				// Given ports are not exchanged for others: the caller needs these.
				if (/port \d+ is already in use/.test(output) && !options.ports) return undefined;
				throw new Error(`n8n exited with ${exitCode} while starting; see ${logFile}`);
			}
			if (output.includes(`n8n ready on 127.0.0.1, port ${port}`)) {
				try {
					const res = await fetch(`${baseUrl}/healthz/readiness`, { signal: AbortSignal.timeout(10_000) });
					if (res.ok) return instance;
				} catch {
					// the database is not ready yet
				}
			}
			if (Date.now() > deadline) {
				await instance.stop({ keepUserFolder: true });
				throw new Error(`n8n did not become ready in ${startLimitMs / 1000} s; see ${logFile}`);
			}
			await new Promise((r) => setTimeout(r, 300));
		}
	} finally {
		child.stdout?.off('data', listen);
		child.stderr?.off('data', listen);
	}
}

/** Waits until a published workflow's webhook is registered (it takes a fraction of a second). */
export async function waitForWebhook(url: string, init: RequestInit = { method: 'GET' }, timeoutMs = 15_000): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const res = await fetch(url, init);
		if (res.status !== 404) return;
		if (Date.now() > deadline) throw new Error(`webhook ${url} not registered after ${timeoutMs} ms`);
		await new Promise((r) => setTimeout(r, 200));
	}
}

export function randomId(): string {
	return randomBytes(8).toString('hex');
}

export function writeJson(file: string, value: unknown): void {
	writeFileSync(file, JSON.stringify(value, null, 2));
}

/** Where nothing listens (the discard port): a credential the test never calls still points at no other machine. */
const NOWHERE = 'http://127.0.0.1:9';

/**
 * Every credential the templates use, as an admin makes them: WeCom Callback API (the WeCom trigger), WeCom
 * API against the fake WeCom, OpenAI against the fake model, and for the WhatsApp templates the WhatsApp Web
 * Gateway API, SMTP and Google Sheets. A fake a test does not pass stands at an address where nothing listens.
 */
export async function createTemplateCredentials(
	n8n: N8nInstance,
	fakes: {
		secrets: { corpId: string; token: string; encodingAesKey: string };
		weComUrl: string;
		openAiUrl: string;
		whatsApp?: { baseUrl: string; apiKey: string; webhookSecret: string };
		smtp?: { host: string; port: number };
		miniProgram?: { baseUrl: string; appId: string; appSecret: string };
		miniProgramPush?: { appId: string; token: string; encodingAesKey: string };
		jwtSecret?: string;
		/** The queue's Redis, for the queue-mode templates' Redis steps (default: a port where nothing listens). */
		redis?: { host: string; port: number; password: string };
	},
) {
	const callback = await n8n.createCredential('weComCallbackApi', 'WeCom Callback', { ...fakes.secrets });
	const api = await n8n.createCredential('weComApi', 'WeCom API', {
		corpId: fakes.secrets.corpId,
		agentId: '1000002',
		secret: 'fake-secret',
		baseUrl: fakes.weComUrl,
	});
	const model = await n8n.createCredential('openAiApi', 'Fake OpenAI', { apiKey: 'sk-fake', url: fakes.openAiUrl });
	const whatsApp = await n8n.createCredential(
		'whatsAppWebGatewayApi',
		'WhatsApp Web Gateway',
		fakes.whatsApp ?? { baseUrl: NOWHERE, apiKey: 'fake-api-key', webhookSecret: 'fake-webhook-secret' },
	);
	const { host, port } = fakes.smtp ?? { host: '127.0.0.1', port: 9 };
	const smtp = await n8n.createCredential('smtp', 'SMTP', { user: 'monitor', password: 'fake-password', host, port, secure: false });
	// Never connected to Google (no OAuth token): enough for the editor, which only asks that one is chosen.
	const googleSheets = await n8n.createCredential('googleSheetsOAuth2Api', 'Google Sheets', {
		clientId: 'fake-client-id',
		clientSecret: 'fake-client-secret',
	});
	const miniProgram = await n8n.createCredential(
		'weChatMiniProgramApi',
		'WeChat Mini Program',
		fakes.miniProgram ?? { baseUrl: NOWHERE, appId: 'wx0000000000000000', appSecret: 'fake-app-secret' },
	);
	const miniProgramPush = await n8n.createCredential(
		'weChatMiniProgramPushApi',
		'WeChat Mini Program Message Push',
		fakes.miniProgramPush ?? { appId: 'wx0000000000000000', token: 'fakePushToken', encodingAesKey: 'a'.repeat(43) },
	);
	// The session token the mini-program templates sign and check (n8n's JWT node).
	const jwt = await n8n.createCredential('jwtAuth', 'Mini-program session', {
		keyType: 'passphrase',
		secret: fakes.jwtSecret ?? 'fake-session-secret-0123456789abcdef',
		algorithm: 'HS256',
	});
	const redis = await n8n.createCredential('redis', 'Queue Redis', { ...(fakes.redis ?? { host: '127.0.0.1', port: 9, password: 'fake-password' }), database: 0 });
	return { callback, api, model, whatsApp, smtp, googleSheets, miniProgram, miniProgramPush, jwt, redis };
}

type TemplateCredentials = Awaited<ReturnType<typeof createTemplateCredentials>>;

/** Which credential each node type of the templates takes: [credential type, the one createTemplateCredentials made]. */
const CREDENTIAL_OF_NODE_TYPE: Record<string, [string, keyof TemplateCredentials]> = {
	'n8n-nodes-kefu.weComTrigger': ['weComCallbackApi', 'callback'],
	'n8n-nodes-kefu.weCom': ['weComApi', 'api'],
	'@n8n/n8n-nodes-langchain.lmChatOpenAi': ['openAiApi', 'model'],
	'n8n-nodes-kefu.whatsAppWeb': ['whatsAppWebGatewayApi', 'whatsApp'],
	'n8n-nodes-kefu.whatsAppWebTrigger': ['whatsAppWebGatewayApi', 'whatsApp'],
	'n8n-nodes-base.emailSend': ['smtp', 'smtp'],
	'n8n-nodes-base.googleSheets': ['googleSheetsOAuth2Api', 'googleSheets'],
	'n8n-nodes-kefu.weChatMiniProgram': ['weChatMiniProgramApi', 'miniProgram'],
	'n8n-nodes-kefu.weChatMiniProgramTrigger': ['weChatMiniProgramPushApi', 'miniProgramPush'],
	'n8n-nodes-base.jwt': ['jwtAuth', 'jwt'],
	'n8n-nodes-base.redis': ['redis', 'redis'],
};

/** Imports a template with each node given the credential its type needs (as an admin would fill them in). */
export async function importTemplate(
	n8n: N8nInstance,
	template: WorkflowJson,
	credentials: TemplateCredentials,
): Promise<{ id: string }> {
	const byNode: Record<string, Record<string, { id: string; name: string }>> = {};
	for (const node of template.nodes) {
		const wanted = CREDENTIAL_OF_NODE_TYPE[node.type];
		if (wanted) byNode[node.name] = { [wanted[0]]: credentials[wanted[1]] };
	}
	return await n8n.importWorkflow(template, byNode);
}

/** AutoReply's outputs, in order (nodes/AutoReply/engine/route.ts). */
export const AUTO_REPLY_OUTPUT = { keyword: 0, faq: 1, handOff: 2, noMatch: 3, outOfHours: 4, silent: 5 } as const;

/**
 * Asserts that AutoReply saw the message `match` picks exactly once in these executions, and sent it to
 * Silent for `reason`: the bot chose to say nothing. A callback refused or a pull that failed says nothing
 * too, but leaves no such item, so "no reply was sent" alone cannot tell the two apart.
 */
export async function assertRoutedSilent(
	n8n: N8nInstance,
	executions: ExecutionSummary[],
	match: (json: Record<string, unknown>) => boolean,
	reason: string,
): Promise<void> {
	const routed: Array<[number, unknown]> = [];
	for (const execution of executions) {
		assert.equal(execution.status, 'success', `execution ${execution.id} ended ${execution.status}`);
		for (const { output, json } of await n8n.nodeItems(execution.id, 'AutoReply')) {
			if (match(json)) routed.push([output, (json.autoReply as { reason?: unknown } | undefined)?.reason]);
		}
	}
	assert.deepEqual(routed, [[AUTO_REPLY_OUTPUT.silent, reason]], 'AutoReply did not route the message to Silent once');
}

/** A shipped template (`workflows/<file>`) as it is on disk. */
export function readWorkflow(file: string): WorkflowJson {
	return JSON.parse(readFileSync(path.join(projectRoot, 'workflows', file), 'utf8')) as WorkflowJson;
}

/** A shipped template (`workflows/<file>`) and the webhookId of its WeCom Trigger, whose URL the tests call. */
export function readTemplate(file: string): { template: WorkflowJson; webhookId: string } {
	const template = readWorkflow(file);
	const webhookId = template.nodes.find((n) => n.name === 'WeCom Trigger')?.webhookId;
	if (typeof webhookId !== 'string') throw new Error(`${file} has no WeCom Trigger with a webhookId`);
	return { template, webhookId };
}
