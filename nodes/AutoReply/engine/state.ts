/**
 * What the AutoReply node remembers per conversation between executions: the hand-off pause, the
 * count of unanswered messages in a row, and the local day the out-of-hours reply went out. Times
 * are ms since the epoch. It lives in the workflow's static data (docs/state.md), which n8n saves
 * whole at the end of every execution, so it is bounded: at most MAX_CONVERSATIONS, and what costs
 * least to lose goes first (see KINDS).
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

/** The state as n8n stores it (the same shape since the first version). */
export interface StoredAutoReplyState {
	conversations: Record<string, ConversationState>;
}

/** Most conversations kept; a busy shop has fewer paused or out-of-hours conversations at once. */
export const MAX_CONVERSATIONS = 5000;
/**
 * Live hand-off pauses are kept beyond MAX_CONVERSATIONS, up to this many: forgetting one makes the
 * bot talk over a human agent, the worst loss. Not unbounded, because n8n writes the whole static
 * data to its database after every execution (~120 bytes a conversation: 1.2 MB at this cap). A
 * pause lost beyond it is reported (`set` returns it; the node shows a warning and logs it).
 */
export const MAX_PAUSED_CONVERSATIONS = 2 * MAX_CONVERSATIONS;
/** An out-of-hours mark older than this is past its local day in every time zone. */
const OUT_OF_HOURS_KEEP_MS = 50 * 60 * 60 * 1000;
/** A run of unanswered messages is forgotten after a day of silence. */
const MISSES_KEEP_MS = 24 * 60 * 60 * 1000;
/** How often expired entries are swept out (on a write): often enough to keep the saved data small. */
const SWEEP_EVERY_MS = 60 * 1000;

/**
 * What a conversation's entry is worth, cheapest first: the order of eviction beyond the cap,
 * oldest first within a kind. An entry counts as its most valuable live part.
 * - outOfHours: losing the mark sends the out-of-hours reply a second time that local day;
 * - misses: losing the count hands an unanswered customer to a human a few messages later;
 * - paused: losing the pause makes the bot answer while a human has the conversation.
 */
export const KINDS = ['outOfHours', 'misses', 'paused'] as const;
export type ConversationKind = (typeof KINDS)[number];

/** Live entries evicted by one write, per kind (expired ones cost nothing and are not counted). */
export type Evicted = Record<ConversationKind, number>;

/** Whether the conversation is with a human at `now`. */
export function pausedUntil(conversation: ConversationState | undefined, now: number): number | undefined {
	return conversation?.pausedUntil !== undefined && conversation.pausedUntil > now ? conversation.pausedUntil : undefined;
}

/** The parts of `conversation` that still matter at `now`; undefined when none does. */
function liveParts(conversation: ConversationState, now: number): ConversationState | undefined {
	const live: ConversationState = { updatedAt: conversation.updatedAt };
	if (pausedUntil(conversation, now) !== undefined) live.pausedUntil = conversation.pausedUntil;
	if (conversation.misses && now - conversation.updatedAt < MISSES_KEEP_MS) live.misses = conversation.misses;
	if (conversation.outOfHoursDay && now - conversation.updatedAt < OUT_OF_HOURS_KEEP_MS) {
		live.outOfHoursDay = conversation.outOfHoursDay;
	}
	return live.pausedUntil !== undefined || live.misses !== undefined || live.outOfHoursDay !== undefined ? live : undefined;
}

function kindOf(live: ConversationState): ConversationKind {
	return live.pausedUntil !== undefined ? 'paused' : live.misses !== undefined ? 'misses' : 'outOfHours';
}

/**
 * The conversations, one map per kind in the order they were written (a write moves the
 * conversation to the end), so a write and an eviction cost O(1) at any size: no whole-state copy,
 * sort or rebuild per message. Expired entries are swept at most once a minute.
 */
export class AutoReplyState {
	private readonly byKind: Record<ConversationKind, Map<string, ConversationState>> = {
		outOfHours: new Map(),
		misses: new Map(),
		paused: new Map(),
	};

	private nextSweepAt = 0;

	/** From stored conversations (any order, expired ones dropped). */
	constructor(conversations: Iterable<[string, ConversationState]> = [], now = Date.now()) {
		this.rebuild(conversations, now);
	}

