import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { isWithinBusinessHours, localTime, parseTimeOfDay, type BusinessHours } from '../../nodes/AutoReply/engine/businessHours';
import { compileKeywordRules, type CompiledRules } from '../../nodes/AutoReply/engine/keywordRules';
import { release, routeMessage, type RouteInput } from '../../nodes/AutoReply/engine/route';
import {
	AutoReplyState,
	MAX_CONVERSATIONS,
	MAX_PAUSED_CONVERSATIONS,
	reviveState,
	type ConversationState,
} from '../../nodes/AutoReply/engine/state';

const WEEKDAYS_9_TO_18: BusinessHours = {
	timezone: 'Asia/Shanghai',
	days: ['monday', 'tuesday', 'wednesday', 'thursday', 'friday'],
	from: 9 * 60,
	to: 18 * 60,
};

const at = (iso: string) => Date.parse(iso);

describe('business hours', () => {
	it('parses HH:mm', () => {
		assert.equal(parseTimeOfDay('09:00'), 540);
		assert.equal(parseTimeOfDay('9:30'), 570);
		assert.equal(parseTimeOfDay('24:00'), 1440);
		assert.equal(parseTimeOfDay('18:60'), undefined);
		assert.equal(parseTimeOfDay('nine'), undefined);
	});

	it('reads the local day and time in the time zone', () => {
		// 2026-11-20 is a Friday; 17:30 UTC is Saturday 01:30 in Shanghai.
		assert.deepEqual(localTime(at('2026-11-20T17:30:00Z'), 'Asia/Shanghai'), { weekday: 'saturday', minutes: 90, date: '2026-11-21' });
		assert.deepEqual(localTime(at('2026-11-20T17:30:00Z'), 'America/New_York'), { weekday: 'friday', minutes: 750, date: '2026-11-20' });
		assert.equal(localTime(at('2026-11-20T16:00:00Z'), 'Asia/Shanghai').minutes, 0);
	});

	it('is open on business days between from and to, in the time zone given', () => {
		assert.equal(isWithinBusinessHours(WEEKDAYS_9_TO_18, at('2026-11-20T01:00:00Z')), true); // Fri 09:00
		assert.equal(isWithinBusinessHours(WEEKDAYS_9_TO_18, at('2026-11-20T00:59:00Z')), false); // Fri 08:59
		assert.equal(isWithinBusinessHours(WEEKDAYS_9_TO_18, at('2026-11-20T10:00:00Z')), false); // Fri 18:00
		assert.equal(isWithinBusinessHours(WEEKDAYS_9_TO_18, at('2026-11-21T03:00:00Z')), false); // Sat 11:00
		// The same instant is Friday 20:00 in New York: closed there.
		assert.equal(isWithinBusinessHours({ ...WEEKDAYS_9_TO_18, timezone: 'America/New_York' }, at('2026-11-21T01:00:00Z')), false);
	});

	it('runs overnight ranges into the next day, counted to the day they start', () => {
		const night: BusinessHours = { timezone: 'UTC', days: ['friday'], from: 22 * 60, to: 6 * 60 };
		assert.equal(isWithinBusinessHours(night, at('2026-11-20T23:00:00Z')), true); // Fri 23:00
		assert.equal(isWithinBusinessHours(night, at('2026-11-21T05:59:00Z')), true); // Sat 05:59
		assert.equal(isWithinBusinessHours(night, at('2026-11-21T06:00:00Z')), false);
		assert.equal(isWithinBusinessHours(night, at('2026-11-20T05:00:00Z')), false); // Fri 05:00 belongs to Thursday
		assert.equal(isWithinBusinessHours(night, at('2026-11-21T23:00:00Z')), false); // Sat 23:00
		const allDay: BusinessHours = { timezone: 'UTC', days: ['sunday'], from: 0, to: 0 };
		assert.equal(isWithinBusinessHours(allDay, at('2026-11-22T23:59:00Z')), true);
		assert.equal(isWithinBusinessHours(allDay, at('2026-11-23T00:00:00Z')), false);
	});
});

