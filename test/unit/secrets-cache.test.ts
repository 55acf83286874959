/** The credential cache of the WeCom Trigger: one load per TTL, reload after a failure, but not too often. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { SecretsCache } from '../../nodes/common/secretsCache';

describe('SecretsCache', () => {
	it('loads once per TTL and again after it', async () => {
		let now = 0;
		let loads = 0;
		const cache = new SecretsCache<string>(1_000, 100, 10, () => now);
		const load = async () => `v${++loads}`;
		assert.deepEqual(await cache.get('k', load), { value: 'v1', fromCache: false });
		now = 999;
		assert.deepEqual(await cache.get('k', load), { value: 'v1', fromCache: true });
		now = 1_000;
		assert.deepEqual(await cache.get('k', load), { value: 'v2', fromCache: false });
	});

	it('reloads after a failure at most once per interval', async () => {
		let now = 0;
		let loads = 0;
		const cache = new SecretsCache<string>(60_000, 10_000, 10, () => now);
		const load = async () => `v${++loads}`;
		await cache.get('k', load);
		now = 5_000;
		assert.equal(await cache.reloadAfterFailure('k', load), undefined, 'too soon after the load');
		now = 10_000;
		assert.equal(await cache.reloadAfterFailure('k', load), 'v2');
		assert.deepEqual(await cache.get('k', load), { value: 'v2', fromCache: true });
		now = 15_000;
		assert.equal(await cache.reloadAfterFailure('k', load), undefined);
		assert.equal(loads, 2);
	});

	it('shares one load among concurrent callers', async () => {
		let loads = 0;
		const cache = new SecretsCache<number>(60_000, 0);
		const load = async () => {
			loads++;
			await new Promise((r) => setTimeout(r, 10));
			return loads;
		};
		const values = await Promise.all(Array.from({ length: 50 }, () => cache.get('k', load)));
		assert.equal(loads, 1);
		assert.ok(values.every((v) => v.value === 1));
	});

	it('keeps at most maxEntries credentials', async () => {
		let loads = 0;
		const cache = new SecretsCache<number>(60_000, 0, 2);
		const load = async () => ++loads;
		await cache.get('a', load);
		await cache.get('b', load);
		await cache.get('c', load);
		assert.equal((await cache.get('a', load)).fromCache, false, 'the oldest key was dropped');
		assert.equal((await cache.get('c', load)).fromCache, true);
	});
});

describe('SecretsCache.useWithReload', () => {
	it('runs once more with fresh values when the cached ones gave a stale result', async () => {
		let now = 0;
		let version = 1;
		let loads = 0;
		const cache = new SecretsCache<number>(60_000, 10_000, 10, () => now);
		const load = async () => {
			loads++;
			return version;
		};
		const use = (v: number) => (v === version ? `ok${v}` : 'stale');
		const isStale = (r: string) => r === 'stale';
		assert.equal(await cache.useWithReload('k', load, use, isStale), 'ok1');
		version = 2;
		now = 5_000;
		assert.equal(await cache.useWithReload('k', load, use, isStale), 'stale', 'no reload within 10 s of the last');
		now = 20_000;
		assert.equal(await cache.useWithReload('k', load, use, isStale), 'ok2');
		assert.equal(loads, 2);
	});
});
