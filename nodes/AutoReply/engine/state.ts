/**
 * What the AutoReply node remembers per conversation between executions (kept in the workflow's
 * static data through nodes/shared/workflowState.ts): the hand-off pause, the count of unanswered
 * messages in a row, and the local day the out-of-hours reply went out. Times are ms since the
 * epoch. Entries that no longer change anything are dropped on every write, and the oldest go
 * first beyond MAX_CONVERSATIONS, so the static data n8n saves stays small.
 */

export const STATE_NAMESPACE = 'kefuAutoReply';

export interface ConversationState {
	/** The conversation is with a human until then. */
	pausedUntil?: number;
	/** Messages in a row that neither a keyword rule nor the FAQ answered. */
	misses?: number;
	/** Local day (YYYY-MM-DD, business-hours time zone) the out-of-hours reply was routed. */
	outOfHoursDay?: string;
	updatedAt: number;
}

export interface AutoReplyState {
	conversations: Record<string, ConversationState>;
}

/** Most conversations kept; a busy shop has fewer paused or out-of-hours conversations at once. */
export const MAX_CONVERSATIONS = 5000;
/** An out-of-hours mark older than this is past its local day in every time zone. */
const OUT_OF_HOURS_KEEP_MS = 50 * 60 * 60 * 1000;
/** A run of unanswered messages is forgotten after a day of silence. */
const MISSES_KEEP_MS = 24 * 60 * 60 * 1000;

export function emptyState(): AutoReplyState {
	return { conversations: {} };
}

/** Checks what was loaded from n8n's database (another version may have written it). */
export function reviveState(stored: unknown): AutoReplyState | undefined {
	if (typeof stored !== 'object' || stored === null) return undefined;
	const conversations = (stored as { conversations?: unknown }).conversations;
	if (typeof conversations !== 'object' || conversations === null) return undefined;
	const state = emptyState();
	for (const [id, value] of Object.entries(conversations as Record<string, unknown>)) {
		if (typeof value !== 'object' || value === null) continue;
		const entry = value as Record<string, unknown>;
		const conversation: ConversationState = { updatedAt: Number(entry.updatedAt) || 0 };
		if (typeof entry.pausedUntil === 'number') conversation.pausedUntil = entry.pausedUntil;
		if (typeof entry.misses === 'number' && entry.misses > 0) conversation.misses = entry.misses;
		if (typeof entry.outOfHoursDay === 'string') conversation.outOfHoursDay = entry.outOfHoursDay;
		state.conversations[id] = conversation;
	}
	return state;
}

/** Whether the conversation is with a human at `now`. */
export function pausedUntil(conversation: ConversationState | undefined, now: number): number | undefined {
	return conversation?.pausedUntil !== undefined && conversation.pausedUntil > now ? conversation.pausedUntil : undefined;
}

/** Drops what no longer matters at `now`, then the least recently updated beyond the cap. */
export function pruneState(state: AutoReplyState, now: number, max = MAX_CONVERSATIONS): AutoReplyState {
	const kept: Array<[string, ConversationState]> = [];
	for (const [id, conversation] of Object.entries(state.conversations)) {
		const entry: ConversationState = { updatedAt: conversation.updatedAt };
		if (pausedUntil(conversation, now) !== undefined) entry.pausedUntil = conversation.pausedUntil;
		if (conversation.misses && now - conversation.updatedAt < MISSES_KEEP_MS) entry.misses = conversation.misses;
		if (conversation.outOfHoursDay && now - conversation.updatedAt < OUT_OF_HOURS_KEEP_MS) {
			entry.outOfHoursDay = conversation.outOfHoursDay;
		}
		if (entry.pausedUntil !== undefined || entry.misses !== undefined || entry.outOfHoursDay !== undefined) {
			kept.push([id, entry]);
		}
	}
	if (kept.length > max) {
		kept.sort((a, b) => b[1].updatedAt - a[1].updatedAt);
		kept.length = max;
	}
	return { conversations: Object.fromEntries(kept) };
}
