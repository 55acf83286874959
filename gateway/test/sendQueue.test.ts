import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RateLimited, SendQueue } from '../src/sendQueue';

test('sends run one at a time, spaced by at least the interval (clock mocked)', async () => {
	let now = 0;
	const slept: number[] = [];
	const queue = new SendQueue({ minIntervalMs: 1000, jitterMs: 500, hourlyCap: 10, now: () => now, sleep: async (ms) => { slept.push(ms); now += ms; } });
	const starts: number[] = [];
	await Promise.all([1, 2, 3].map(() => queue.run(async () => { starts.push(now); })));
	assert.equal(starts.length, 3);
	for (let i = 1; i < starts.length; i++) {
		const gap = starts[i] - starts[i - 1];
		assert.ok(gap >= 1000 && gap <= 1500, `gap ${gap}`);
	}
});

test('hourly cap: the next send is refused with the seconds until the oldest leaves the hour', async () => {
	let now = 0;
	const queue = new SendQueue({ minIntervalMs: 0, jitterMs: 0, hourlyCap: 2, now: () => now, sleep: async () => {} });
	await queue.run(async () => {});
	now = 600_000;
	await queue.run(async () => {});
	await assert.rejects(queue.run(async () => {}), (e: unknown) => e instanceof RateLimited && e.retryAfterSeconds === 3000);
	now = 3_600_001;
	await queue.run(async () => {});
	assert.equal(queue.usedThisHour, 2);
});

test('a failed send does not stop the queue', async () => {
	const queue = new SendQueue({ minIntervalMs: 0, jitterMs: 0, hourlyCap: 10 });
	await assert.rejects(queue.run(async () => { throw new Error('boom'); }));
	assert.equal(await queue.run(async () => 'ok'), 'ok');
});
