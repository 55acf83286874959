/**
 * Keeps a credential's decrypted values between callbacks. In n8n 2.41 every `getCredentials()` from a
 * webhook builds a fresh expression isolate to resolve credential expressions, about 70-100 ms of CPU with the
 * default `vm` engine: more than everything else a callback costs (bench/README.md, trigger-load). Values
 * are reloaded after `ttlMs`, and sooner when a callback fails with the cached values (the operator may have
 * just changed the Token or EncodingAESKey), but at most once per `minReloadIntervalMs`, so forged requests
 * cannot make every request pay for a reload.
 */
export class SecretsCache<T> {
	private readonly entries = new Map<string, { value: T; loadedAt: number; reloadedAt: number }>();

	/** Loads in flight, shared: when the values expire, 50 waiting callbacks make one read, not 50. */
	private readonly loading = new Map<string, Promise<T>>();

	constructor(
		private readonly ttlMs: number,
		private readonly minReloadIntervalMs: number,
		private readonly maxEntries = 1_000,
		private readonly now: () => number = Date.now,
	) {}

	/** The cached value (`fromCache` true) or a freshly loaded one. */
	async get(key: string, load: () => Promise<T>): Promise<{ value: T; fromCache: boolean }> {
		const entry = this.entries.get(key);
		if (entry && this.now() - entry.loadedAt < this.ttlMs) return { value: entry.value, fromCache: true };
		return { value: await this.store(key, load), fromCache: false };
	}

	/** Drops the cached values, e.g. when the workflow is published again (the operator may have changed them). */
	forget(key: string): void {
		this.entries.delete(key);
	}

	/** Loads again after a failure with cached values; undefined when a reload happened too recently. */
	async reloadAfterFailure(key: string, load: () => Promise<T>): Promise<T | undefined> {
		const entry = this.entries.get(key);
		if (entry && this.now() - entry.reloadedAt < this.minReloadIntervalMs) return undefined;
		return await this.store(key, load);
	}

	/**
	 * Runs `use` with the values; when its result with cached values says new values could help
	 * (`needsFreshValues`), reloads (if allowed) and runs it once more with them.
	 */
	async useWithReload<R>(
		key: string,
		load: () => Promise<T>,
		use: (value: T) => R,
		needsFreshValues: (result: R) => boolean,
	): Promise<R> {
		const cached = await this.get(key, load);
		const result = use(cached.value);
		if (!cached.fromCache || !needsFreshValues(result)) return result;
		const fresh = await this.reloadAfterFailure(key, load);
		return fresh === undefined ? result : use(fresh);
	}

	private async store(key: string, load: () => Promise<T>): Promise<T> {
		const inFlight = this.loading.get(key);
		if (inFlight) return await inFlight;
		const pending = load().then((value) => {
			const now = this.now();
			this.entries.delete(key);
			this.entries.set(key, { value, loadedAt: now, reloadedAt: now });
			// Map order is insertion order: the first key is the least recently loaded.
			if (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
			return value;
		});
		this.loading.set(key, pending);
		try {
			return await pending;
		} finally {
			this.loading.delete(key);
		}
	}
}
