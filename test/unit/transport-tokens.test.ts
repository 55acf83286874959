/* eslint-disable @n8n/community-nodes/no-restricted-imports -- test code, never shipped */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';

import {
	accessTokenKey,
	ExpiringValueCache,
	jsApiTicketKey,
	sha256Hex,
	type FetchedValue,
} from '../../nodes/WeCom/transport/tokens';

function deferred<T>() {
	let resolve!: (value: T) => void;
	let reject!: (error: unknown) => void;
	const promise = new Promise<T>((res, rej) => {
		resolve = res;
		reject = rej;
	});
	return { promise, resolve, reject };
}

function counter(values: string[], expiresInSeconds = 7200) {
	let calls = 0;
	return {
		get calls() {
			return calls;
		},
		fetch: async (): Promise<FetchedValue> => {
			const value = values[Math.min(calls, values.length - 1)];
			calls += 1;
			return { value, expiresInSeconds };
		},
	};
}

describe('ExpiringValueCache', () => {
	it('shares one fetch among 100 concurrent callers', async () => {
		const cache = new ExpiringValueCache();
		const gate = deferred<FetchedValue>();
		let calls = 0;
		const fetch = async () => {
			calls += 1;
			return await gate.promise;
		};
		const waiting = Array.from({ length: 100 }, async () => await cache.get('k', fetch));
		gate.resolve({ value: 'token-1', expiresInSeconds: 7200 });
		const values = await Promise.all(waiting);
		assert.equal(calls, 1);
		assert.deepEqual(new Set(values), new Set(['token-1']));
		// and later callers get the cached value without fetching
		assert.equal(await cache.get('k', fetch), 'token-1');
		assert.equal(calls, 1);
	});

	it('keeps keys apart', async () => {
		const cache = new ExpiringValueCache();
		const a = counter(['a']);
		const b = counter(['b']);
		assert.equal(await cache.get('A', a.fetch), 'a');
		assert.equal(await cache.get('B', b.fetch), 'b');
		assert.equal(await cache.get('A', a.fetch), 'a');
		assert.equal(a.calls + b.calls, 2);
	});

	it('refreshes 5 minutes before expires_in', async () => {
		let now = 1_000_000;
		const cache = new ExpiringValueCache({ now: () => now });
		const source = counter(['t1', 't2']);
		assert.equal(await cache.get('k', source.fetch), 't1');
		now += (7200 - 300) * 1000 - 1;
		assert.equal(await cache.get('k', source.fetch), 't1', 'still cached just before the refresh point');
		assert.equal(source.calls, 1);
		now += 1;
		assert.equal(await cache.get('k', source.fetch), 't2', 'refetched 300 s before WeCom expiry');
		assert.equal(source.calls, 2);
	});

	it('uses half the lifetime when WeCom hands out a short one', async () => {
		let now = 0;
		const cache = new ExpiringValueCache({ now: () => now });
		const source = counter(['t1', 't2'], 60);
		await cache.get('k', source.fetch);
		now = 29_999;
		assert.equal(await cache.get('k', source.fetch), 't1');
		now = 30_000;
		assert.equal(await cache.get('k', source.fetch), 't2');
	});

	it('invalidates only when the cached value is the one that failed', async () => {
		const cache = new ExpiringValueCache();
		const source = counter(['old', 'new']);
		assert.equal(await cache.get('k', source.fetch), 'old');
		assert.equal(cache.invalidate('k', 'old'), true);
		assert.equal(await cache.get('k', source.fetch), 'new');
		// a slow caller reports the old token failing: the fresh one must survive
		assert.equal(cache.invalidate('k', 'old'), false);
		assert.equal(cache.peek('k'), 'new');
		assert.equal(await cache.get('k', source.fetch), 'new');
		assert.equal(source.calls, 2);
		assert.equal(cache.invalidate('unknown', 'new'), false);
	});

	it('does not cache a failed fetch, and the next caller fetches again', async () => {
		const cache = new ExpiringValueCache();
		let calls = 0;
		const failing = async (): Promise<FetchedValue> => {
			calls += 1;
			throw new Error('gettoken failed');
		};
		const results = await Promise.allSettled(Array.from({ length: 5 }, async () => await cache.get('k', failing)));
		assert.equal(calls, 1, 'concurrent callers share the failing fetch');
		assert.ok(results.every((result) => result.status === 'rejected'));
		assert.equal(await cache.get('k', counter(['ok']).fetch), 'ok');
	});

	it('a synchronous throw in fetch reaches the caller unchanged', async () => {
		const cache = new ExpiringValueCache();
		const boom = new Error('boom');
		await assert.rejects(
			cache.get('k', () => {
				throw boom;
			}),
			(error) => error === boom,
		);
	});
});

