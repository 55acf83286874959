/**
 * What Pull Messages keeps per kf account in the workflow's static data, and how it changes: the
 * kf/sync_msg cursor, the msgids already handed out, and the messages in flight. Pure: no n8n here;
 * pull.operation.ts keeps it through common/workflowState.ts. docs/state.md says why it is shaped so.
 *
 * Messages in flight: a message handed out to an execution that has not ended yet, with the raw
 * sync_msg entry and that execution's id. The cursor moves past a message as soon as it is handed
 * out, so that overlapping executions never get it twice; n8n saves a workflow's static data whole,
 * whenever any of its executions ends. Were the cursor all that was saved, an execution that ends
 * would save a cursor past the messages another one is still answering, and a crash of n8n then
 * would lose those. So every save carries the messages of the executions still running, except the
 * saving execution's own (it has ended: its messages went through the whole workflow), and an
 * execution's messages leave the list once n8n has saved its end. What a new n8n process finds in
 * the list was in flight when the previous one stopped without finishing it: it is handed out again,
 * marked `redelivered`.
 *
 * "Once n8n has saved its end" comes from n8n's end handler, up to a second after n8n read the static
 * data for that save (measured: docs/state.md); another execution saving in that second would still
 * carry the ended execution's messages, and a graceful stop would then hand them out again. Where no
 * node of the workflow reads the static data in the middle of an execution, n8n reads an execution's
 * static data only to save its end, so that read already takes its messages out of every later save.
 */

export type KfMessage = Record<string, unknown>;

export interface InFlightMessage {
	/** The sync_msg entry as WeCom sent it: handed out again, should its execution never end. */
	message: KfMessage;
	/** The execution it was handed out to. */
	executionId: string;
	/** When it was handed out (ms). */
	handedOutAt: number;
	/** Its execution ran in an earlier n8n process, which stopped before that execution ended. */
	orphaned?: boolean;
	/** It had been handed out before, by an n8n process that stopped: its item says so. */
	redelivered?: boolean;
}

export interface AccountState {
	cursor?: string;
	/** msgids handed out, newest last (a safety net beside the cursor: a page WeCom repeats). */
	seen: string[];
	/** When this account was last pulled (ms), for people reading the static data. */
	pulledAt?: number;
	/** Oldest first. */
	inFlight: InFlightMessage[];
}

export interface SyncState {
	accounts: Record<string, AccountState>;
}

/**
 * msgids remembered per kf account. One page holds at most 1000; n8n saves the whole static data
 * after every execution, so this stays small (about 35 KB).
 */
export const SEEN_MSGIDS = 1000;
/**
 * Messages in flight per kf account at most: a pull asks sync_msg for no more than leaves room for (the
 * rest waits in WeCom for the next callback). Every save carries them all: about 190 KB at this bound
 * for questions of a sentence, 1.1 MB for texts of 2 KB (bench/README.md, "kf-in-flight").
 */
export const MAX_IN_FLIGHT = 500;
/**
 * How long a message stays in flight at most: WeCom lets the API answer a customer only within 48
 * hours of the customer's message (doc 94677), so a message older than that is not handed out again.
 * It also ends the entries of an execution whose end n8n never reported (one that went into waiting).
 */
export const IN_FLIGHT_MAX_AGE_MS = 48 * 3600_000;

export function emptySyncState(): SyncState {
	return { accounts: {} };
}

