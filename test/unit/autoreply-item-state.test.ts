/**
 * Conversation State "From the Item": the state read from the item (as Redis Get steps give it) and the
 * writes the node lists for Redis steps after it, applied here to a map that behaves as Redis does for
 * Set with expiry, Delete and Increment.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { BusinessHours } from '../../nodes/AutoReply/engine/businessHours';
import {
	handOffWrites,
	itemStateKeys,
	readItemState,
	releaseWrites,
	stateWrites,
	type StatePart,
	type StateWrite,
} from '../../nodes/AutoReply/engine/itemState';
import { compileKeywordRules, type CompiledRules } from '../../nodes/AutoReply/engine/keywordRules';
import { routeMessage, type RouteInput } from '../../nodes/AutoReply/engine/route';

const at = (iso: string) => Date.parse(iso);
const ID = '1000002:zhangsan';
const KEYS = itemStateKeys(ID);

/** Redis as the Redis node uses it: strings, INCR on a missing key starts at 1, expiry in seconds. */
class FakeRedis {
	private readonly values = new Map<string, { value: string; expiresAt?: number }>();

	get(key: string, now: number): string | null {
		const entry = this.values.get(key);
		if (!entry || (entry.expiresAt !== undefined && entry.expiresAt <= now)) return null;
		return entry.value;
	}

	apply(writes: readonly StateWrite[], now: number): void {
		for (const write of writes) {
			if (write.operation === 'delete') this.values.delete(write.key);
			else if (write.operation === 'set') this.values.set(write.key, { value: write.value, expiresAt: now + write.ttl * 1000 });
			else this.values.set(write.key, { value: String(Number(this.get(write.key, now) ?? 0) + 1), expiresAt: now + write.ttl * 1000 });
		}
	}

	/** What three Get steps put in the item's kefuState. */
	read(now: number): Record<StatePart, string | null> {
		return { pause: this.get(KEYS.pause, now), unanswered: this.get(KEYS.unanswered, now), outOfHoursDay: this.get(KEYS.outOfHoursDay, now) };
	}
}

const handOffWords = (() => {
	const result = compileKeywordRules([{ keywords: '人工, 转人工', matchType: 'contains', priority: 0 }]);
	assert.ok(result.ok);
	return result.rules as CompiledRules;
})();
const keywordRules = (() => {
	const result = compileKeywordRules([{ keywords: '价格', matchType: 'contains', priority: 0 }]);
	assert.ok(result.ok);
	return result.rules as CompiledRules;
})();

/** One execution of Route Message in From the Item mode: read, decide, list the writes. */
function routeFromItem(field: unknown, text: string, now: number, extra: Partial<RouteInput> = {}) {
	const needed: StatePart[] = ['pause'];
	if (extra.handOffAfterMisses) needed.push('unanswered');
	if (extra.businessHours) needed.push('outOfHoursDay');
	const read = readItemState(field, now, needed);
	assert.ok(read.ok, read.ok ? '' : read.problem);
	const decision = routeMessage({
		text,
		now,
		conversation: read.conversation,
		handOffWords,
		keywordRules,
		pauseMinutes: 240,
		faqThreshold: 0.4,
		handOffAfterMisses: 0,
		...extra,
	});
	return { decision, writes: stateWrites(ID, read.conversation, decision.conversation, now) };
}

