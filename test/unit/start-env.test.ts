/**
 * The environment `npm start` and `npm run start:queue` give n8n: lazy expression-isolate acquisition is on
 * unless the operator chose otherwise (docs/operations.md says why), for one process and for every process of
 * the queue-mode set.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, it } from 'node:test';

const projectRoot = path.resolve(__dirname, '..', '..', '..');

interface Lib {
	startEnv(): { env: Record<string, string | undefined> };
}
interface Queue {
	queuePlan(options: { dir: string; webhooks: number; workers: number }): { processes: Array<{ name: string }> };
	queueEnv(plan: unknown, secrets: Record<string, string>, baseEnv: Record<string, string | undefined>, proc: unknown): Record<string, string>;
}

function script<T>(file: string): T {
	// The scripts are ES modules: Node 24 loads them with require().
	// eslint-disable-next-line @typescript-eslint/no-require-imports
	return require(path.join(projectRoot, 'scripts', file)) as T;
}

const KEY = 'N8N_EXPRESSION_ENGINE_LAZY_ACQUIRE';

describe('the environment the start scripts give n8n', () => {
	const saved = { folder: process.env.N8N_USER_FOLDER, lazy: process.env[KEY] };
	const folder = mkdtempSync(path.join(tmpdir(), 'kefu-start-env-'));
	afterEach(() => {
		for (const [key, value] of [
			['N8N_USER_FOLDER', saved.folder],
			[KEY, saved.lazy],
		] as const) {
			if (value === undefined) delete process.env[key];
			else process.env[key] = value;
		}
	});

	it('npm start: lazy acquisition on, unless the operator set the variable', () => {
		process.env.N8N_USER_FOLDER = folder;
		delete process.env[KEY];
		assert.equal(script<Lib>('lib.mjs').startEnv().env[KEY], 'true');
		process.env[KEY] = 'false';
		assert.equal(script<Lib>('lib.mjs').startEnv().env[KEY], 'false');
		rmSync(folder, { recursive: true, force: true });
	});

	it('start:queue: the same for main, the webhook processes and the workers', () => {
		const queue = script<Queue>('queue.mjs');
		const plan = queue.queuePlan({ dir: path.join(tmpdir(), 'kefu-queue-env'), webhooks: 2, workers: 2 });
		const secrets = { encryptionKey: 'k', postgresPassword: 'p', redisPassword: 'r' };
		for (const proc of plan.processes) {
			assert.equal(queue.queueEnv(plan, secrets, {}, proc)[KEY], 'true', proc.name);
			assert.equal(queue.queueEnv(plan, secrets, { [KEY]: 'false' }, proc)[KEY], 'false', proc.name);
		}
	});
});
