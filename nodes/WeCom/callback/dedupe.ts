import { createHash } from 'node:crypto';

/**
 * Remembers recently seen callback keys so that WeCom's retries (up to 3 after a slow or failed answer,
 * doc 90238) start no second execution. In memory on purpose: a write to n8n's database per callback
 * (workflow static data) measurably slows every callback under load (notes/n8n-platform.md §8). Bounded
 * in size and age; the oldest keys go first. One process only: see the README for queue mode.
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
