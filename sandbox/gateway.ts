// The sandbox's WhatsApp: the project's own gateway (gateway/) as a child process, on its simulated WhatsApp
// (GATEWAY_CLIENT=simulated, linked from the start): the real HTTP API, send queue and signed webhooks to
// n8n, with /simulator routes to play the customer and the business's phone (docs/whatsapp-gateway-api.md,
// "Simulated WhatsApp"). Nothing leaves the machine, and no browser starts.
import { spawn } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';

import type { GatewaySecrets } from './world';

interface BuildGatewayModule {
	/** npm ci (when gateway/node_modules is missing or stale) and tsc; returns the compiled main.js. */
	buildGateway(): string;
}

const projectRoot = path.resolve(__dirname, '..', '..');
const BUILD_COMMAND = 'node scripts/build-gateway.mjs';

/**
 * Builds the gateway for the sandbox. A machine without the npm registry cannot install it: the sandbox then
 * runs without its WhatsApp part, and `problem` says so and how to fix it, in one line.
 */
export function buildSandboxGateway(): { main: string } | { problem: string } {
	try {
		// eslint-disable-next-line @typescript-eslint/no-require-imports
		const { buildGateway } = require(path.join(projectRoot, 'scripts', 'build-gateway.mjs')) as BuildGatewayModule;
		return { main: buildGateway() };
	} catch (error) {
		const why = error instanceof Error ? error.message : String(error);
		return {
			problem: `WhatsApp left out: the gateway could not be built (${why}); run \`${BUILD_COMMAND}\` (its npm ci needs the npm registry), then npm start again.`,
		};
	}
}

/** A message that went out through the gateway (GET /simulator/sent). */
export interface GatewaySentMessage {
	id: string;
	chatId: string;
	text?: string;
	caption?: string;
	at: string;
}

export interface SandboxGateway {
	url: string;
	logFile: string;
	/** A customer writes to the business from the number `from` (digits). */
	customerWrites(from: string, body: string): Promise<void>;
	/** A colleague types a message to `to` on the business's linked phone. */
	phoneTypes(to: string, body: string): Promise<void>;
	/** What the bot sent through the gateway since it started, oldest first. */
	sent(): Promise<GatewaySentMessage[]>;
	close(): Promise<void>;
}

/** Fails as a listener would (EADDRINUSE) when the port is taken, before the gateway meets it and exits. */
async function assertPortFree(port: number): Promise<void> {
	await new Promise<void>((resolve, reject) => {
		const probe = net.createServer();
		probe.once('error', reject);
		probe.listen(port, '127.0.0.1', () => probe.close(() => resolve()));
	});
}

export async function startSandboxGateway(options: {
	main: string;
	port: number;
	/** The gateway's data folder (saved login, webhook registrations, queued deliveries). */
	dataDir: string;
	logFile: string;
	secrets: GatewaySecrets;
}): Promise<SandboxGateway> {
	await assertPortFree(options.port);
	mkdirSync(options.dataDir, { recursive: true });
	const url = `http://127.0.0.1:${options.port}`;
	// The operator's shell may hold the settings of a real gateway: none of them reaches the sandbox's.
	const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('GATEWAY_')));
	const child = spawn(process.execPath, [options.main], {
		env: {
			...env,
			GATEWAY_CLIENT: 'simulated',
			GATEWAY_SIMULATED_LINKED: '1',
			GATEWAY_HOST: '127.0.0.1',
			GATEWAY_PORT: String(options.port),
			GATEWAY_DATA_DIR: options.dataDir,
			GATEWAY_API_KEY: options.secrets.apiKey,
			GATEWAY_WEBHOOK_SECRET: options.secrets.webhookSecret,
			// A simulation: no spacing between sends (a real number keeps 2-5 s), and a message written while n8n
			// restarts arrives seconds after it is back instead of after the default backoff of up to 5 minutes.
			GATEWAY_SEND_INTERVAL_MS: '0',
			GATEWAY_SEND_JITTER_MS: '0',
			GATEWAY_WEBHOOK_RETRY_MAX_MS: '5000',
		},
		stdio: ['ignore', 'pipe', 'pipe'],
	});
	const log = createWriteStream(options.logFile, { flags: 'a' });
	child.stdout?.pipe(log);
	child.stderr?.pipe(log);
	const running = () => child.exitCode === null && child.signalCode === null;
	const killNow = () => running() && child.kill('SIGKILL');
	// Whatever ends npm start, the gateway goes with it.
	process.once('exit', killNow);

	const request = async (method: string, route: string, body?: unknown) => {
		const res = await fetch(`${url}${route}`, {
			method,
			headers: { 'content-type': 'application/json', 'x-api-key': options.secrets.apiKey },
			body: body === undefined ? undefined : JSON.stringify(body),
			signal: AbortSignal.timeout(10_000),
		});
		const text = await res.text();
		if (!res.ok) throw new Error(`the sandbox WhatsApp gateway answered ${method} ${route} with ${res.status}: ${text.slice(0, 200)}`);
		return (text ? JSON.parse(text) : {}) as Record<string, unknown>;
	};
	const close = async () => {
		process.removeListener('exit', killNow);
		if (!running()) return;
		const exited = new Promise((resolve) => child.once('exit', resolve));
		child.kill('SIGTERM');
		const timer = setTimeout(killNow, 10_000);
		await exited;
		clearTimeout(timer);
		log.end();
	};

	const deadline = Date.now() + 30_000;
	for (;;) {
		if (!running()) {
			await close();
			throw new Error(`The sandbox WhatsApp gateway stopped while starting (exit ${child.exitCode ?? child.signalCode}): see ${options.logFile}.`);
		}
		const status = await request('GET', '/status').catch(() => undefined);
		if (status?.state === 'READY') break;
		if (Date.now() > deadline) {
			await close();
			throw new Error(`The sandbox WhatsApp gateway was not ready within 30 s: see ${options.logFile}.`);
		}
		await new Promise((resolve) => setTimeout(resolve, 200));
	}

	return {
		url,
		logFile: options.logFile,
		customerWrites: async (from, body) => void (await request('POST', '/simulator/messages', { from, body })),
		phoneTypes: async (to, body) => void (await request('POST', '/simulator/phone-messages', { to, body })),
		sent: async () => (await request('GET', '/simulator/sent')).sent as GatewaySentMessage[],
		close,
	};
}
