import { createHash } from 'node:crypto';

import type { IDataObject } from 'n8n-workflow';

/**
 * Pull Messages with "Shared State: Claimed in the Workflow" (queue mode, docs/queue-mode.md): several
 * n8n workers pull the same kf account, so no process's memory can say which message is new. The pull
 * hands out every message with the Redis keys the workflow claims it with (n8n's Redis node, Increment:
 * only the caller that gets 1 goes on), and the workflow keeps each claimed message "in flight" in Redis
 * until it is answered. This module only builds keys and reads the in-flight entries; Redis is reached
 * by the workflow's own Redis nodes, never by this package (a community node cannot open a socket).
 */

export const KEY_PREFIX = 'kefu:kf';

export interface Claim {
	/** The key to Increment: 1 means this execution has the message. */
	key: string;
	/** Where the message is kept while it is being answered; deleted once answered. */
	flightKey: string;
	/** The value to store under flightKey (the sync_msg entry and when it was claimed), JSON. */
	flight: string;
}

/** What an in-flight entry holds. */
interface FlightEntry {
	message: IDataObject;
	/** ms since epoch: when the execution that has it claimed it (the lease runs from there). */
	at: number;
}

/** The message's id: WeCom's msgid, or (never seen, but a key must exist) a hash of the entry. */
export function messageIdOf(message: IDataObject): string {
	const msgid = String(message.msgid ?? '');
	return msgid || `h${createHash('sha256').update(JSON.stringify(message)).digest('base64url').slice(0, 22)}`;
}

/** The prefix of the in-flight keys of one account: the workflow lists `<prefix>*` before the pull. */
export function flightPrefix(corpId: string, openKfId: string): string {
	return `${KEY_PREFIX}:flight:${corpId}:${openKfId}:`;
}

/**
 * The claim of one message. A message read from sync_msg is claimed once for good (the key has no
 * period: whoever got 1 has it, every later pull of it gets more). A message taken back from flight is
 * claimed per lease period: the key names the period, so a key the Redis node left without its expiry
 * (INCR and EXPIRE are two commands) blocks only that period, never the message.
 */
export function claimOf(
	corpId: string,
	openKfId: string,
	message: IDataObject,
	now: number,
	recovered?: { leaseMs: number },
): Claim {
	const id = messageIdOf(message);
	const first = `${KEY_PREFIX}:${corpId}:${openKfId}:${id}`;
	const entry: FlightEntry = { message, at: now };
	return {
		key: recovered ? `${first}:${Math.floor(now / recovered.leaseMs)}` : first,
		flightKey: `${flightPrefix(corpId, openKfId)}${id}`,
		flight: JSON.stringify(entry),
	};
}

/**
 * The in-flight entries given to the pull (the Redis node's Keys with values: one object, key → value;
 * an array of such objects or of values is taken too), split into those whose lease is over (to hand
 * out again) and the ids of those still being answered. Entries of other accounts, and values that are
 * not an entry, are passed over.
 */
export function readInFlight(
	input: unknown,
	prefix: string,
	now: number,
	leaseMs: number,
): { expired: IDataObject[]; active: Set<string> } {
	const expired: IDataObject[] = [];
	const active = new Set<string>();
	const visit = (key: string | undefined, value: unknown) => {
		if (key !== undefined && !key.startsWith(prefix)) return;
		const entry = parseEntry(value);
		if (!entry) return;
		const id = messageIdOf(entry.message);
		if (entry.at + leaseMs <= now) expired.push(entry.message);
		else active.add(id);
	};
	const visitObject = (object: IDataObject) => {
		for (const [key, value] of Object.entries(object)) visit(key, value);
	};
	if (Array.isArray(input)) {
		for (const element of input) {
			if (typeof element === 'string') visit(undefined, element);
			else if (element && typeof element === 'object') visitObject(element as IDataObject);
		}
	} else if (typeof input === 'string' && input.trim().startsWith('{')) {
		try {
			const parsed: unknown = JSON.parse(input);
			if (parsed && typeof parsed === 'object') visitObject(parsed as IDataObject);
		} catch {
			// Not JSON: nothing in flight.
		}
	} else if (input && typeof input === 'object') {
		visitObject(input as IDataObject);
	}
	return { expired, active };
}

function parseEntry(value: unknown): FlightEntry | undefined {
	let parsed = value;
	if (typeof value === 'string') {
		try {
			parsed = JSON.parse(value);
		} catch {
			return undefined;
		}
	}
	if (!parsed || typeof parsed !== 'object') return undefined;
	const { message, at } = parsed as Partial<FlightEntry>;
	if (!message || typeof message !== 'object' || typeof at !== 'number' || !Number.isFinite(at)) return undefined;
	return { message, at };
}
