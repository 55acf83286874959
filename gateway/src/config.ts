// Configuration from flags or environment (a flag wins). Secrets are better given by environment:
// flags show in the process list.

import path from 'node:path';

export interface GatewayConfig {
	host: string;
	port: number;
	apiKey: string;
	webhookSecret: string;
	dataDir: string;
	chromiumPath: string;
	allowPrivateMediaUrls: boolean;
	maxMediaBytes: number;
	mediaTimeoutMs: number;
	sendTimeoutMs: number;
	sendIntervalMs: number;
	sendJitterMs: number;
	hourlyCap: number;
	/** The WhatsApp engine: whatsapp-web.js with Chromium, or the simulated one (src/client/simulated.ts). */
	client: 'whatsapp-web' | 'simulated';
	simulatedLinked: boolean;
	webhookRetryBaseMs: number;
	webhookRetryMaxMs: number;
}

interface Setting {
	flag: string;
	env: string;
	default?: string;
	help: string;
}

export const settings: Record<keyof GatewayConfig, Setting> = {
	host: { flag: 'host', env: 'GATEWAY_HOST', default: '127.0.0.1', help: 'address to listen on' },
	port: { flag: 'port', env: 'GATEWAY_PORT', default: '3100', help: 'port to listen on' },
	apiKey: { flag: 'api-key', env: 'GATEWAY_API_KEY', help: 'key every request must send (X-Api-Key), at least 16 characters; required' },
	webhookSecret: { flag: 'webhook-secret', env: 'GATEWAY_WEBHOOK_SECRET', help: 'secret that signs webhooks, at least 16 characters; required' },
	dataDir: { flag: 'data-dir', env: 'GATEWAY_DATA_DIR', default: './data', help: 'folder for the saved WhatsApp login and the webhook queue' },
	chromiumPath: { flag: 'chromium', env: 'GATEWAY_CHROMIUM_PATH', default: '/usr/bin/chromium', help: 'Chromium executable' },
	allowPrivateMediaUrls: { flag: 'allow-private-media-urls', env: 'GATEWAY_ALLOW_PRIVATE_MEDIA_URLS', default: 'false', help: 'let /send download media from private and loopback addresses' },
	maxMediaBytes: { flag: 'max-media-bytes', env: 'GATEWAY_MAX_MEDIA_BYTES', default: String(16 * 1024 * 1024), help: 'largest media /send accepts' },
	mediaTimeoutMs: { flag: 'media-timeout-ms', env: 'GATEWAY_MEDIA_TIMEOUT_MS', default: '30000', help: 'time allowed to download media.url' },
	sendTimeoutMs: { flag: 'send-timeout-ms', env: 'GATEWAY_SEND_TIMEOUT_MS', default: '60000', help: 'time a /send waits for WhatsApp Web (queue included) before 504' },
	sendIntervalMs: { flag: 'send-interval-ms', env: 'GATEWAY_SEND_INTERVAL_MS', default: '2000', help: 'least time between two sends' },
	sendJitterMs: { flag: 'send-jitter-ms', env: 'GATEWAY_SEND_JITTER_MS', default: '3000', help: 'random extra time between two sends, up to this' },
	hourlyCap: { flag: 'hourly-cap', env: 'GATEWAY_HOURLY_CAP', default: '100', help: 'sends allowed in any hour; more get 429' },
	client: { flag: 'client', env: 'GATEWAY_CLIENT', default: 'whatsapp-web', help: 'whatsapp-web, or simulated: a WhatsApp simulated in the process (no Chromium, no network) for tests and the sandbox' },
	simulatedLinked: { flag: 'simulated-linked', env: 'GATEWAY_SIMULATED_LINKED', default: 'false', help: 'with --client simulated: start already linked, with no QR code' },
	webhookRetryBaseMs: { flag: 'webhook-retry-base-ms', env: 'GATEWAY_WEBHOOK_RETRY_BASE_MS', default: '1000', help: 'first wait before a failed webhook delivery is retried; doubles per failure' },
	webhookRetryMaxMs: { flag: 'webhook-retry-max-ms', env: 'GATEWAY_WEBHOOK_RETRY_MAX_MS', default: '300000', help: 'longest wait between two webhook delivery attempts' },
};

