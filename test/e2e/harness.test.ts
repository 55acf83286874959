/**
 * The e2e harness itself: n8n runs on ports no other program holds. A port that was free when the
 * harness chose it can be taken before n8n binds it (by any program asking the system for a free port).
 * Here a server takes the first such port at that very moment and answers every request with 200, as a
 * stray n8n would: startN8n must start n8n again on other ports, never take the stranger for n8n.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import net from 'node:net';
import { after, describe, it } from 'node:test';

import { type N8nInstance, startN8n } from './harness';

describe('e2e harness', () => {
	let n8n: N8nInstance | undefined;
	const stranger = createHttpServer((_req, res) => res.end('{}'));

	after(async () => {
		await n8n?.stop();
		if (stranger.listening) await new Promise((resolve) => stranger.close(resolve));
	});

	it('starts n8n again on other ports when one is taken between choosing and binding it', async () => {
		let taken: number | undefined;
		const createServer = net.createServer;
		// The harness finds free ports with net.createServer: the first one it lets go, the stranger takes.
		net.createServer = ((...args: Parameters<typeof net.createServer>) => {
			const server = createServer(...args);
			const close = server.close.bind(server);
			server.close = (callback?: (error?: Error) => void) => {
				const address = server.address();
				return close((error) => {
					if (taken !== undefined || typeof address !== 'object' || !address) return callback?.(error);
					taken = address.port;
					stranger.listen(taken, '127.0.0.1', () => callback?.(error));
				});
			};
			return server;
		}) as typeof net.createServer;
		try {
			n8n = await startN8n();
		} finally {
			net.createServer = createServer;
		}
		assert.ok(taken, 'the harness chose no port');
		assert.notEqual(new URL(n8n.baseUrl).port, String(taken), 'n8n was given the taken port');
		assert.match(readFileSync(n8n.logFile, 'utf8'), new RegExp(`port ${taken} is already in use`));
		// It is n8n that answers: the owner is set up, an API key made and used.
		assert.deepEqual((await n8n.api<{ data: unknown[] }>('GET', '/workflows')).data, []);
	});
});
