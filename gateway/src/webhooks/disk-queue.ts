// One registration's pending events, one file per event in its own folder (<seq>.json, seq increasing),
// so that an event publish() returned for is on disk before the session moves on, and a delivered one
// is gone (its file unlinked) the moment its receiver answers 2xx. Bodies queued by this run stay in
// memory too (the queue is bounded, so is the memory) and are not read back; those found on disk at
// start are read when their turn comes.
//
// Files are written without fsync: they survive a crash or SIGKILL of the gateway (the kernel has them),
// not a power cut of the machine, a trade for ≥ 500 events/s on an ordinary disk.
import { mkdirSync, readdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';

const FILE = /^(\d{16})\.json$/;

export interface QueuedEvent {
	seq: number;
	body: string;
}

export class DiskQueue {
	private readonly seqs: number[] = [];
	private readonly bodies = new Map<number, string>();
	private nextSeq = 1;
	/** Events being delivered: never dropped for room, their answer decides. */
	private readonly taken = new Set<number>();

	constructor(
		private readonly folder: string,
		private readonly capacity: number,
		private readonly onDropOldest: () => void,
	) {
		mkdirSync(folder, { recursive: true });
		const found: number[] = [];
		for (const name of readdirSync(folder)) {
			const match = FILE.exec(name);
			if (!match) continue;
			const seq = Number(match[1]);
			if (this.readValid(seq) === undefined) {
				// Cut short by a kill during publish(), which therefore never returned: not acknowledged, not lost.
				this.unlink(seq);
				continue;
			}
			found.push(seq);
		}
		found.sort((a, b) => a - b);
		this.seqs.push(...found);
		if (found.length) this.nextSeq = found[found.length - 1] + 1;
	}

	get length(): number {
		return this.seqs.length;
	}

	push(body: string): void {
		while (this.seqs.length >= this.capacity) {
			const index = this.seqs.findIndex((seq) => !this.taken.has(seq));
			if (index < 0) break;
			const [oldest] = this.seqs.splice(index, 1);
			this.bodies.delete(oldest);
			this.unlink(oldest);
			this.onDropOldest();
		}
		const seq = this.nextSeq++;
		writeFileSync(this.fileOf(seq), body);
		this.seqs.push(seq);
		this.bodies.set(seq, body);
	}

	get inFlight(): number {
		return this.taken.size;
	}

	/** The oldest pending event not being delivered, marked as being delivered. */
	take(): QueuedEvent | undefined {
		for (let index = 0; index < this.seqs.length; ) {
			const seq = this.seqs[index];
			if (this.taken.has(seq)) {
				index++;
				continue;
			}
			const body = this.bodies.get(seq) ?? this.readValid(seq);
			if (body === undefined) {
				this.seqs.splice(index, 1);
				continue;
			}
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
		const index = this.seqs.indexOf(seq);
		if (index >= 0) this.seqs.splice(index, 1);
		this.bodies.delete(seq);
		this.taken.delete(seq);
		this.unlink(seq);
	}

	destroy(): void {
		this.seqs.length = 0;
		this.bodies.clear();
		rmSync(this.folder, { recursive: true, force: true });
	}

	private fileOf(seq: number): string {
		return path.join(this.folder, `${String(seq).padStart(16, '0')}.json`);
	}

	private readValid(seq: number): string | undefined {
		try {
			const body = readFileSync(this.fileOf(seq), 'utf8');
			JSON.parse(body);
			return body;
		} catch {
			return undefined;
		}
	}

	private unlink(seq: number): void {
		try {
			unlinkSync(this.fileOf(seq));
		} catch {
			// Already gone: the folder was removed with its registration.
		}
	}
}