export class ConfigError extends Error {}

export function usage(): string {
	const lines = Object.values(settings).map(
		(s) => `  --${s.flag.padEnd(26)} ${s.env.padEnd(34)} ${s.help}${s.default !== undefined ? ` (default ${s.default})` : ''}`,
	);
	return `Usage: npm start -- [flags]    (each flag can also be given by the environment variable beside it)\n${lines.join('\n')}`;
}

export function loadConfig(argv: string[], env: NodeJS.ProcessEnv): GatewayConfig {
	const flags = new Map<string, string>();
	for (let i = 0; i < argv.length; i++) {
		const m = /^--([a-z-]+)(?:=(.*))?$/.exec(argv[i]);
		if (!m) throw new ConfigError(`Unknown argument ${argv[i]}.\n${usage()}`);
		const known = Object.values(settings).find((s) => s.flag === m[1]);
		if (!known) throw new ConfigError(`Unknown flag --${m[1]}.\n${usage()}`);
		const isSwitch = known.default === 'false';
		flags.set(m[1], m[2] ?? (isSwitch ? 'true' : (argv[++i] ?? '')));
	}
	const raw = (key: keyof GatewayConfig): string => {
		const s = settings[key];
		const value = flags.get(s.flag) ?? env[s.env] ?? s.default;
		if (value === undefined || value === '') throw new ConfigError(`--${s.flag} (or ${s.env}) is required: ${s.help}.`);
		return value;
	};
	const int = (key: keyof GatewayConfig, min: number): number => {
		const n = Number(raw(key));
		if (!Number.isInteger(n) || n < min) throw new ConfigError(`--${settings[key].flag} must be a whole number of at least ${min}.`);
		return n;
	};
	const secret = (key: 'apiKey' | 'webhookSecret'): string => {
		const value = raw(key);
		if (value.length < 16) throw new ConfigError(`--${settings[key].flag} (or ${settings[key].env}) must be at least 16 characters.`);
		return value;
	};
	const bool = (key: 'allowPrivateMediaUrls' | 'simulatedLinked'): boolean => /^(1|true|yes)$/i.test(raw(key));
	const client = raw('client');
	if (client !== 'whatsapp-web' && client !== 'simulated') throw new ConfigError(`--client must be whatsapp-web or simulated, not "${client}".`);
	const webhookRetryBaseMs = int('webhookRetryBaseMs', 1);
	const webhookRetryMaxMs = int('webhookRetryMaxMs', 1);
	if (webhookRetryMaxMs < webhookRetryBaseMs) throw new ConfigError('--webhook-retry-max-ms must be at least --webhook-retry-base-ms.');
	const port = int('port', 0);
	if (port > 65535) throw new ConfigError('--port must be between 0 and 65535.');
	return {
		host: raw('host'),
		port,
		apiKey: secret('apiKey'),
		webhookSecret: secret('webhookSecret'),
		dataDir: path.resolve(raw('dataDir')),
		chromiumPath: raw('chromiumPath'),
		allowPrivateMediaUrls: bool('allowPrivateMediaUrls'),
		maxMediaBytes: int('maxMediaBytes', 1),
		mediaTimeoutMs: int('mediaTimeoutMs', 1),
		sendTimeoutMs: int('sendTimeoutMs', 1),
		sendIntervalMs: int('sendIntervalMs', 0),
		sendJitterMs: int('sendJitterMs', 0),
		hourlyCap: int('hourlyCap', 1),
		client,
		simulatedLinked: bool('simulatedLinked'),
		webhookRetryBaseMs,
		webhookRetryMaxMs,
	};
}
