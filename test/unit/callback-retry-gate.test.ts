/** The WeCom Trigger's retry memory: which delivery of a callback runs, and what its retries are answered. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { callbackDedupeKey, RETRY_MEMORY_KEYS, RETRY_MEMORY_SECONDS, RETRY_WAIT_MS } from '../../nodes/WeCom/callback/dedupe';
import { RecentKeys, RetryGate, type CallbackAnswer, type RetryGateOptions } from '../../nodes/common/retryGate';

/**
 * A callback's HTTP response as Node and Express treat it: n8n's answer ends it (finish, then close while the
 * client is connected); a client that hangs up closes it, and an end after that emits nothing.
 */
function answer(): CallbackAnswer & { finish(status: number): void; hangUp(): void; closed: boolean } {
	const listeners: Record<string, Array<() => void>> = {};
	const emit = (event: string) => {
		for (const listener of listeners[event]?.splice(0) ?? []) listener();
	};
	const res = {
		statusCode: 200,
		closed: false,
		end() {
			if (res.closed) return res;
			res.closed = true;
			emit('close');
			return res;
		},
		once(event: 'close', listener: () => void) {
			(listeners[event] ??= []).push(listener);
			return res;
		},
		/** n8n answers: the execution was stored (2xx) or not. */
		finish(status: number) {
			res.statusCode = status;
			res.end();
		},
		/** WeCom gives up after 5 s and closes the connection. */
		hangUp() {
			if (res.closed) return;
			res.closed = true;
			emit('close');
		},
	};
	return res;
}

/** A sleep the test ends when it likes (timeUp), as n8n-workflow's does when its signal aborts. */
function controlledSleep() {
	const waits: Array<() => void> = [];
	const sleep = async (_ms: number, signal: AbortSignal) =>
		await new Promise<void>((resolve, reject) => {
			waits.push(resolve);
			signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true });
		});
	return { sleep, timeUp: () => waits.splice(0).forEach((resolve) => resolve()) };
}

const newGate = (options: Partial<RetryGateOptions> = {}) =>
	new RetryGate({
		sleep: controlledSleep().sleep,
		recent: new RecentKeys(RETRY_MEMORY_KEYS, RETRY_MEMORY_SECONDS * 1000),
		retryWaitMs: RETRY_WAIT_MS,
		...options,
	});

describe('RetryGate', () => {
	it('runs the first delivery; a retry gets "pending" until n8n answered it, then "duplicate"', () => {
		const gate = newGate();
		const first = answer();
		assert.equal(gate.admit('k', first), 'run');
		assert.equal(gate.admit('k', answer()), 'pending');
		first.finish(200);
		assert.equal(gate.admit('k', answer()), 'duplicate');
		assert.equal(gate.admit('other', answer()), 'run');
	});

	it('runs a retry again when n8n answered the first delivery with an error', () => {
		const gate = newGate();
		const first = answer();
		gate.admit('k', first);
		first.finish(500);
		assert.equal(gate.admit('k', answer()), 'run');
	});

	it('keeps the first delivery pending after WeCom hung up, until n8n answers it', () => {
		const gate = newGate();
		const stored = answer();
		gate.admit('stored', stored);
		stored.hangUp();
		assert.equal(gate.admit('stored', answer()), 'pending', 'the outcome is not known yet');
		stored.finish(200);
		assert.equal(gate.admit('stored', answer()), 'duplicate');

		const failed = answer();
		gate.admit('failed', failed);
		failed.hangUp();
		failed.finish(500);
		assert.equal(gate.admit('failed', answer()), 'run', 'n8n did not store it: the retry runs');
	});

	it('a retry waits for n8n\'s answer to the first delivery and gets its verdict', async () => {
		const gate = newGate();
		const first = answer();
		gate.admit('stored', first);
		const waiting = gate.admitRetry('stored', answer());
		first.finish(200);
		assert.equal(await waiting, 'duplicate');

		const failing = answer();
		gate.admit('failed', failing);
		failing.hangUp();
		const retry = answer();
		const runs = gate.admitRetry('failed', retry);
		const later = gate.admitRetry('failed', answer());
		failing.finish(500);
		assert.equal(await runs, 'run', 'the first retry to learn of the failure runs');
		retry.finish(200);
		assert.equal(await later, 'duplicate', 'the other waited for that run to be stored');
	});

	it('a retry stops waiting when its own connection closes, or after the wait, and gets "pending" (503)', async () => {
		const { sleep, timeUp } = controlledSleep();
		const gate = newGate({ sleep });
		gate.admit('k', answer());
		const retry = answer();
		const hungUp = gate.admitRetry('k', retry);
		retry.hangUp();
		assert.equal(await hungUp, 'pending');
		const waited = gate.admitRetry('k', answer());
		timeUp();
		assert.equal(await waited, 'pending');
	});

	it('takes a first delivery n8n never answered as stored after the pending limit', () => {
		let now = 0;
		const gate = newGate({ recent: new RecentKeys(10, 3_600_000, () => now), now: () => now, pendingLimitMs: 1_000 });
		gate.admit('k', answer());
		now = 999;
		assert.equal(gate.admit('k', answer()), 'pending');
		now = 1_000;
		assert.equal(gate.admit('k', answer()), 'duplicate');
	});

	it('forgets a callback after the retry memory\'s age', () => {
		let now = 0;
		const gate = newGate({ recent: new RecentKeys(10, 1_000, () => now), now: () => now });
		const first = answer();
		gate.admit('k', first);
		first.finish(200);
		now = 999;
		assert.equal(gate.admit('k', answer()), 'duplicate');
		now = 2_000;
		assert.equal(gate.admit('k', answer()), 'run');
	});
});

describe('RecentKeys', () => {
	it('keeps at most maxKeys, the oldest going first', () => {
		const keys = new RecentKeys(2, 60_000);
		for (const key of ['a', 'b', 'c']) keys.checkAndRemember(key);
		assert.equal(keys.size, 2);
		assert.equal(keys.checkAndRemember('c'), true);
		assert.equal(keys.checkAndRemember('a'), false, 'a was evicted');
	});
});

describe('callbackDedupeKey', () => {
	it('keys messages by MsgId and events by their whole payload', () => {
		assert.equal(callbackDedupeKey({ MsgId: '123' }, '<xml>a</xml>'), 'msg:123');
		const a = callbackDedupeKey({ Event: 'enter_agent' }, '<xml><FromUserName>a</FromUserName></xml>');
		const b = callbackDedupeKey({ Event: 'enter_agent' }, '<xml><FromUserName>b</FromUserName></xml>');
		assert.match(a, /^payload:/);
		assert.notEqual(a, b);
	});
});
