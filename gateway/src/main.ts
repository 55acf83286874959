// `npm start`: one gateway, one WhatsApp Web session, one data folder.

import type { Server } from 'node:http';
import path from 'node:path';
import type { WaClientFactory } from './client/port';
import type { SimulatedWhatsApp } from './client/simulated';
import { ConfigError, GatewayConfig, loadConfig } from './config';
import { EventSink, noopSink } from './events';
import { createApi, Route } from './http';
import { claimDataDir } from './profile';
import { SendQueue } from './sendQueue';
import { Session } from './session';
import { WebhookDispatcher, webhookRoutes } from './webhooks';

export interface Gateway {
	session: Session;
	server: Server;
	/** Graceful: stops taking requests, closes Chromium (the saved login stays), releases the data folder. */
	close(): Promise<void>;
}

export interface GatewayParts {
	createClient: WaClientFactory;
	/** Where events go; the webhook dispatcher (src/webhooks/) when it is mounted. */
	events?: EventSink;
	/** Extra routes, e.g. the webhook registrations; they run after the API key check. */
	routes?: Route[] | ((session: Session) => Route[]);
	log?: (line: string) => void;
}

export async function startGateway(config: GatewayConfig, parts: GatewayParts): Promise<Gateway> {
	const log = parts.log ?? ((line: string) => console.log(`${new Date().toISOString()} ${line}`));
	const release = claimDataDir(config.dataDir);
	const session = new Session({
		createClient: parts.createClient,
		authDir: authDirOf(config),
		chromiumPath: config.chromiumPath,
		events: parts.events ?? noopSink,
		log,
	});
	session.onChange((s) => log(`session ${s.state}${s.reason ? ` ${s.reason}${s.detail ? ` (${s.detail})` : ''}` : ''}`));
	const server = createApi({
		session,
		apiKey: config.apiKey,
		queue: new SendQueue({ minIntervalMs: config.sendIntervalMs, jitterMs: config.sendJitterMs, hourlyCap: config.hourlyCap }),
		media: { maxBytes: config.maxMediaBytes, timeoutMs: config.mediaTimeoutMs, allowPrivateUrls: config.allowPrivateMediaUrls },
		sendTimeoutMs: config.sendTimeoutMs,
		routes: typeof parts.routes === 'function' ? parts.routes(session) : parts.routes,
	});
	await new Promise<void>((resolve, reject) => {
		server.once('error', reject);
		server.listen(config.port, config.host, resolve);
	});
	session.start();
	return {
		session,
		server,
		async close() {
			await new Promise<void>((r) => server.close(() => r()));
			await session.stop();
			release();
		},
	};
}

/** Where the saved WhatsApp login lives (whatsapp-web.js LocalAuth's data path). */
function authDirOf(config: GatewayConfig): string {
	return path.join(config.dataDir, 'auth');
}

/**
 * The webhooks as `npm start` mounts them: events go to every URL registered through /webhooks (the WhatsApp
 * Web Trigger registers itself), signed with the webhook secret, from a queue on disk in the data folder.
 */
export function webhookParts(config: GatewayConfig): { events: WebhookDispatcher; routes: Route[] } {
	const events = new WebhookDispatcher({
		dataFolder: config.dataDir,
		secret: config.webhookSecret,
		retryBaseMs: config.webhookRetryBaseMs,
		retryMaxMs: config.webhookRetryMaxMs,
	});
	return { events, routes: [webhookRoutes(events)] };
}

export interface RunningGateway extends Gateway {
	/** The simulated WhatsApp with --client simulated, else null. */
	simulator: SimulatedWhatsApp | null;
	webhooks: WebhookDispatcher;
}

/**
 * The gateway as `npm start` runs it: the engine the configuration names, the webhooks, and with the
 * simulated engine its control routes. close() also stops the webhook deliveries (the queue stays on disk).
 */
export async function launchGateway(config: GatewayConfig, log?: (line: string) => void): Promise<RunningGateway> {
	const webhooks = webhookParts(config);
	let createClient: WaClientFactory;
	let simulator: SimulatedWhatsApp | null = null;
	let routes: GatewayParts['routes'] = webhooks.routes;
	if (config.client === 'simulated') {
		const { SimulatedWhatsApp } = await import('./client/simulated');
		const { simulatorRoutes } = await import('./simulatorRoutes');
		const phone = new SimulatedWhatsApp();
		if (config.simulatedLinked) phone.markLinked(authDirOf(config), 'default');
		createClient = phone.createClient;
		simulator = phone;
		routes = (session) => [...webhooks.routes, simulatorRoutes(phone, session)];
	} else {
		// Loaded only here: tests and the simulated mode run without whatsapp-web.js and Chromium.
		createClient = (await import('./client/wwebjs')).createWhatsAppWebClient;
	}
	const gateway = await startGateway(config, { createClient, events: webhooks.events, routes, log });
	return {
		...gateway,
		simulator,
		webhooks: webhooks.events,
		async close() {
			await gateway.close();
			webhooks.events.close();
		},
	};
}

async function main(): Promise<void> {
	let config: GatewayConfig;
	try {
		config = loadConfig(process.argv.slice(2), process.env);
	} catch (error) {
		if (error instanceof ConfigError) {
			console.error(error.message);
			process.exit(2);
		}
		throw error;
	}
	const gateway = await launchGateway(config);
	const address = gateway.server.address();
	const port = typeof address === 'object' && address ? address.port : config.port;
	console.log(`WhatsApp Web gateway on http://${config.host}:${port} (data in ${config.dataDir}); GET /status shows the session.`);
	if (gateway.simulator) {
		console.log('WhatsApp is simulated (--client simulated): no Chromium and no network; the /simulator/ routes play the customers and the phone.');
	}
	const engine = gateway.simulator ? 'the simulated WhatsApp' : 'Chromium';
	let closing = false;
	const shutdown = (signal: string) => {
		if (closing) return;
		closing = true;
		console.log(`${signal}: closing ${engine} and stopping`);
		gateway.close().then(
			() => process.exit(0),
			() => process.exit(1),
		);
	};
	process.on('SIGINT', () => shutdown('SIGINT'));
	process.on('SIGTERM', () => shutdown('SIGTERM'));
}

if (require.main === module) {
	main().catch((error: unknown) => {
		console.error(error instanceof Error ? error.message : String(error));
		process.exit(1);
	});
}
