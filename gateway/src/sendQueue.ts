// Sends go out one at a time, spaced with jitter, and at most `hourlyCap` in any hour: WhatsApp bans
// numbers that send in bursts, publishes no thresholds, and whatsapp-web.js has no limiter of its own.
// Over the cap a send is refused at once (HTTP 429 with Retry-After) rather than queued for an hour.

export interface SendQueueOptions {
	/** Least time between two sends. */
	minIntervalMs: number;
	/** A random 0..jitterMs is added to each spacing. */
	jitterMs: number;
	hourlyCap: number;
	now?: () => number;
	sleep?: (ms: number) => Promise<void>;
}

export class RateLimited extends Error {
	constructor(readonly retryAfterSeconds: number) {
		super(`The hourly send cap is reached; try again in ${retryAfterSeconds} s.`);
	}
}

const HOUR = 3_600_000;

export class SendQueue {
	/** Start times of the sends admitted in the last hour, oldest first. */
	private readonly admitted: number[] = [];
	private tail: Promise<unknown> = Promise.resolve();
	private lastSendAt = -Infinity;
	private readonly now: () => number;
	private readonly sleep: (ms: number) => Promise<void>;

	constructor(private readonly opts: SendQueueOptions) {
		this.now = opts.now ?? Date.now;
		this.sleep = opts.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
	}

	/** Sends admitted in the last hour (queued ones included). */
	get usedThisHour(): number {
		this.prune();
		return this.admitted.length;
	}

	run<T>(task: () => Promise<T>): Promise<T> {
		this.prune();
		if (this.admitted.length >= this.opts.hourlyCap) {
			const retryAfterMs = this.admitted[0] + HOUR - this.now();
			return Promise.reject(new RateLimited(Math.max(1, Math.ceil(retryAfterMs / 1000))));
		}
		this.admitted.push(this.now());
		const result = this.tail.then(async () => {
			const spacing = this.opts.minIntervalMs + Math.random() * this.opts.jitterMs;
			const wait = this.lastSendAt + spacing - this.now();
			if (wait > 0) await this.sleep(wait);
			this.lastSendAt = this.now();
			return task();
		});
		this.tail = result.catch(() => {});
		return result;
	}

	private prune(): void {
		const cutoff = this.now() - HOUR;
		while (this.admitted.length > 0 && this.admitted[0] <= cutoff) this.admitted.shift();
	}
}
