/**
 * How the directory sync calls WeCom: through a client the node gives it (the transport, with its token
 * cache and time limits), at most `concurrency` calls at once, and again after a pause with jitter when
 * WeCom says it is busy or over a limit. Pure, no n8n imports: the bench drives it without n8n.
 */

export interface DirectoryClient {
	get(path: string, qs: Record<string, string | number>): Promise<Record<string, unknown>>;
	post(path: string, body: Record<string, unknown>): Promise<Record<string, unknown>>;
	/** The errcode of a call WeCom refused, undefined when no WeCom answer came (network, time limit). */
	errcodeOf(error: unknown): number | undefined;
	/** Whether a pause may cure this failure (the transport's verdict: -1, 45033, no answer, HTTP 5xx). */
	isTransient(error: unknown): boolean;
	/** What went wrong and what to do, in a sentence or two, without secrets. */
	describe(error: unknown): string;
}

/** -1 system busy, 45033 too many concurrent calls, 45009 a call limit (doc 90313, 90312). */
export const RATE_LIMIT_ERRCODES: ReadonlySet<number> = new Set([-1, 45009, 45033]);

export interface BackOff {
	/** Attempts after the first. */
	retries: number;
	/** The pause before the n-th retry is base·2ⁿ⁻¹, up to max, times a random factor in [0.5, 1). */
	baseMs: number;
	maxMs: number;
	random(): number;
}

/** A pause: n8n-workflow's sleep in the node (its lint bans timers in node code), any timer elsewhere. */
export type Sleep = (ms: number) => Promise<void>;

export const DEFAULT_BACK_OFF: BackOff = {
	retries: 4,
	baseMs: 500,
	maxMs: 8_000,
	random: Math.random,
};

/** A call that failed after its retries: the errcode (0 when WeCom gave none) and the sentence to show. */
export class DirectoryCallFailure extends Error {
	constructor(
		readonly path: string,
		readonly errcode: number,
		readonly description: string,
		readonly cause: unknown,
	) {
		super(description);
	}
}

/** Counts calls and runs them with retries; one per sync. */
export class DirectoryCaller {
	calls = 0;
	retried = 0;

	constructor(
		private readonly client: DirectoryClient,
		private readonly sleep: Sleep,
		private readonly backOff: BackOff = DEFAULT_BACK_OFF,
	) {}

	async get(path: string, qs: Record<string, string | number> = {}): Promise<Record<string, unknown>> {
		return await this.run(path, async () => await this.client.get(path, qs));
	}

	async post(path: string, body: Record<string, unknown>): Promise<Record<string, unknown>> {
		return await this.run(path, async () => await this.client.post(path, body));
	}

	private async run(path: string, call: () => Promise<Record<string, unknown>>): Promise<Record<string, unknown>> {
		for (let attempt = 0; ; attempt++) {
			this.calls++;
			const outcome = await outcomeOf(call());
			if ('answer' in outcome) return outcome.answer;
			const errcode = this.client.errcodeOf(outcome.error);
			const pauseMayCure = (errcode !== undefined && RATE_LIMIT_ERRCODES.has(errcode)) || this.client.isTransient(outcome.error);
			if (!pauseMayCure || attempt >= this.backOff.retries) {
				throw new DirectoryCallFailure(path, errcode ?? 0, this.client.describe(outcome.error), outcome.error);
			}
			this.retried++;
			const pause = Math.min(this.backOff.baseMs * 2 ** attempt, this.backOff.maxMs);
			// Jitter: calls refused together do not all come back together.
			await this.sleep(pause * (0.5 + this.backOff.random() / 2));
		}
	}}

/** A promise's answer or its error as a value, so a caller decides what to throw (and n8n's lint sees no rethrow). */
export async function outcomeOf<T>(promise: Promise<T>): Promise<{ answer: T } | { error: unknown }> {
	return await promise.then(
		(answer) => ({ answer }),
		(error: unknown) => ({ error }),
	);
}
