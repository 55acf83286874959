import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, loadConfig } from '../src/config';

const env = { GATEWAY_API_KEY: 'k'.repeat(16), GATEWAY_WEBHOOK_SECRET: 's'.repeat(16) };

test('defaults: loopback, /usr/bin/chromium, secrets from the environment', () => {
	const c = loadConfig([], env);
	assert.equal(c.host, '127.0.0.1');
	assert.equal(c.port, 3100);
	assert.equal(c.chromiumPath, '/usr/bin/chromium');
	assert.equal(c.allowPrivateMediaUrls, false);
	assert.equal(c.apiKey, 'k'.repeat(16));
});

test('flags win over the environment; --flag=value and --flag value; switches', () => {
	const c = loadConfig(['--port=4000', '--chromium', '/opt/chrome', '--allow-private-media-urls', '--hourly-cap', '5'], { ...env, GATEWAY_PORT: '1' });
	assert.deepEqual([c.port, c.chromiumPath, c.allowPrivateMediaUrls, c.hourlyCap], [4000, '/opt/chrome', true, 5]);
});

test('a missing or short API key, an unknown flag, a bad number: errors that say what to do', () => {
	assert.throws(() => loadConfig([], { GATEWAY_WEBHOOK_SECRET: 's'.repeat(16) }), (e: unknown) => e instanceof ConfigError && /--api-key \(or GATEWAY_API_KEY\) is required/.test(e.message));
	assert.throws(() => loadConfig(['--api-key=short'], env), /at least 16 characters/);
	assert.throws(() => loadConfig(['--nope'], env), /Unknown flag --nope/);
	assert.throws(() => loadConfig(['--port=x'], env), /--port must be a whole number/);
});

test('engine and webhook retries: whatsapp-web and 1000 / 300000 ms by default; --client simulated, --simulated-linked, the retry timings from flags or environment', () => {
	const c = loadConfig([], env);
	assert.deepEqual([c.client, c.simulatedLinked, c.webhookRetryBaseMs, c.webhookRetryMaxMs], ['whatsapp-web', false, 1000, 300000]);
	const s = loadConfig(['--client', 'simulated', '--simulated-linked', '--webhook-retry-base-ms=10'], { ...env, GATEWAY_WEBHOOK_RETRY_MAX_MS: '50' });
	assert.deepEqual([s.client, s.simulatedLinked, s.webhookRetryBaseMs, s.webhookRetryMaxMs], ['simulated', true, 10, 50]);
	assert.equal(loadConfig([], { ...env, GATEWAY_CLIENT: 'simulated', GATEWAY_SIMULATED_LINKED: '1' }).simulatedLinked, true);
	assert.throws(() => loadConfig(['--client', 'baileys'], env), /--client must be whatsapp-web or simulated/);
	assert.throws(() => loadConfig(['--webhook-retry-base-ms=500', '--webhook-retry-max-ms=100'], env), /--webhook-retry-max-ms must be at least --webhook-retry-base-ms/);
});
