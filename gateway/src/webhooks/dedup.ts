// "Deduplicated by message ID" (contract, Webhooks): whatsapp-web.js can report one message twice (for
// instance `message_create` and `message` for the same inbound message, or again after a reconnect), and
// the receiver must still see it once. The keys seen last are kept in memory, bounded, and in an
// append-only file compacted when it grows, so a restart does not forget them.
import { closeSync, existsSync, openSync, readFileSync, renameSync, writeFileSync, writeSync } from 'node:fs';

export class SeenKeys {
	private readonly keys = new Set<string>();
	private linesInFile = 0;
	// Kept open: an append per message must not cost an open and a close.
	private fd: number;

	constructor(
		private readonly file: string,
		private readonly capacity: number,
	) {
		if (existsSync(file)) this.load();
		this.fd = openSync(file, 'a');
	}

	private load(): void {
		const lines = readFileSync(this.file, 'utf8').split('\n').filter(Boolean);
		this.linesInFile = lines.length;
		for (const line of lines.slice(-this.capacity)) {
			try {
				this.remember(JSON.parse(line) as string);
			} catch {
				// The last line of a file cut short by a kill: that key was not acknowledged yet.
			}
		}
	}

	has(key: string): boolean {
		return this.keys.has(key);
	}

	/** Recorded only once the event is queued: a kill in between repeats it (at least once), never loses it. */
	add(key: string): void {
		if (this.keys.has(key)) return;
		this.remember(key);
		writeSync(this.fd, JSON.stringify(key) + '\n');
		if (++this.linesInFile > 2 * this.capacity) this.compact();
	}

	close(): void {
		closeSync(this.fd);
	}

	get size(): number {
		return this.keys.size;
	}

	private remember(key: string): void {
		this.keys.add(key);
		// A Set iterates in insertion order: the first key is the oldest.
		if (this.keys.size > this.capacity) this.keys.delete(this.keys.values().next().value as string);
	}

	private compact(): void {
		const tmp = `${this.file}.tmp`;
		writeFileSync(tmp, [...this.keys].map((key) => JSON.stringify(key) + '\n').join(''));
		renameSync(tmp, this.file);
		closeSync(this.fd);
		this.fd = openSync(this.file, 'a');
		this.linesInFile = this.keys.size;
	}
}