describe('AutoReply state from the item: reading', () => {
	const now = at('2026-11-20T02:00:00Z');

	it('takes a pause key that exists as a pause, whatever time it holds', () => {
		const until = '2026-11-20T06:00:00.000Z';
		assert.deepEqual(readItemState({ pause: until }, now, ['pause']), {
			ok: true,
			conversation: { updatedAt: now, pausedUntil: at(until) },
			known: { pause: true, unanswered: false, outOfHoursDay: false },
		});
		// Another worker's clock a little ahead, or a value written by hand: the key's expiry rules.
		for (const value of ['2026-11-20T01:59:59.000Z', 'yes']) {
			const read = readItemState({ pause: value }, now, ['pause']);
			assert.ok(read.ok && read.conversation?.pausedUntil !== undefined && read.conversation.pausedUntil > now, value);
		}
	});

	it('takes null (no key) as nothing, and a counter Redis gives as a string as a number', () => {
		assert.deepEqual(readItemState({ pause: null, unanswered: null, outOfHoursDay: null }, now, ['pause', 'unanswered', 'outOfHoursDay']), {
			ok: true,
			conversation: undefined,
			known: { pause: true, unanswered: true, outOfHoursDay: true },
		});
		const read = readItemState({ pause: null, unanswered: '2', outOfHoursDay: '2026-11-20' }, now, ['pause']);
		assert.ok(read.ok);
		assert.deepEqual(read.conversation, { updatedAt: now, misses: 2, outOfHoursDay: '2026-11-20' });
	});

	it('refuses an item without a part it needs, rather than taking it as not paused', () => {
		assert.deepEqual(readItemState(undefined, now, ['pause']), { ok: false, problem: 'the item has no kefuState.pause' });
		assert.deepEqual(readItemState({ pause: null }, now, ['pause', 'unanswered']), {
			ok: false,
			problem: 'the item has no kefuState.unanswered',
		});
		assert.equal(readItemState('paused', now, ['pause']).ok, false);
		assert.equal(readItemState({ pause: null, unanswered: 'many' }, now, ['pause']).ok, false);
		// Hand Off and Release need nothing.
		assert.equal(readItemState(undefined, now, []).ok, true);
	});
});

describe('AutoReply state from the item: writes', () => {
	const t0 = at('2026-11-20T02:00:00Z');

	it('a hand-off sets the pause key with the pause as its expiry; the next message is silent; it ends by itself', () => {
		const redis = new FakeRedis();
		const first = routeFromItem(redis.read(t0), '转人工', t0);
		assert.equal(first.decision.route, 'handoff');
		assert.deepEqual(first.writes, [{ operation: 'set', key: 'kefu:ar:pause:1000002:zhangsan', value: '2026-11-20T06:00:00.000Z', ttl: 240 * 60 }]);
		redis.apply(first.writes, t0);
		const during = routeFromItem(redis.read(t0 + 60_000), '在吗', t0 + 60_000);
		assert.deepEqual([during.decision.route, during.decision.reason, during.writes], ['silent', 'withHuman', []]);
		const later = routeFromItem(redis.read(t0 + 240 * 60_000), '价格', t0 + 240 * 60_000);
		assert.equal(later.decision.route, 'keyword');
	});

	it('counts unanswered messages by Increment, hands off at the limit and deletes the count then', () => {
		const redis = new FakeRedis();
		const extra = { handOffAfterMisses: 3 };
		const routes: string[] = [];
		for (let n = 0; n < 3; n++) {
			const now = t0 + n * 1000;
			const { decision, writes } = routeFromItem(redis.read(now), '嗯？', now, extra);
			routes.push(decision.route);
			if (n < 2) assert.deepEqual(writes, [{ operation: 'increment', key: KEYS.unanswered, ttl: 86_400 }]);
			else assert.deepEqual(writes.map((w) => [w.operation, w.key]), [['set', KEYS.pause], ['delete', KEYS.unanswered]]);
			redis.apply(writes, now);
		}
		assert.deepEqual(routes, ['noMatch', 'noMatch', 'handoff']);
		assert.deepEqual(redis.read(t0 + 3000), { pause: '2026-11-20T06:00:02.000Z', unanswered: null, outOfHoursDay: null });
	});

	it('an answer deletes the count, and writes nothing when there was none', () => {
		assert.deepEqual(routeFromItem({ pause: null, unanswered: '1' }, '价格', t0, { handOffAfterMisses: 3 }).writes, [
			{ operation: 'delete', key: KEYS.unanswered },
		]);
		assert.deepEqual(routeFromItem({ pause: null, unanswered: null }, '价格', t0, { handOffAfterMisses: 3 }).writes, []);
	});

	it('marks the out-of-hours reply per local day', () => {
		const hours: BusinessHours = { timezone: 'Asia/Shanghai', days: ['friday'], from: 9 * 60, to: 18 * 60 };
		// Friday 23:00 in Shanghai.
		const night = at('2026-11-20T15:00:00Z');
		const redis = new FakeRedis();
		const first = routeFromItem(redis.read(night), '在吗', night, { businessHours: hours });
		assert.equal(first.decision.route, 'outOfHours');
		assert.deepEqual(first.writes, [{ operation: 'set', key: KEYS.outOfHoursDay, value: '2026-11-20', ttl: 50 * 3600 }]);
		redis.apply(first.writes, night);
		assert.equal(routeFromItem(redis.read(night + 60_000), '在吗', night + 60_000, { businessHours: hours }).decision.route, 'silent');
		// Saturday 01:00 local: another day, the reply goes out again.
		const nextDay = at('2026-11-20T17:00:00Z');
		const again = routeFromItem(redis.read(nextDay), '在吗', nextDay, { businessHours: hours });
		assert.equal(again.decision.route, 'outOfHours');
		assert.equal((again.writes[0] as { value: string }).value, '2026-11-21');
	});

	it('Hand Off and Release write their parts without reading; a pause of 0 minutes is no pause', () => {
		assert.deepEqual(handOffWrites(ID, t0 + 60_000, t0), [
			{ operation: 'set', key: KEYS.pause, value: '2026-11-20T02:01:00.000Z', ttl: 60 },
			{ operation: 'delete', key: KEYS.unanswered },
		]);
		assert.deepEqual(handOffWrites(ID, t0, t0)[0], { operation: 'delete', key: KEYS.pause });
		assert.deepEqual(releaseWrites(ID), [
			{ operation: 'delete', key: KEYS.pause },
			{ operation: 'delete', key: KEYS.unanswered },
		]);
		assert.deepEqual(routeFromItem({ pause: null }, '转人工', t0, { pauseMinutes: 0 }).writes, []);
	});
});