describe('ExpiringValueCache: a remembered failure', () => {
	class Refused extends Error {}

	/** A fetch that fails with `Refused` (remembered) or a plain Error (not), counting its calls. */
	function refusing(kind: 'refused' | 'network' = 'refused') {
		let calls = 0;
		return {
			get calls() {
				return calls;
			},
			fetch: async (): Promise<FetchedValue> => {
				calls += 1;
				throw kind === 'refused' ? new Refused(`refused #${calls}`) : new Error(`network #${calls}`);
			},
		};
	}

	function cacheAt(clock: { now: number }, rememberMs = 60_000) {
		return new ExpiringValueCache({
			now: () => clock.now,
			rememberFailureMs: (error) => (error instanceof Refused ? rememberMs : 0),
		});
	}

	it('serves the same error to every caller inside the window, without fetching; after it, fetches once more', async () => {
		const clock = { now: 1_000_000 };
		const cache = cacheAt(clock);
		const source = refusing();
		const concurrent = await Promise.allSettled(Array.from({ length: 10 }, async () => await cache.get('k', source.fetch)));
		const errors = concurrent.map((result) => (result.status === 'rejected' ? (result.reason as Error) : undefined));
		for (let i = 0; i < 10; i++) {
			clock.now += 1000;
			errors.push(await cache.get('k', source.fetch).then(() => undefined, (error: Error) => error));
		}
		assert.equal(source.calls, 1);
		assert.equal(new Set(errors).size, 1, 'one and the same error for all 20 callers');
		assert.equal(errors[0]?.message, 'refused #1');
		assert.equal(cache.failureUntil('k'), 1_000_000 + 60_000);

		clock.now = 1_000_000 + 60_000 - 1;
		await assert.rejects(cache.get('k', source.fetch), /refused #1/);
		clock.now += 1;
		assert.equal(cache.failureUntil('k'), undefined);
		await assert.rejects(cache.get('k', source.fetch), /refused #2/);
		assert.equal(source.calls, 2);
	});

	it('keeps keys apart: another key is fetched at once', async () => {
		const cache = cacheAt({ now: 0 });
		await assert.rejects(cache.get('wrong', refusing().fetch), Refused);
		assert.equal(await cache.get('fixed', counter(['token']).fetch), 'token');
	});

	it('forgets the failure once a fetch after the window succeeds', async () => {
		const clock = { now: 0 };
		const cache = cacheAt(clock, 1000);
		await assert.rejects(cache.get('k', refusing().fetch), Refused);
		clock.now = 1000;
		const source = counter(['token']);
		assert.equal(await cache.get('k', source.fetch), 'token');
		assert.equal(cache.failureUntil('k'), undefined);
		assert.equal(await cache.get('k', source.fetch), 'token');
		assert.equal(source.calls, 1);
	});

	it('does not remember what the policy says not to (a network error)', async () => {
		const cache = cacheAt({ now: 0 });
		const source = refusing('network');
		await assert.rejects(cache.get('k', source.fetch), /network #1/);
		await assert.rejects(cache.get('k', source.fetch), /network #2/);
		assert.equal(cache.failureUntil('k'), undefined);
	});

	it('clear() forgets remembered failures too', async () => {
		const cache = cacheAt({ now: 0 });
		const source = refusing();
		await assert.rejects(cache.get('k', source.fetch), Refused);
		cache.clear();
		await assert.rejects(cache.get('k', source.fetch), /refused #2/);
	});
});

describe('cache keys', () => {
	const secret = randomBytes(20).toString('hex');

	it('never contain the secret', () => {
		const key = accessTokenKey('https://qyapi.weixin.qq.com', 'ww123', secret);
		assert.ok(!key.includes(secret));
		assert.ok(key.includes(sha256Hex(secret)));
		assert.ok(!jsApiTicketKey(key, 'agent').includes(secret));
	});

	it('differ by base URL, corp ID and secret', () => {
		const keys = new Set([
			accessTokenKey('https://qyapi.weixin.qq.com', 'ww1', secret),
			accessTokenKey('https://proxy.example.com', 'ww1', secret),
			accessTokenKey('https://qyapi.weixin.qq.com', 'ww2', secret),
			accessTokenKey('https://qyapi.weixin.qq.com', 'ww1', `${secret}x`),
		]);
		assert.equal(keys.size, 4);
		const tokenKey = accessTokenKey('https://qyapi.weixin.qq.com', 'ww1', secret);
		assert.notEqual(jsApiTicketKey(tokenKey, 'corp'), jsApiTicketKey(tokenKey, 'agent'));
	});
});
