// What a refused callback is answered, and how the operator learns why: n8n's log, with per-reason counts.
// Pure logic: no n8n imports (the logger is n8n's, passed in).
import type { WeComCallbackErrorReason } from './crypto';

/** Every reason a callback gets no run and no "success": the checks of opening it, and a retry too early. */
export type RefusalReason = WeComCallbackErrorReason | 'retryPending';

export type RefusalStatus = 400 | 403 | 413 | 503;

// 403: the request is not from WeCom, or no longer (bad signature, too old, another corp's, a message
// replayed as a URL check). 400: a body or payload WeCom would not send, or a key that cannot decrypt it.
// 413: too big to be WeCom's. 503: a retry of a delivery n8n is still storing, so WeCom retries again.
const STATUS: Record<RefusalReason, RefusalStatus> = {
	missingParameter: 400,
	invalidSignature: 403,
	staleTimestamp: 403,
	notAnEcho: 403,
	ownReply: 403,
	receiveIdMismatch: 403,
	invalidAesKey: 400,
	invalidBase64: 400,
	invalidPadding: 400,
	invalidLength: 400,
	malformedXml: 400,
	bodyTooLarge: 413,
	retryPending: 503,
};

// The status line's own words are all a caller learns. The reason would tell a prober which checks its
// request passed (a right signature, the length of the configured key), so it goes to n8n's log only.
const STATUS_TEXT: Record<RefusalStatus, string> = {
	400: 'Bad Request',
	403: 'Forbidden',
	413: 'Payload Too Large',
	503: 'Service Unavailable',
};

export function refusalAnswer(reason: RefusalReason): { status: RefusalStatus; text: string } {
	const status = STATUS[reason];
	return { status, text: STATUS_TEXT[status] };
}

/** The part of n8n's logger used here. */
export interface RefusalLogger {
	warn(message: string, metadata?: Record<string, unknown>): void;
	debug(message: string, metadata?: Record<string, unknown>): void;
}

/** The trigger node a refusal belongs to. */
export interface RefusalSource {
	workflowId: string;
	nodeId: string;
	nodeName: string;
}

interface Tally {
	/** Since this process started. */
	total: Map<RefusalReason, number>;
	/** Reasons already logged in detail in this period. */
	detailed: Set<RefusalReason>;
	/** Refusals of this period that got no warning line of their own. */
	unlogged: Map<RefusalReason, number>;
	periodStart: number;
}

function increment(counts: Map<RefusalReason, number>, reason: RefusalReason): void {
	counts.set(reason, (counts.get(reason) ?? 0) + 1);
}

function listCounts(counts: Map<RefusalReason, number>): string {
	return [...counts].map(([reason, count]) => `${reason} ${count}`).join(', ');
}

/**
 * Counts refusals per trigger node and reason, in memory, and logs them so that a flood of forged requests
 * cannot flood the log: per node and period, the first refusal of each reason is logged as a warning with
 * its detail (what to fix), later ones only at debug level, and one summary line with the counts (of the
 * period and since n8n started) closes a period in which some went unlogged. n8n has no timer for community
 * nodes, so a period is closed by the first request to the node after it ends.
 */
export class RefusalLog {
	private readonly tallies = new Map<string, Tally>();

	constructor(
		private readonly periodMs = 60_000,
		private readonly maxNodes = 1_000,
		private readonly now: () => number = Date.now,
		/** The trigger's display name, which starts each log line. */
		private readonly triggerName = 'WeCom Trigger',
	) {}

	/** Closes the node's period when it is over. Call on every request, refused or not. */
	report(source: RefusalSource, logger: RefusalLogger): void {
		this.tally(source, logger);
	}

	record(source: RefusalSource, reason: RefusalReason, detail: string, logger: RefusalLogger): void {
		const tally = this.tally(source, logger);
		increment(tally.total, reason);
		const line = `${this.triggerName} refused a callback (${reason}): ${detail}`;
		const metadata = { workflowId: source.workflowId, node: source.nodeName, reason, status: STATUS[reason] };
		if (tally.detailed.has(reason)) {
			increment(tally.unlogged, reason);
			logger.debug(line, metadata);
		} else {
			tally.detailed.add(reason);
			logger.warn(line, metadata);
		}
	}

	/** Refusals per reason since this process started, for one trigger node. */
	totals(source: RefusalSource): Record<string, number> {
		return Object.fromEntries(this.tallies.get(this.key(source))?.total ?? []);
	}

	private key(source: RefusalSource): string {
		return `${source.workflowId}\u0000${source.nodeId}`;
	}

	private tally(source: RefusalSource, logger: RefusalLogger): Tally {
		const key = this.key(source);
		const now = this.now();
		let tally = this.tallies.get(key);
		if (tally === undefined) {
			tally = { total: new Map(), detailed: new Set(), unlogged: new Map(), periodStart: now };
			this.tallies.set(key, tally);
			// Map order is insertion order: the first key is the node refused longest ago (or never since).
			if (this.tallies.size > this.maxNodes) this.tallies.delete(this.tallies.keys().next().value as string);
		} else if (now - tally.periodStart >= this.periodMs) {
			this.closePeriod(source, tally, now, logger);
		}
		return tally;
	}

	private closePeriod(source: RefusalSource, tally: Tally, now: number, logger: RefusalLogger): void {
		if (tally.unlogged.size > 0) {
			let unlogged = 0;
			for (const count of tally.unlogged.values()) unlogged += count;
			const seconds = Math.round((now - tally.periodStart) / 1000);
			logger.warn(
				`${this.triggerName} "${source.nodeName}" refused ${unlogged} more callbacks in the last ${seconds} s than it logged one by one (${listCounts(tally.unlogged)}); since n8n started: ${listCounts(tally.total)}`,
				{
					workflowId: source.workflowId,
					node: source.nodeName,
					refusedUnlogged: Object.fromEntries(tally.unlogged),
					refusedSinceStart: Object.fromEntries(tally.total),
				},
			);
		}
		tally.detailed.clear();
		tally.unlogged.clear();
		tally.periodStart = now;
	}
}
