import { createHash } from 'node:crypto';

/**
 * Module-level caches of compiled matchers (keyword automaton, FAQ index), keyed by a hash of
 * what the matcher is built from. They live as long as the n8n process (or worker) and are shared
 * by every execution and workflow in it: building takes milliseconds to seconds for large rule
 * sets, one lookup microseconds. Bounded, least recently used first out, because every edit of a
 * rule list in the editor makes a new key.
 */
export class CompiledCache<T> {
	private readonly entries = new Map<string, T>();

	constructor(private readonly capacity: number) {}

	get(key: string, build: () => T): T {
		const cached = this.entries.get(key);
		if (cached !== undefined) {
			// Re-insert: Map keeps insertion order, so the first key is the least recently used.
			this.entries.delete(key);
			this.entries.set(key, cached);
			return cached;
		}
		const built = build();
		this.entries.set(key, built);
		while (this.entries.size > this.capacity) {
			const oldest = this.entries.keys().next().value as string;
			this.entries.delete(oldest);
		}
		return built;
	}

	delete(key: string): void {
		this.entries.delete(key);
	}

	get size(): number {
		return this.entries.size;
	}

	clear(): void {
		this.entries.clear();
	}
}

/** A short stable key for `text` (SHA-256). */
export function hashText(text: string): string {
	return createHash('sha256').update(text).digest('base64url');
}

/** A short stable key for `value` (its JSON under SHA-256). */
export function hashKey(namespace: string, value: unknown): string {
	return createHash('sha256').update(namespace).update('\u0000').update(JSON.stringify(value)).digest('base64url');
}
