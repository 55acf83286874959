/**
 * The WhatsApp Web gateway (gateway/) as a process of its own, with its simulated WhatsApp
 * (`--client simulated`): the real HTTP API, send queue, webhook queue on disk and signing, and a
 * /simulator API to play customers and the phone. Restartable on the same port and data folder, so a
 * test can kill it in the middle of its work.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import path from 'node:path';

import { freePorts } from './harness';

const projectRoot = path.resolve(__dirname, '..', '..', '..');

let built: string | undefined;

/** npm ci (when needed) and tsc in gateway/, once per test process. */
function gatewayMain(): string {
	if (built) return built;
	const r = spawnSync(process.execPath, [path.join(projectRoot, 'scripts', 'build-gateway.mjs')], { stdio: 'inherit' });
	if (r.status !== 0) throw new Error('could not build gateway/ (node scripts/build-gateway.mjs)');
	built = path.join(projectRoot, 'gateway', 'dist', 'src', 'main.js');
	return built;
}

export interface SimulatedMessage {
	id: string;
	chatId: string;
	text?: string;
	caption?: string;
	at: string;
}

export interface GatewayProcessOptions {
	dataDir: string;
	logFile: string;
	/** Extra environment (GATEWAY_* settings). */
	env?: Record<string, string>;
}

export class GatewayProcess {
	readonly apiKey = 'e2e-gateway-api-key-0123456789';
	readonly webhookSecret = 'e2e-gateway-webhook-secret-0123456789';
	private child: ChildProcess | undefined;
	private port = 0;
	/** What earlier runs of the process sent (/simulator/sent starts empty on each start). */
	private sentBefore: SimulatedMessage[] = [];

	constructor(private readonly options: GatewayProcessOptions) {}

	get url(): string {
		return `http://127.0.0.1:${this.port}`;
	}

	/** Starts (again, on the same port and data folder) and waits for READY. */
	async start(): Promise<void> {
		const main = gatewayMain();
		if (this.port === 0) [this.port] = await freePorts(1);
		const log = createWriteStream(this.options.logFile, { flags: 'a' });
		const child = spawn(process.execPath, [main], {
			env: {
				...process.env,
				GATEWAY_CLIENT: 'simulated',
				GATEWAY_SIMULATED_LINKED: '1',
				GATEWAY_HOST: '127.0.0.1',
				GATEWAY_PORT: String(this.port),
				GATEWAY_DATA_DIR: this.options.dataDir,
				GATEWAY_API_KEY: this.apiKey,
				GATEWAY_WEBHOOK_SECRET: this.webhookSecret,
				...this.options.env,
			},
			stdio: ['ignore', 'pipe', 'pipe'],
		});
		child.stdout?.pipe(log);
		child.stderr?.pipe(log);
		this.child = child;
		const deadline = Date.now() + 30_000;
		for (;;) {
			if (child.exitCode !== null) throw new Error(`the gateway exited with ${child.exitCode}; see ${this.options.logFile}`);
			const status = await this.request<{ state?: string }>('GET', '/status').catch(() => undefined);
			if (status?.state === 'READY') return;
			if (Date.now() > deadline) throw new Error(`the gateway was not READY in 30 s; see ${this.options.logFile}`);
			await new Promise((r) => setTimeout(r, 200));
		}
	}

	/** SIGKILL plays a crash (nothing flushed, no goodbye); SIGTERM the graceful stop. */
	async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
		const child = this.child;
		if (!child || child.exitCode !== null || child.signalCode !== null) return;
		// Read before the stop; a test stops it only while no send is on its way.
		this.sentBefore.push(...(await this.request<{ sent: SimulatedMessage[] }>('GET', '/simulator/sent')).sent);
		const exited = new Promise((r) => child.once('exit', r));
		child.kill(signal);
		const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
		await exited;
		clearTimeout(timer);
	}

	async request<T>(method: string, route: string, body?: unknown): Promise<T> {
		const res = await fetch(`${this.url}${route}`, {
			method,
			headers: { 'content-type': 'application/json', 'x-api-key': this.apiKey },
			body: body === undefined ? undefined : JSON.stringify(body),
			signal: AbortSignal.timeout(10_000),
		});
		const text = await res.text();
		if (!res.ok) throw new Error(`${method} ${route}: ${res.status} ${text}`);
		return (text ? JSON.parse(text) : {}) as T;
	}

	/** A customer writes to the business (`from`: digits, or a chat ID). Returns WhatsApp's message id. */
	async customerSays(from: string, body: string, senderName = 'E2E Customer'): Promise<string> {
		return (await this.request<{ id: string }>('POST', '/simulator/messages', { from, body, senderName })).id;
	}

	/** Someone types a message to `to` on the business's linked phone. */
	async phoneTypes(to: string, body: string): Promise<string> {
		return (await this.request<{ id: string }>('POST', '/simulator/phone-messages', { to, body })).id;
	}

	/** What went out through the gateway, in every run of the process so far. */
	async sent(): Promise<SimulatedMessage[]> {
		return [...this.sentBefore, ...(await this.request<{ sent: SimulatedMessage[] }>('GET', '/simulator/sent')).sent];
	}

	async webhooks(): Promise<Array<{ id: string; url: string; events: string[] }>> {
		return (await this.request<{ webhooks: Array<{ id: string; url: string; events: string[] }> }>('GET', '/webhooks')).webhooks;
	}
}
