import { createHash } from 'node:crypto';

/**
 * A cache for a platform's expiring strings (access tokens, JS-SDK tickets), shared by the WeCom and
 * the WeChat Mini Program transports. One class, one piece of logic, no n8n imports.
 *
 * Each caller of a key in this process shares one value, and concurrent callers share one in-flight
 * fetch (single-flight): platforms rate-limit their token endpoints, and a token fetched twice at once
 * is a call wasted at best. A refused fetch can be remembered for a while (`rememberFailureMs`) where
 * repeating it does harm (WeCom blocks an IP after repeated refused gettoken calls).
 *
 * The cache lives in the n8n process: in queue mode each worker fetches its own value, which is only
 * safe for endpoints whose fetch does not invalidate what other processes hold (WeCom's gettoken,
 * WeChat's stable_token in normal mode; not WeChat's cgi-bin/token).
 */

export interface FetchedValue {
	value: string;
	/** Lifetime the platform reported (`expires_in`), in seconds. */
	expiresInSeconds: number;
}

export interface ExpiringCacheOptions {
	/** Refresh this long before the platform's expiry (default 5 minutes). */
	refreshBeforeSeconds?: number;
	/** Clock in milliseconds; tests inject their own. */
	now?: () => number;
	/**
	 * How long (ms) a failed fetch is remembered for its key; 0 or none: not at all. Meanwhile every
	 * caller of that key gets the same error at once, without a fetch.
	 */
	rememberFailureMs?: (error: unknown) => number;
}

interface Entry {
	value: string;
	/** After this instant (ms) the value is fetched again. */
	refreshAt: number;
}

interface RememberedFailure {
	error: unknown;
	/** Until this instant (ms) the error is served instead of a fetch. */
	until: number;
}

export class ExpiringValueCache {
	private readonly entries = new Map<string, Entry>();

	private readonly inFlight = new Map<string, Promise<string>>();

	private readonly failures = new Map<string, RememberedFailure>();

	private readonly refreshBeforeMs: number;

	private readonly now: () => number;

	private readonly rememberFailureMs: (error: unknown) => number;

	constructor(options: ExpiringCacheOptions = {}) {
		this.refreshBeforeMs = (options.refreshBeforeSeconds ?? 300) * 1000;
		// Read Date.now at each call, not once: a test that mocks the clock replaces it later.
		this.now = options.now ?? (() => Date.now());
		this.rememberFailureMs = options.rememberFailureMs ?? (() => 0);
	}

	/**
	 * The cached value for `key`, or the result of `fetch()`. While a fetch for `key` is running,
	 * every other caller waits for that same fetch. A failed fetch is not cached, unless
	 * `rememberFailureMs` says to remember it: until then its error is thrown without a fetch.
	 */
	async get(key: string, fetch: () => Promise<FetchedValue>): Promise<string> {
		const entry = this.entries.get(key);
		if (entry && this.now() < entry.refreshAt) return entry.value;

		const failed = this.failures.get(key);
		if (failed) {
			if (this.now() < failed.until) throw failed.error;
			this.failures.delete(key);
		}

		const running = this.inFlight.get(key);
		if (running) return await running;

		const started = (async () => {
			const fetched = await fetch();
			this.entries.set(key, {
				value: fetched.value,
				refreshAt: this.now() + this.lifetimeMs(fetched.expiresInSeconds),
			});
			return fetched.value;
		})();
		this.inFlight.set(key, started);
		const settled = () => {
			if (this.inFlight.get(key) === started) this.inFlight.delete(key);
		};
		// Registered before any caller awaits `started`, so a failure is remembered before they see it.
		started.then(settled, (error: unknown) => {
			settled();
			const rememberMs = this.rememberFailureMs(error);
			if (rememberMs > 0) this.failures.set(key, { error, until: this.now() + rememberMs });
		});
		return await started;
	}

	/**
	 * Forget the value for `key`, but only if it is still `value`: a caller that saw a stale token
	 * fail must not throw away the fresh one another caller already fetched.
	 */
	invalidate(key: string, value: string): boolean {
		const entry = this.entries.get(key);
		if (!entry || entry.value !== value) return false;
		this.entries.delete(key);
		return true;
	}

	/** The cached value without fetching (tests and diagnostics). */
	peek(key: string): string | undefined {
		return this.entries.get(key)?.value;
	}

	/** Until when (ms) a failed fetch for `key` is served instead of a new one; undefined if none is. */
	failureUntil(key: string): number | undefined {
		const failed = this.failures.get(key);
		return failed && this.now() < failed.until ? failed.until : undefined;
	}

	keys(): string[] {
		return [...this.entries.keys()];
	}

	clear(): void {
		this.entries.clear();
		this.inFlight.clear();
		this.failures.clear();
	}

	/**
	 * Use the value until `refreshBeforeSeconds` before the platform's expiry. A lifetime shorter than
	 * twice that margin (test fakes, a proxy that shortens it) is used for half its length instead,
	 * so a short-lived token is still shared rather than fetched on every call.
	 */
	private lifetimeMs(expiresInSeconds: number): number {
		const lifetime = Number.isFinite(expiresInSeconds) && expiresInSeconds > 0 ? expiresInSeconds * 1000 : 0;
		return Math.max(0, lifetime - Math.min(this.refreshBeforeMs, lifetime / 2));
	}
}

export function sha256Hex(text: string): string {
	return createHash('sha256').update(text, 'utf8').digest('hex');
}
