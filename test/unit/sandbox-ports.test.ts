// The sandbox's servers on fixed ports (sandbox/index.ts startSandboxServers): a port already in use stops
// the start with the variable that moves it, and the servers already started are closed again.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, request } from 'node:http';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';

import { sandboxPlan, startSandboxServers } from '../../sandbox';
import { freePorts } from '../e2e/harness';

/** The gateway (built and started by test/e2e/sandbox.test.ts) stays out of these quick tests. */
const NO_WHATSAPP = { KEFU_SANDBOX_WHATSAPP: 'off' };

async function listen(port: number): Promise<Server> {
	const server = createServer();
	await new Promise<void>((resolve, reject) => {
		server.once('error', reject);
		server.listen(port, '127.0.0.1', resolve);
	});
	return server;
}

describe('sandbox servers', () => {
	const userFolder = mkdtempSync(path.join(tmpdir(), 'kefu-sandbox-ports-'));
	after(() => rmSync(userFolder, { recursive: true, force: true }));

	it('a taken port stops the start with the variable that moves it, and closes what had started', async () => {
		const [simulator, weCom, model] = await freePorts(3);
		const env = { KEFU_SANDBOX_PORT: String(simulator), FAKE_WECOM_PORT: String(weCom), FAKE_OPENAI_PORT: String(model), ...NO_WHATSAPP };
		const squatter = await listen(simulator);
		try {
			const plan = sandboxPlan({ userFolder, env });
			await assert.rejects(
				startSandboxServers(plan, { n8nUrl: 'http://127.0.0.1:9' }),
				new RegExp(`^Error: Port ${simulator} for the sandbox customer simulator is in use: stop what holds it or set KEFU_SANDBOX_PORT to another port\\.$`),
			);
			// The WeCom and model fakes had started before the simulator failed: their ports are free again.
			for (const port of [weCom, model]) await new Promise<void>((resolve) => listen(port).then((s) => s.close(() => resolve())));
		} finally {
			squatter.close();
		}
	});

	it('a port variable that is not a port number is refused before anything starts', () => {
		assert.throws(() => sandboxPlan({ userFolder, env: { FAKE_WECOM_PORT: 'auto', ...NO_WHATSAPP } }), /^Error: FAKE_WECOM_PORT=auto is not a port number/);
	});

	it('starts on the ports asked for and stops again', async () => {
		const [simulator, weCom, model] = await freePorts(3);
		const plan = sandboxPlan({
			userFolder,
			env: { KEFU_SANDBOX_PORT: String(simulator), FAKE_WECOM_PORT: String(weCom), FAKE_OPENAI_PORT: String(model), ...NO_WHATSAPP },
		});
		const servers = await startSandboxServers(plan, { n8nUrl: 'http://127.0.0.1:9' });
		try {
			assert.equal(servers.simulatorUrl, `http://127.0.0.1:${simulator}`);
			assert.equal(servers.weCom.url, `http://127.0.0.1:${weCom}`);
			const bots = (await (await fetch(`${servers.simulatorUrl}/api/bots`)).json()) as { bots: Array<{ kind: string }> };
			assert.deepEqual(bots.bots.map((b) => b.kind).sort(), ['app', 'kf']);
			const page = await fetch(servers.simulatorUrl);
			assert.match(page.headers.get('content-type') ?? '', /text\/html; charset=utf-8/);
			assert.match(await page.text(), /Customer simulator/);
			// A cross-site form or no-cors fetch cannot send JSON without a preflight: refused before it is read.
			const plain = await fetch(`${servers.simulatorUrl}/api/say`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{}' });
			assert.equal(plain.status, 415);
			// A page that reaches 127.0.0.1 through a name of its own (DNS rebinding) sends that name as Host.
			const rebound = await new Promise<number>((resolve, reject) => {
				request(`${servers.simulatorUrl}/api/bots`, { headers: { host: 'attacker.example' } }, (res) => {
					res.resume();
					resolve(res.statusCode ?? 0);
				})
					.on('error', reject)
					.end();
			});
			assert.equal(rebound, 403);
			assert.equal(servers.weCom.requests.length + servers.model.requests.length, 0);
		} finally {
			await servers.close();
		}
	});

	it('says where the simulator is once n8n answers its readiness check, not before', { timeout: 30_000 }, async (t) => {
		let ready = false;
		let checks = 0;
		const n8n = createHttpServer((req, res) => {
			checks += 1;
			res.writeHead(req.url === '/healthz/readiness' && ready ? 200 : 503).end();
		});
		await new Promise<void>((resolve) => n8n.listen(0, '127.0.0.1', resolve));
		const n8nUrl = `http://127.0.0.1:${(n8n.address() as { port: number }).port}`;
		const [simulator, weCom, model] = await freePorts(3);
		const plan = sandboxPlan({
			userFolder,
			env: { KEFU_SANDBOX_PORT: String(simulator), FAKE_WECOM_PORT: String(weCom), FAKE_OPENAI_PORT: String(model), ...NO_WHATSAPP },
		});
		const servers = await startSandboxServers(plan, { n8nUrl });
		const said: string[] = [];
		t.mock.method(console, 'log', (line: string) => said.push(line));
		try {
			servers.sayWhenN8nIsReady('simulator at …');
			while (checks < 2) await new Promise((r) => setTimeout(r, 100));
			assert.deepEqual(said, []);
			ready = true;
			while (said.length === 0) await new Promise((r) => setTimeout(r, 100));
			assert.deepEqual(said, ['simulator at …']);
		} finally {
			await servers.close();
			n8n.close();
		}
	});
});