function isObject(value: unknown): value is Record<string, unknown> {
	return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Checks what n8n loaded from its database: an older version may have written it. Runs once per n8n
 * process (common/workflowState.ts), so every message found in flight belongs to an execution of an
 * earlier process: it is orphaned.
 */
export function reviveSyncState(stored: unknown): SyncState | undefined {
	if (!isObject(stored) || !isObject(stored.accounts)) return undefined;
	const revived = emptySyncState();
	for (const [key, value] of Object.entries(stored.accounts)) {
		if (!isObject(value)) continue;
		const { cursor, seen, pulledAt, inFlight } = value;
		revived.accounts[key] = {
			cursor: typeof cursor === 'string' && cursor !== '' ? cursor : undefined,
			seen: Array.isArray(seen) ? seen.filter((id): id is string => typeof id === 'string') : [],
			pulledAt: typeof pulledAt === 'number' ? pulledAt : undefined,
			inFlight: (Array.isArray(inFlight) ? inFlight : []).flatMap((entry): InFlightMessage[] => {
				if (!isObject(entry) || !isObject(entry.message) || typeof entry.handedOutAt !== 'number') return [];
				return [
					{
						message: entry.message,
						executionId: String(entry.executionId ?? ''),
						handedOutAt: entry.handedOutAt,
						orphaned: true,
						...(entry.redelivered === true ? { redelivered: true } : {}),
					},
				];
			}),
		};
	}
	return revived;
}

function isFresh(entry: InFlightMessage, now: number): boolean {
	return now - entry.handedOutAt < IN_FLIGHT_MAX_AGE_MS;
}

/** Messages of executions an earlier n8n process left unfinished, young enough to hand out again. */
export function orphansOf(account: AccountState | undefined, now: number): InFlightMessage[] {
	return (account?.inFlight ?? []).filter((entry) => entry.orphaned === true && isFresh(entry, now));
}

export function inFlightCount(account: AccountState | undefined): number {
	return account?.inFlight.length ?? 0;
}

export interface HandOut {
	executionId: string;
	now: number;
	/** Where the pull left the cursor. */
	cursor: string | undefined;
	/** msgids read from sync_msg this time that were not seen before (also those that became no item). */
	newIds: string[];
	/** What became items, in order; `orphan` for a message handed out again. */
	handedOut: Array<{ message: KfMessage; orphan?: InFlightMessage }>;
	/** Orphans this pull passed over (their origin is no longer wanted): they are done with. */
	dropped?: InFlightMessage[];
}

/**
 * Records a pull in `draft` (its account entry is replaced): the cursor, the msgids, and its items as
 * messages in flight of this execution. Orphans handed out now become this execution's; entries past
 * IN_FLIGHT_MAX_AGE_MS go.
 */
export function recordHandOut(draft: SyncState, accountKey: string, pull: HandOut): void {
	const previous = draft.accounts[accountKey];
	const seen = [...(previous?.seen ?? []), ...pull.newIds];
	const done = new Set<InFlightMessage>(pull.dropped);
	for (const { orphan } of pull.handedOut) if (orphan) done.add(orphan);
	const kept = (previous?.inFlight ?? []).filter((entry) => !done.has(entry) && isFresh(entry, pull.now));
	const mine = pull.handedOut.map(
		({ message, orphan }): InFlightMessage => ({
			// A copy: items share objects with the message, and later nodes may change them.
			message: JSON.parse(JSON.stringify(message)) as KfMessage,
			executionId: pull.executionId,
			handedOutAt: orphan?.handedOutAt ?? pull.now,
			...(orphan ? { redelivered: true } : {}),
		}),
	);
	draft.accounts[accountKey] = {
		cursor: pull.cursor,
		seen: seen.slice(Math.max(0, seen.length - SEEN_MSGIDS)),
		pulledAt: pull.now,
		inFlight: [...kept, ...mine],
	};
}

export function hasInFlight(state: SyncState, executionId: string): boolean {
	return Object.values(state.accounts).some((account) =>
		account.inFlight.some((entry) => entry.executionId === executionId && entry.orphaned !== true),
	);
}

/** The execution has ended and n8n has saved it: its messages are no longer in flight. */
export function forgetExecution(draft: SyncState, executionId: string): void {
	for (const account of Object.values(draft.accounts)) {
		account.inFlight = account.inFlight.filter(
			(entry) => entry.executionId !== executionId || entry.orphaned === true,
		);
	}
}

/**
 * Whether n8n reads an execution's static data only to save its end, given the node types of the
 * workflow. n8n 2.41 also reads it in the middle of an execution for every node it runs in its task
 * runner (Code, AI Transform, the AI tools that run code), to send it along; the names below cover
 * those and their older forms, and may take in a few nodes that do not read it (which only costs them
 * the exactness of a graceful stop).
 */
export function readsOnlyAtEnd(nodeTypes: string[]): boolean {
	return !nodeTypes.some((type) => /code|function|aitransform/i.test(type.slice(type.lastIndexOf('.') + 1)));
}

/**
 * What the static data of one execution saves, made from a copy of the whole state: n8n saves an
 * execution's static data when that execution ends, so its own messages are no longer in flight,
 * nor those of `ending` executions. `copy` is shared with other executions and stays unchanged.
 */
export function stateSavedBy(copy: unknown, executionId: string, ending: ReadonlySet<string> = new Set()): unknown {
	const state = copy as SyncState;
	const ended = (entry: InFlightMessage) =>
		entry.orphaned !== true && (entry.executionId === executionId || ending.has(entry.executionId));
	if (!Object.values(state.accounts).some((account) => account.inFlight.some(ended))) return copy;
	const accounts: Record<string, AccountState> = {};
	for (const [key, account] of Object.entries(state.accounts)) {
		accounts[key] = { ...account, inFlight: account.inFlight.filter((entry) => !ended(entry)) };
	}
	return { ...state, accounts };
}

/**
 * What each execution's static data saves (for openWorkflowState's `savedBy`). When `readsEnd`, the
 * read itself puts an execution with messages in flight into `ending`: n8n is saving its end, and no
 * save after this one carries its messages. `ending` is shared by the executions of one workflow in this
 * process; the pull empties it as executions end.
 */
export function savedByExecution(ending: Set<string>, readsEnd: boolean): (copy: unknown, executionId: string) => unknown {
	return (copy, executionId) => {
		if (readsEnd && hasInFlight(copy as SyncState, executionId)) ending.add(executionId);
		return stateSavedBy(copy, executionId, ending);
	};
}