describe('AutoReply state from the item: two executions that overlap', () => {
	const t0 = at('2026-11-20T02:00:00Z');

	it('cannot lose a pause: an unanswered count written after it, in either order, leaves it set', () => {
		for (const order of ['handoff first', 'count first']) {
			const redis = new FakeRedis();
			redis.apply([{ operation: 'increment', key: KEYS.unanswered, ttl: 86_400 }], t0);
			// Both read the same state before either wrote.
			const seen = redis.read(t0);
			const handoff = routeFromItem(seen, '转人工', t0, { handOffAfterMisses: 5 });
			const other = routeFromItem(seen, '嗯？', t0, { handOffAfterMisses: 5 });
			assert.deepEqual([handoff.decision.route, other.decision.route], ['handoff', 'noMatch']);
			const writes = order === 'handoff first' ? [handoff.writes, other.writes] : [other.writes, handoff.writes];
			for (const list of writes) redis.apply(list, t0 + 10);
			const state = redis.read(t0 + 20);
			assert.equal(state.pause, '2026-11-20T06:00:00.000Z', order);
			assert.equal(routeFromItem(state, '价格', t0 + 20, { handOffAfterMisses: 5 }).decision.route, 'silent', order);
		}
	});

	it('counts every unanswered message of executions that overlap (Increment, not a Set of the count)', () => {
		const redis = new FakeRedis();
		const seen = redis.read(t0);
		const runs = [0, 1, 2].map(() => routeFromItem(seen, '嗯？', t0, { handOffAfterMisses: 5 }));
		for (const { writes } of runs) redis.apply(writes, t0);
		assert.equal(redis.read(t0).unanswered, '3');
	});

	it('the window that remains: an execution that read before the hand-off was written answers once', () => {
		const redis = new FakeRedis();
		const seen = redis.read(t0);
		const handoff = routeFromItem(seen, '转人工', t0);
		redis.apply(handoff.writes, t0 + 5);
		// Read before the Set landed: it does not know of the pause.
		assert.equal(routeFromItem(seen, '价格', t0 + 10).decision.route, 'keyword');
		// Read after: silent.
		assert.equal(routeFromItem(redis.read(t0 + 10), '价格', t0 + 10).decision.route, 'silent');
	});
});
