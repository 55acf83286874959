import { createHash } from 'node:crypto';

/**
 * Caches for WeCom's expiring strings: the app access_token (gettoken) and the JS-SDK tickets
 * (get_jsapi_ticket, ticket/get?type=agent_config). One class, one piece of logic, no n8n imports.
 *
 * Why a cache at all: WeCom rate-limits gettoken ("不能频繁调用gettoken接口，否则会受到频率拦截",
 * doc 91039) and jsapi tickets (400/h per corp, 100/h per app, doc 90454), so every caller in this
 * process shares one value per key, and concurrent callers share one in-flight fetch. A refused
 * fetch can be remembered for a while too (`rememberFailureMs`): repeated refused gettoken calls get
 * the server's IP blocked (45009), so they must not be repeated by every execution.
 *
 * The cache lives in the n8n process: in queue mode each worker fetches its own token. WeCom's
 * gettoken does not invalidate tokens other processes hold, so that is safe.
 */

export interface FetchedValue {
	value: string;
	/** Lifetime WeCom reported (`expires_in`), in seconds. */
	expiresInSeconds: number;
}

export interface ExpiringCacheOptions {
	/** Refresh this long before WeCom's expiry (default 5 minutes). */
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
	 * Use the value until `refreshBeforeSeconds` before WeCom's expiry. A lifetime shorter than
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

/**
 * One token per app: WeCom issues a token per corp ID + app secret, and a proxy base URL may lead
 * to a different WeCom (a test fake, another region). The secret enters the key only as its hash.
 */
export function accessTokenKey(baseUrl: string, corpId: string, secret: string): string {
	return `${baseUrl}|${corpId}|${sha256Hex(secret)}`;
}

/** `corp`: get_jsapi_ticket (wx.config). `agent`: ticket/get?type=agent_config (wx.agentConfig). */
export type JsApiTicketType = 'corp' | 'agent';

export function jsApiTicketKey(tokenKey: string, ticketType: JsApiTicketType): string {
	return `${tokenKey}|ticket:${ticketType}`;
}
