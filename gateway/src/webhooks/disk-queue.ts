// One registration's pending events, in an append-only log (<queue folder>/events.log): a line
// `+<seq> <event JSON>` when an event is queued, `-<seq>` when it is delivered or dropped. publish()
// returns only after its line is written, so a kill loses no acknowledged event; a delivered event's
// `-` line is written the moment its receiver answers 2xx. Appending costs a few µs, where creating a
// file per event cost 0.1 to 1 ms on this project's machines (bench/README.md, whatsapp-webhooks).
//
// Pending bodies are kept in memory too (bounded by the queue's capacity). At start and whenever the log
// has grown to twice its pending lines (plus a margin), it is rewritten with only the pending events and
// renamed over the old one. Rewriting at start also drops a last line cut short by a kill (its publish()
// never returned), so nothing is ever appended after half a line.
//
// Lines are written without fsync: they survive a crash or SIGKILL of the gateway (the kernel has them),
// not a power cut of the machine.
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import * as path from 'node:path';

const COMPACT_MARGIN = 1_000;

export interface QueuedEvent {
	seq: number;
	body: string;
}

export class DiskQueue {
	private readonly file: string;
	private readonly pending = new Map<number, string>();
	/** Events being delivered: never dropped for room, their answer decides. */
	private readonly taken = new Set<number>();
	private nextSeq = 1;
	private linesInLog = 0;
	private fd: number | undefined;

	constructor(
		private readonly folder: string,
		private readonly capacity: number,
		private readonly onDropOldest: () => void,
	) {
		mkdirSync(folder, { recursive: true });
		this.file = path.join(folder, 'events.log');
		if (existsSync(this.file)) this.replay(readFileSync(this.file, 'utf8'));
		this.compact();
	}

	get length(): number {
		return this.pending.size;
	}

	get inFlight(): number {
		return this.taken.size;
	}

	push(body: string): void {
		while (this.pending.size >= this.capacity) {
			let oldest: number | undefined;
			for (const seq of this.pending.keys()) {
				if (this.taken.has(seq)) continue;
				oldest = seq;
				break;
			}
			if (oldest === undefined) break;
			this.remove(oldest);
			this.onDropOldest();
		}
		const seq = this.nextSeq++;
		this.append(`+${seq} ${body}\n`);
		this.pending.set(seq, body);
	}

	/** The oldest pending event not being delivered, marked as being delivered. */
	take(): QueuedEvent | undefined {
		// A Map iterates in insertion order, which is seq order; events in flight are the first few.
		for (const [seq, body] of this.pending) {
			if (this.taken.has(seq)) continue;
			this.taken.add(seq);
			return { seq, body };
		}
		return undefined;
	}

	/** Back to pending, for a retry: it goes out again before the events after it. */
	release(seq: number): void {
		this.taken.delete(seq);
	}

	remove(seq: number): void {
		this.taken.delete(seq);
		if (!this.pending.delete(seq)) return;
		this.append(`-${seq}\n`);
		if (this.linesInLog > 2 * this.pending.size + COMPACT_MARGIN) this.compact();
	}

	destroy(): void {
		this.pending.clear();
		this.taken.clear();
		this.closeLog();
		rmSync(this.folder, { recursive: true, force: true });
	}

	close(): void {
		this.closeLog();
	}

	private replay(log: string): void {
		for (const line of log.split('\n')) {
			const match = /^([+-])(\d+)(?: (.*))?$/.exec(line);
			if (!match) continue;
			const seq = Number(match[2]);
			this.nextSeq = Math.max(this.nextSeq, seq + 1);
			if (match[1] === '-') {
				this.pending.delete(seq);
				continue;
			}
			try {
				JSON.parse(match[3] ?? '');
				this.pending.set(seq, match[3]);
			} catch {
				// Cut short by a kill during publish(), which therefore never returned: not acknowledged, not lost.
			}
		}
	}

	private compact(): void {
		this.closeLog();
		const tmp = `${this.file}.tmp`;
		writeFileSync(tmp, [...this.pending].map(([seq, body]) => `+${seq} ${body}\n`).join(''));
		renameSync(tmp, this.file);
		this.linesInLog = this.pending.size;
		this.fd = openSync(this.file, 'a');
	}

	private append(line: string): void {
		if (this.fd === undefined) this.fd = openSync(this.file, 'a');
		writeSync(this.fd, line);
		this.linesInLog++;
	}

	private closeLog(): void {
		if (this.fd !== undefined) closeSync(this.fd);
		this.fd = undefined;
	}
}
