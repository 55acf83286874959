/** The WeCom Trigger's retry memory: which delivery of a callback runs, and what its retries are answered. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { callbackDedupeKey, RecentKeys, RetryGate, type CallbackAnswer } from '../../nodes/WeCom/callback/dedupe';

/** n8n's answer to a first delivery, which the test sends (finish) or loses (close) when it likes. */
function answer(): CallbackAnswer & { finish(status: number): void; close(): void } {
	const listeners: Record<string, Array<() => void>> = {};
	const emit = (event: string) => {
		for (const listener of listeners[event]?.splice(0) ?? []) listener();
	};
	const res = {
		statusCode: 200,
		once(event: 'finish' | 'close', listener: () => void) {
			(listeners[event] ??= []).push(listener);
			return res;
		},
		finish(status: number) {
			res.statusCode = status;
			emit('finish');
			emit('close');
		},
		close() {
			emit('close');
		},
	};
	return res;
}

describe('RetryGate', () => {
	it('runs the first delivery, answers retries 503 until n8n answered it, then acknowledges them', () => {
		const gate = new RetryGate();
		const first = answer();
		assert.equal(gate.admit('k', first), 'run');
		assert.equal(gate.admit('k', answer()), 'pending');
		first.finish(200);
		assert.equal(gate.admit('k', answer()), 'duplicate');
		assert.equal(gate.admit('other', answer()), 'run');
	});

	it('runs a retry again when n8n answered the first delivery with an error', () => {
		const gate = new RetryGate();
		const first = answer();
		gate.admit('k', first);
		first.finish(500);
		assert.equal(gate.admit('k', answer()), 'run');
	});

	it('acknowledges a retry when WeCom closed the first connection before any answer', () => {
		const gate = new RetryGate();
		const first = answer();
		gate.admit('k', first);
		first.close();
		assert.equal(gate.admit('k', answer()), 'duplicate');
	});

	it('forgets a callback after the retry memory\'s age', () => {
		let now = 0;
		const gate = new RetryGate(new RecentKeys(10, 1_000, () => now));
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