describe('routing state', () => {
	const handOffWords = (() => {
		const result = compileKeywordRules([{ keywords: '人工, 客服, 转人工, 人工客服', matchType: 'contains', priority: 0 }]);
		assert.ok(result.ok);
		return result.rules as CompiledRules;
	})();
	const base = (text: string, now: number, conversation?: ConversationState, extra: Partial<RouteInput> = {}): RouteInput => ({
		text,
		now,
		conversation,
		handOffWords,
		pauseMinutes: 240,
		faqThreshold: 0.7,
		handOffAfterMisses: 0,
		...extra,
	});

	it('pauses after a hand-off word until the pause expires', () => {
		const t0 = at('2026-11-20T02:00:00Z');
		const handed = routeMessage(base('转 人 工', t0));
		assert.equal(handed.route, 'handoff');
		assert.equal(handed.pausedUntil, t0 + 240 * 60_000);
		const during = routeMessage(base('在吗', t0 + 60_000, handed.conversation));
		assert.deepEqual([during.route, during.reason, during.conversation], ['silent', 'withHuman', undefined]);
		const after = routeMessage(base('在吗', t0 + 240 * 60_000, handed.conversation));
		assert.equal(after.route, 'noMatch');
	});

	it('answers again after a release', () => {
		const t0 = at('2026-11-20T02:00:00Z');
		const handed = routeMessage(base('人工客服', t0));
		const released = release(handed.conversation, t0 + 1000);
		assert.equal(released.pausedUntil, undefined);
		assert.equal(routeMessage(base('在吗', t0 + 2000, released)).route, 'noMatch');
	});

	it('routes out of hours once per conversation per local day, then silent', () => {
		const input = (now: number, conversation?: ConversationState) => base('在吗', now, conversation, { businessHours: WEEKDAYS_9_TO_18 });
		const friday2000 = at('2026-11-20T12:00:00Z');
		const first = routeMessage(input(friday2000));
		assert.equal(first.route, 'outOfHours');
		assert.equal(first.conversation?.outOfHoursDay, '2026-11-20');
		const second = routeMessage(input(friday2000 + 3_600_000, first.conversation));
		assert.deepEqual([second.route, second.reason], ['silent', 'outOfHoursAlreadyReplied']);
		// 00:30 Saturday in Shanghai is a new local day.
		const nextDay = routeMessage(input(at('2026-11-20T16:30:00Z'), first.conversation));
		assert.equal(nextDay.route, 'outOfHours');
		// Back in hours, the pipeline answers.
		assert.equal(routeMessage(input(at('2026-11-23T02:00:00Z'), first.conversation)).route, 'noMatch');
		// Out of hours nobody can take a hand-off: the out-of-hours reply replaces it, once that day.
		assert.equal(routeMessage(base('人工', friday2000, undefined, { businessHours: WEEKDAYS_9_TO_18 })).route, 'outOfHours');
		assert.equal(routeMessage(base('人工', friday2000, first.conversation, { businessHours: WEEKDAYS_9_TO_18 })).route, 'silent');
		// A conversation already with a human stays silent, in hours or not.
		const paused = { updatedAt: friday2000, pausedUntil: friday2000 + 3_600_000 };
		assert.deepEqual(
			[routeMessage(base('在吗', friday2000, paused, { businessHours: WEEKDAYS_9_TO_18 })).reason],
			['withHuman'],
		);
	});

	it('hands off after N unanswered messages in a row when asked to', () => {
		const t0 = at('2026-11-20T02:00:00Z');
		const one = routeMessage(base('asdf', t0, undefined, { handOffAfterMisses: 2 }));
		assert.deepEqual([one.route, one.conversation?.misses], ['noMatch', 1]);
		const two = routeMessage(base('qwer', t0 + 1, one.conversation, { handOffAfterMisses: 2 }));
		assert.deepEqual([two.route, two.reason, two.conversation?.misses], ['handoff', 'unanswered', undefined]);
	});

	it('drops what expired: pauses that ended, unanswered counts after a day, old out-of-hours marks', () => {
		const now = at('2026-11-20T02:00:00Z');
		const state = reviveState(
			{
				conversations: {
					expired: { pausedUntil: now - 1, updatedAt: now - 5 * 3_600_000 },
					paused: { pausedUntil: now + 1, updatedAt: now - 1 },
					oldDay: { outOfHoursDay: '2026-11-17', updatedAt: now - 3 * 86_400_000 },
					misses: { misses: 2, updatedAt: now - 3_600_000 },
					junk: 'x',
				},
			},
			now,
		);
		assert.ok(state);
		assert.deepEqual(Object.keys(state.toJSON().conversations).sort(), ['misses', 'paused']);
		assert.equal(state.get('misses', now)?.misses, 2);
		// A day of silence later the count is gone when read, before any sweep.
		assert.equal(state.get('misses', now + 86_400_000), undefined);
		assert.equal(reviveState('nonsense'), undefined);
	});

	/** `count` conversations of one kind, written one ms apart from `from` on. */
	function fill(kind: 'paused' | 'misses' | 'outOfHours', prefix: string, count: number, from: number, now: number): Array<[string, ConversationState]> {
		return Array.from({ length: count }, (_, i): [string, ConversationState] => {
			const updatedAt = from + i;
			const conversation: ConversationState =
				kind === 'paused' ? { pausedUntil: now + 3_600_000, updatedAt } : kind === 'misses' ? { misses: 1, updatedAt } : { outOfHoursDay: '2026-11-20', updatedAt };
			return [`${prefix}${i}`, conversation];
		});
	}

	it('at the cap, an older live pause outlives 5,000 newer unanswered marks', () => {
		const now = at('2026-11-20T02:00:00Z');
		const state = new AutoReplyState(
			[['withHuman', { pausedUntil: now + 3_600_000, updatedAt: now - 7_200_000 }], ...fill('misses', 'miss', MAX_CONVERSATIONS, now - 3_600_000, now)],
			now,
		);
		const evicted = state.set('new', { misses: 1, updatedAt: now }, now);
		assert.equal(state.size, MAX_CONVERSATIONS);
		assert.ok(state.get('withHuman', now)?.pausedUntil);
		assert.equal(state.get('miss0', now), undefined);
		assert.equal(state.get('miss1', now), undefined);
		assert.deepEqual(evicted, { outOfHours: 0, misses: 2, paused: 0 });
	});

	it('evicts out-of-hours marks, then unanswered counts, then pauses; oldest first within each', () => {
		const now = at('2026-11-20T02:00:00Z');
		// Written oldest first: pauses, then unanswered counts, then out-of-hours marks.
		const state = new AutoReplyState(
			[...fill('paused', 'p', 2, now - 30_000, now), ...fill('misses', 'm', 3, now - 20_000, now), ...fill('outOfHours', 'o', MAX_CONVERSATIONS - 5, now - 10_000, now)],
			now,
		);
		const ids = () => new Set(Object.keys(state.toJSON().conversations));
		state.set('n0', { misses: 1, updatedAt: now }, now);
		assert.ok(!ids().has('o0') && ids().has('o1') && ids().has('m0') && ids().has('p0'));
		for (let i = 1; i < MAX_CONVERSATIONS - 5; i++) state.set(`n${i}`, { pausedUntil: now + 3_600_000, updatedAt: now }, now);
		assert.equal([...ids()].filter((id) => id.startsWith('o')).length, 0, 'every out-of-hours mark went first');
		assert.deepEqual([...ids()].filter((id) => /^[mp]/.test(id)).sort(), ['m0', 'm1', 'm2', 'p0', 'p1']);
		const evicted = state.set('more', { pausedUntil: now + 3_600_000, updatedAt: now }, now);
		assert.deepEqual(evicted, { outOfHours: 0, misses: 1, paused: 0 });
		assert.ok(!ids().has('m0') && ids().has('m1'));
	});

	it('keeps live pauses beyond the cap up to their own cap, then reports the oldest it loses', () => {
		const now = at('2026-11-20T02:00:00Z');
		const state = new AutoReplyState(fill('paused', 'p', MAX_PAUSED_CONVERSATIONS, now - 100_000, now), now);
		assert.equal(state.size, MAX_PAUSED_CONVERSATIONS);
		const evicted = state.set('one more', { pausedUntil: now + 3_600_000, updatedAt: now }, now);
		assert.deepEqual(evicted, { outOfHours: 0, misses: 0, paused: 1 });
		assert.equal(state.get('p0', now), undefined);
		assert.ok(state.get('p1', now) && state.get('one more', now));
		// A pause that ended costs nothing to lose and is not reported.
		const later = now + 2 * 3_600_000;
		assert.deepEqual(state.set('after', { pausedUntil: later + 3_600_000, updatedAt: later }, later), { outOfHours: 0, misses: 0, paused: 0 });
		assert.equal(state.size, 1);
	});

	it('stores the shape older versions stored and revives it', () => {
		const now = at('2026-11-20T02:00:00Z');
		const state = new AutoReplyState([], now);
		state.set('a', { pausedUntil: now + 60_000, updatedAt: now }, now);
		state.set('b', { misses: 2, outOfHoursDay: '2026-11-20', updatedAt: now }, now);
		const stored = JSON.parse(JSON.stringify(state)) as unknown;
		assert.deepEqual(stored, {
			conversations: { a: { pausedUntil: now + 60_000, updatedAt: now }, b: { misses: 2, outOfHoursDay: '2026-11-20', updatedAt: now } },
		});
		assert.deepEqual(reviveState(stored, now)?.toJSON(), stored);
	});
});
