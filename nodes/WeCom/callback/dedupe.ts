import { createHash } from 'node:crypto';

/**
 * How long a callback is remembered. WeCom retries a callback it got no answer for within 5 seconds, up to 3
 * times (doc 90930), so retries come within seconds; an hour is far beyond that, and it bounds how old a
 * replayed callback the timestamp check must refuse (docs/callbacks.md).
 */
export const RETRY_MEMORY_SECONDS = 60 * 60;

/** 50,000 keys is a few MB at most, and more than an hour of callbacks at the ~16/s one n8n process stores. */
export const RETRY_MEMORY_KEYS = 50_000;

/**
 * Remembers recently seen callback keys so that WeCom's retries start no second execution. In memory on
 * purpose: a write to n8n's database per callback (workflow static data) measurably slows every callback
 * under load (bench/README.md, trigger-load). Bounded in size and age; the oldest keys go first. One process
 * only: see the README for queue mode.
 */
export class RecentKeys {
	private readonly seenAt = new Map<string, number>();

	constructor(
		private readonly maxKeys: number,
		private readonly ttlMs: number,
		private readonly now: () => number = Date.now,
	) {}

	/** True when the key was seen within the window; otherwise remembers it and returns false. */
	checkAndRemember(key: string): boolean {
		const now = this.now();
		const at = this.seenAt.get(key);
		if (at !== undefined && now - at < this.ttlMs) return true;
		if (at !== undefined) this.seenAt.delete(key);
		this.seenAt.set(key, now);
		this.evict(now);
		return false;
	}

	/** Lets a retry through again, e.g. when n8n answered the first delivery with an error. */
	forget(key: string): void {
		this.seenAt.delete(key);
	}

	get size(): number {
		return this.seenAt.size;
	}

	private evict(now: number): void {
		// Map iteration is insertion order, so the first entries are the oldest.
		for (const [key, at] of this.seenAt) {
			if (this.seenAt.size <= this.maxKeys && now - at < this.ttlMs) break;
			this.seenAt.delete(key);
		}
	}
}

/**
 * The key a retry of the same callback shares. Messages have a MsgId. Events have none, and
 * FromUserName + CreateTime (the doc's suggestion) collides for batch events sent in the same second, so
 * events are keyed by a hash of the whole decrypted payload.
 */
export function callbackDedupeKey(message: Record<string, unknown>, decryptedXml: string): string {
	const msgId = message.MsgId ?? message.MsgID;
	if (typeof msgId === 'string' && msgId !== '') return `msg:${msgId}`;
	return `payload:${createHash('sha256').update(decryptedXml).digest('base64url')}`;
}

/** The HTTP answer to a callback's first delivery, which n8n sends once it has stored the execution. */
export interface CallbackAnswer {
	readonly statusCode: number;
	once(event: 'finish' | 'close', listener: () => void): unknown;
}

/**
 * run: the first delivery, start the workflow. duplicate: already run, acknowledge without a run.
 * pending: the first delivery's execution is not stored yet.
 */
export type RetryVerdict = 'run' | 'duplicate' | 'pending';

/**
 * Decides whether a callback starts a run, given the deliveries before it. A retry that arrives while the first
 * delivery is still being stored must not be told "success" (that would vouch for work that may still fail),
 * so it is answered 503 and WeCom retries again; once n8n has answered the first delivery, later retries see
 * the outcome: acknowledged when it was stored, run again when n8n answered with an error.
 */
export class RetryGate {
	private readonly pending = new Set<string>();

	constructor(private readonly recent = new RecentKeys(RETRY_MEMORY_KEYS, RETRY_MEMORY_SECONDS * 1000)) {}

	admit(key: string, answer: CallbackAnswer): RetryVerdict {
		if (this.pending.has(key)) return 'pending';
		if (this.recent.checkAndRemember(key)) return 'duplicate';
		this.pending.add(key);
		answer.once('finish', () => {
			if (!this.pending.delete(key)) return;
			// n8n answered with an error (e.g. its database refused the execution): let WeCom's retry run.
			if (answer.statusCode >= 300) this.recent.forget(key);
		});
		// A connection closed before the answer (WeCom gave up after 5 s) leaves the outcome unknown; the
		// execution is almost always stored by then, so the key stays and a retry is acknowledged.
		answer.once('close', () => this.pending.delete(key));
		return 'run';
	}
}
