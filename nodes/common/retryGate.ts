/**
 * The retry memory of the webhook triggers (WeCom callbacks, WhatsApp Web gateway deliveries): which delivery of
 * a repeated request starts a run, and what its repeats are answered. Pure, no n8n imports.
 */

/**
 * Remembers recently seen delivery keys so that a platform's retries start no second execution. In memory on
 * purpose: a write to n8n's database per delivery (workflow static data) measurably slows every delivery
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
 * A first delivery n8n has not answered after this long is taken as stored, so that the memory of deliveries in
 * flight stays bounded. n8n ends every webhook response it took, stored or failed, within seconds to minutes.
 */
export const PENDING_LIMIT_MS = 10 * 60 * 1000;

/**
 * The HTTP response of a callback. For a first delivery, n8n ends it with its answer once it has stored the
 * execution (2xx) or failed to (an error status), also when the platform has hung up in the meantime.
 */
export interface CallbackAnswer {
	readonly statusCode: number;
	/** The connection is gone: the platform hung up, or the answer went out. */
	readonly closed?: boolean;
	end(...args: unknown[]): unknown;
	once(event: 'close', listener: () => void): unknown;
}

/**
 * run: the first delivery, or a retry of one n8n failed to store: start the workflow. duplicate: stored already,
 * acknowledge without a run. pending: the first delivery's execution is still being stored.
 */
export type RetryVerdict = 'run' | 'duplicate' | 'pending';

interface Pending {
	since: number;
	answered: Promise<void>;
}

/**
 * Calls `listener` with the status n8n answers with, when n8n ends the response. Not Node's 'finish' event:
 * after the platform hung up there is none, yet n8n still ends the response once it has stored the execution or failed
 * to, and that outcome is what a retry must be told.
 */
function whenAnswered(answer: CallbackAnswer, listener: (statusCode: number) => void): void {
	const end = answer.end;
	let answered = false;
	answer.end = function (this: unknown, ...args: unknown[]) {
		if (!answered) {
			answered = true;
			listener(answer.statusCode);
		}
		return end.apply(this, args);
	};
}

/**
 * Resolves after `ms`, or rejects once `signal` aborts. The trigger passes n8n-workflow's `sleep`: n8n's rules for
 * community nodes allow no timers of their own.
 */
export type Sleep = (ms: number, signal: AbortSignal) => Promise<void>;

export interface RetryGateOptions {
	sleep: Sleep;
	/** How many keys, for how long: each platform's retry schedule decides. */
	recent: RecentKeys;
	/** How long a retry waits for the first delivery's answer: no longer than the platform waits for ours. */
	retryWaitMs: number;
	now?: () => number;
	pendingLimitMs?: number;
}

/**
 * Decides whether a callback starts a run, given the deliveries before it. A first delivery stays pending until
 * n8n has answered it, whatever happens to the platform's connection: WeCom hangs up after 5 seconds and retries (doc
 * 90930), the gateway after its delivery timeout, and only n8n's answer says whether the execution was stored. A retry that finds it pending waits for
 * that answer (`admitRetry`); once it is known, a retry is acknowledged when the execution was stored, and runs
 * when n8n answered with an error.
 */
export class RetryGate {
	private readonly pending = new Map<string, Pending>();

	private readonly sleep: Sleep;

	private readonly recent: RecentKeys;

	private readonly now: () => number;

	private readonly pendingLimitMs: number;

	private readonly retryWaitMs: number;

	constructor(options: RetryGateOptions) {
		this.sleep = options.sleep;
		this.recent = options.recent;
		this.retryWaitMs = options.retryWaitMs;
		this.now = options.now ?? Date.now;
		this.pendingLimitMs = options.pendingLimitMs ?? PENDING_LIMIT_MS;
	}

	admit(key: string, answer: CallbackAnswer): RetryVerdict {
		this.dropStalePending();
		if (this.pending.has(key)) return 'pending';
		if (this.recent.checkAndRemember(key)) return 'duplicate';
		let settle = () => {};
		const entry: Pending = { since: this.now(), answered: new Promise<void>((resolve) => (settle = resolve)) };
		this.pending.set(key, entry);
		whenAnswered(answer, (statusCode) => {
			if (this.pending.get(key) === entry) this.pending.delete(key);
			// n8n answered with an error (e.g. its database refused the execution): let the platform's retry run.
			if (statusCode >= 300) this.recent.forget(key);
			settle();
		});
		return 'run';
	}

	/**
	 * `admit` for a delivery that may be a retry: while the first delivery is pending, waits for n8n's answer to it,
	 * at most `maxWaitMs` and only while this delivery's own connection is open. Answering "pending" (503) at once
	 * could end WeCom's retries: its doc 90930 promises them after a timeout or a failed connection only.
	 */
	async admitRetry(key: string, answer: CallbackAnswer, maxWaitMs = this.retryWaitMs): Promise<RetryVerdict> {
		let verdict = this.admit(key, answer);
		if (verdict !== 'pending' || answer.closed === true) return verdict;
		let over = false;
		const end = () => {
			over = true;
		};
		const hungUp = new Promise<void>((resolve) => answer.once('close', resolve)).then(end);
		const stop = new AbortController();
		const timeUp = this.sleep(maxWaitMs, stop.signal).then(end, () => {});
		try {
			while (verdict === 'pending' && !over) {
				await Promise.race([this.pending.get(key)?.answered, hungUp, timeUp]);
				// Another retry of the same callback may have been let through first: then this one waits for it.
				verdict = this.admit(key, answer);
			}
		} finally {
			stop.abort();
		}
		return verdict;
	}

	/** Deliveries n8n never answered (it always does) do not stay pending for ever. */
	private dropStalePending(): void {
		const now = this.now();
		for (const [key, { since }] of this.pending) {
			if (now - since < this.pendingLimitMs) break;
			this.pending.delete(key);
		}
	}
}
