import type { ConversationState } from './state';

/**
 * Conversation State "From the Item" (queue mode, docs/queue-mode.md): the state lives in a store every
 * n8n process sees (Redis, through n8n's own Redis node), not in this process's memory. Steps before the
 * node read it into the item's `kefuState`; the node decides, keeps nothing, and lists in
 * `autoReply.stateWrites` what steps after it must write.
 *
 * One key per part of the state, so that executions that overlap never undo each other's parts: a pause
 * is only ever set (hand-off) or deleted (release), never rewritten by a count or a mark; the count is
 * an increment, which adds up across workers whatever the order.
 */

/** The package's own prefix in the shared Redis (n8n's queue uses `bull:`). */
export const ITEM_STATE_PREFIX = 'kefu:ar:';

/** The field of the incoming item the node reads the state from. */
export const ITEM_STATE_FIELD = 'kefuState';

/** A run of unanswered messages is forgotten after a day of silence (as in the process's state). */
export const UNANSWERED_TTL_SECONDS = 24 * 60 * 60;
/** An out-of-hours mark outlives its local day in every time zone. */
export const OUT_OF_HOURS_TTL_SECONDS = 50 * 60 * 60;

export type StatePart = 'pause' | 'unanswered' | 'outOfHoursDay';

export function itemStateKeys(conversationId: string): Record<StatePart, string> {
	return {
		pause: `${ITEM_STATE_PREFIX}pause:${conversationId}`,
		unanswered: `${ITEM_STATE_PREFIX}unanswered:${conversationId}`,
		outOfHoursDay: `${ITEM_STATE_PREFIX}ooh:${conversationId}`,
	};
}

/** One write for the steps after the node: n8n's Redis node operations Set, Delete and Increment. */
export type StateWrite =
	| { operation: 'set'; key: string; value: string; ttl: number }
	| { operation: 'delete'; key: string }
	| { operation: 'increment'; key: string; ttl: number };

export type ReadItemState =
	| { ok: true; conversation: ConversationState | undefined; known: Record<StatePart, boolean> }
	| { ok: false; problem: string };

/** Redis answers a missing key with null, and a counter as a string. */
const absent = (value: unknown) => value === null || value === undefined || value === '';

/**
 * The conversation as the item says it stands at `now`. `needed` are the parts this routing reads: one
 * that the item does not carry at all (not even as null) means a Get step is missing, and is refused
 * rather than taken as "not paused".
 */
export function readItemState(field: unknown, now: number, needed: readonly StatePart[]): ReadItemState {
	if (field !== undefined && (typeof field !== 'object' || field === null || Array.isArray(field))) {
		return { ok: false, problem: `"${ITEM_STATE_FIELD}" is not an object` };
	}
	const stored = (field ?? {}) as Record<string, unknown>;
	const missing = needed.filter((part) => !Object.hasOwn(stored, part));
	if (missing.length > 0) {
		return { ok: false, problem: `the item has no ${missing.map((part) => `${ITEM_STATE_FIELD}.${part}`).join(', ')}` };
	}
	const known = { pause: false, unanswered: false, outOfHoursDay: false };
	const conversation: ConversationState = { updatedAt: now };
	if (Object.hasOwn(stored, 'pause')) {
		known.pause = true;
		if (!absent(stored.pause)) {
			// The key's expiry is the pause: while it exists the conversation is with a human, whatever the
			// clock of the process that wrote the time in it said.
			const until = Date.parse(String(stored.pause));
			conversation.pausedUntil = Number.isFinite(until) && until > now ? until : now + 1000;
		}
	}
	if (Object.hasOwn(stored, 'unanswered')) {
		known.unanswered = true;
		const misses = Number(stored.unanswered);
		if (!absent(stored.unanswered)) {
			if (!Number.isInteger(misses) || misses < 0) return { ok: false, problem: `${ITEM_STATE_FIELD}.unanswered is not a count` };
			if (misses > 0) conversation.misses = misses;
		}
	}
	if (Object.hasOwn(stored, 'outOfHoursDay')) {
		known.outOfHoursDay = true;
		if (!absent(stored.outOfHoursDay)) conversation.outOfHoursDay = String(stored.outOfHoursDay);
	}
	const empty = conversation.pausedUntil === undefined && conversation.misses === undefined && conversation.outOfHoursDay === undefined;
	return { ok: true, conversation: empty ? undefined : conversation, known };
}

/** The pause as a key that expires when it ends; its value says until when, for people reading Redis. */
function pauseWrite(key: string, pausedUntil: number, now: number): StateWrite {
	return { operation: 'set', key, value: new Date(pausedUntil).toISOString(), ttl: Math.max(1, Math.ceil((pausedUntil - now) / 1000)) };
}

/**
 * What to write so that the store says `after` where it said `before` (a route's decision, a hand-off,
 * a release). Parts that did not change are not written, so an overlapping execution's write of them
 * stands.
 */
export function stateWrites(
	conversationId: string,
	before: ConversationState | undefined,
	after: ConversationState | undefined,
	now: number,
): StateWrite[] {
	if (!after) return [];
	const keys = itemStateKeys(conversationId);
	const writes: StateWrite[] = [];
	// A pause of 0 minutes ends at once: nothing to keep.
	const paused = after.pausedUntil !== undefined && after.pausedUntil > now;
	if (paused && after.pausedUntil !== before?.pausedUntil) {
		writes.push(pauseWrite(keys.pause, after.pausedUntil!, now));
	} else if (!paused && before?.pausedUntil !== undefined) {
		writes.push({ operation: 'delete', key: keys.pause });
	}
	const misses = { before: before?.misses ?? 0, after: after.misses ?? 0 };
	if (misses.after > misses.before) {
		// An increment, not a Set of the new count: two executions that overlap both count.
		writes.push({ operation: 'increment', key: keys.unanswered, ttl: UNANSWERED_TTL_SECONDS });
	} else if (misses.after === 0 && misses.before > 0) {
		writes.push({ operation: 'delete', key: keys.unanswered });
	}
	if (after.outOfHoursDay !== undefined && after.outOfHoursDay !== before?.outOfHoursDay) {
		writes.push({ operation: 'set', key: keys.outOfHoursDay, value: after.outOfHoursDay, ttl: OUT_OF_HOURS_TTL_SECONDS });
	}
	return writes;
}

/**
 * Hand Off and Release act without reading the state (an agent's own flow need not read Redis first):
 * they write their part whatever it was.
 */
export function handOffWrites(conversationId: string, pausedUntil: number, now: number): StateWrite[] {
	const keys = itemStateKeys(conversationId);
	return [
		pausedUntil > now ? pauseWrite(keys.pause, pausedUntil, now) : { operation: 'delete', key: keys.pause },
		{ operation: 'delete', key: keys.unanswered },
	];
}

export function releaseWrites(conversationId: string): StateWrite[] {
	const keys = itemStateKeys(conversationId);
	return [
		{ operation: 'delete', key: keys.pause },
		{ operation: 'delete', key: keys.unanswered },
	];
}
