import { sleep } from 'n8n-workflow';

import { isTransientWeComError } from './errors';

/**
 * Sends that a busy moment should not fail: a WeCom call made again, after a pause, while its failure is one a
 * pause can cure (isTransientWeComError: -1 "system busy", 45033, no answer, an answer cut short, HTTP 5xx
 * whatever its body). WeCom's global errcode page (doc 90313) advises trying -1 again, at most 3 times in all.
 */

/** Attempts after the first. */
export const MAX_RETRIES = 2;
/** Pauses before the 2nd and the 3rd attempt. */
const RETRY_DELAYS_MS = [1_000, 3_000];

export interface RetryPolicy {
	/** Attempts after the first, 0 to MAX_RETRIES. */
	retries: number;
	/**
	 * Whether a second copy of the call is harmless when the first did arrive but its answer was lost (a
	 * time-out, a dropped connection): true when WeCom refuses or merges the copy itself (a kf msgid, an app
	 * message with duplicate check on, a transfer to where the session already is). When false, only
	 * failures WeCom answered, or connections that never opened, are tried again.
	 */
	idempotent: boolean;
}

/** Whether WeCom may have carried out a call whose answer never came (set by the transport on its errors). */
function mayHaveBeenApplied(error: unknown): boolean {
	const context = (error as { context?: { mayHaveBeenApplied?: unknown } } | undefined)?.context;
	return context?.mayHaveBeenApplied === true;
}

/** The number of retries an operator asked for, within 0..MAX_RETRIES; MAX_RETRIES when unset or not a number. */
export function retriesFrom(value: unknown): number {
	const retries = Number(value ?? MAX_RETRIES);
	return Number.isFinite(retries) ? Math.min(Math.max(Math.trunc(retries), 0), MAX_RETRIES) : MAX_RETRIES;
}

/**
 * `call` until it succeeds, fails in a way a pause does not cure, or `policy.retries` more attempts have
 * failed. Resolves with the answer and the number of attempts; rejects with the last error, whose
 * description then starts with how often it was tried.
 */
export async function withTransientRetries<T>(
	call: () => Promise<T>,
	policy: RetryPolicy,
): Promise<{ answer: T; attempts: number }> {
	for (let attempts = 1; ; attempts++) {
		const outcome = await call().then(
			(answer) => ({ answer }),
			(error: unknown) => ({ error }),
		);
		if ('answer' in outcome) return { answer: outcome.answer, attempts };
		const { error } = outcome;
		const retry =
			attempts <= policy.retries && isTransientWeComError(error) && (policy.idempotent || !mayHaveBeenApplied(error));
		if (!retry) {
			if (attempts > 1 && error instanceof Error) {
				const described = error as Error & { description?: string | null };
				described.description = `Tried ${attempts} times. ${described.description ?? ''}`.trim();
			}
			// The caller's own error (a NodeApiError of this node and item), passed on unchanged.
			throw error;
		}
		await sleep(RETRY_DELAYS_MS[Math.min(attempts - 1, RETRY_DELAYS_MS.length - 1)]);
	}
}