	get size(): number {
		return this.byKind.outOfHours.size + this.byKind.misses.size + this.byKind.paused.size;
	}

	/** The conversation as it stands at `now` (parts that expired left out). */
	get(id: string, now: number): ConversationState | undefined {
		for (const kind of KINDS) {
			const stored = this.byKind[kind].get(id);
			if (stored) return liveParts(stored, now);
		}
		return undefined;
	}

	/**
	 * Writes the conversation's new state (dropped when nothing of it matters any more) and evicts
	 * beyond the caps; returns what was lost that still mattered.
	 */
	set(id: string, conversation: ConversationState, now: number): Evicted {
		for (const kind of KINDS) this.byKind[kind].delete(id);
		this.insert(id, conversation, now);
		if (now >= this.nextSweepAt) this.rebuild(this.entries(), now);
		return this.evict(now);
	}

	/**
	 * What n8n stores, as a copy that shares no object with this state (JSON.stringify calls it,
	 * and it is the snapshot n8n is handed; a third of the cost of a JSON round trip).
	 */
	toJSON(): StoredAutoReplyState {
		const conversations: Record<string, ConversationState> = {};
		for (const [id, conversation] of this.entries()) conversations[id] = { ...conversation };
		return { conversations };
	}

	private *entries(): Generator<[string, ConversationState]> {
		for (const kind of KINDS) yield* this.byKind[kind];
	}

	private insert(id: string, conversation: ConversationState, now: number): void {
		const live = liveParts(conversation, now);
		if (live) this.byKind[kindOf(live)].set(id, live);
	}

	/** Drops what expired, puts every entry under its kind now, oldest first. */
	private rebuild(conversations: Iterable<[string, ConversationState]>, now: number): void {
		const all = [...conversations].sort((a, b) => a[1].updatedAt - b[1].updatedAt);
		for (const kind of KINDS) this.byKind[kind].clear();
		for (const [id, conversation] of all) this.insert(id, conversation, now);
		this.nextSweepAt = now + SWEEP_EVERY_MS;
	}

	/**
	 * Beyond MAX_CONVERSATIONS the oldest entry of the cheapest kind goes; live pauses go only
	 * beyond MAX_PAUSED_CONVERSATIONS, because a forgotten pause makes the bot talk over a human.
	 */
	private evict(now: number): Evicted {
		const evicted: Evicted = { outOfHours: 0, misses: 0, paused: 0 };
		for (;;) {
			const cheap = this.size > MAX_CONVERSATIONS ? KINDS.find((kind) => kind !== 'paused' && this.byKind[kind].size > 0) : undefined;
			const kind = cheap ?? (this.byKind.paused.size > MAX_PAUSED_CONVERSATIONS ? 'paused' : undefined);
			if (!kind) return evicted;
			const [id, conversation] = this.byKind[kind].entries().next().value as [string, ConversationState];
			this.byKind[kind].delete(id);
			if (liveParts(conversation, now)) evicted[kind]++;
		}
	}
}

export function emptyState(): AutoReplyState {
	return new AutoReplyState();
}

/** The copy of the state n8n saves (see openWorkflowState). */
export function snapshotState(state: AutoReplyState): StoredAutoReplyState {
	return state.toJSON();
}

/** Checks what was loaded from n8n's database (another version may have written it). */
export function reviveState(stored: unknown, now = Date.now()): AutoReplyState | undefined {
	if (typeof stored !== 'object' || stored === null) return undefined;
	const conversations = (stored as { conversations?: unknown }).conversations;
	if (typeof conversations !== 'object' || conversations === null) return undefined;
	const revived: Array<[string, ConversationState]> = [];
	for (const [id, value] of Object.entries(conversations as Record<string, unknown>)) {
		if (typeof value !== 'object' || value === null) continue;
		const entry = value as Record<string, unknown>;
		const conversation: ConversationState = { updatedAt: Number(entry.updatedAt) || 0 };
		if (typeof entry.pausedUntil === 'number') conversation.pausedUntil = entry.pausedUntil;
		if (typeof entry.misses === 'number' && entry.misses > 0) conversation.misses = entry.misses;
		if (typeof entry.outOfHoursDay === 'string') conversation.outOfHoursDay = entry.outOfHoursDay;
		revived.push([id, conversation]);
	}
	return new AutoReplyState(revived, now);
}
