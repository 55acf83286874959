// One delivery attempt, and what its answer means. Kept apart from the queue so the rules of the
// contract (2xx done; 4xx other than 404/408/429 never retried; 429 waits for Retry-After) read in one place.
import * as http from 'node:http';
import * as https from 'node:https';

export type Outcome =
	| { kind: 'delivered'; status: number }
	| { kind: 'drop'; status: number }
	| { kind: 'retry'; status?: number; reason: string; retryAfterMs?: number };

// Keep-alive: at hundreds of events per second a new connection per event would cost more than the event.
const agents = {
	'http:': new http.Agent({ keepAlive: true, maxSockets: 16 }),
	'https:': new https.Agent({ keepAlive: true, maxSockets: 16 }),
};

export function post(url: URL, body: string, headers: Record<string, string>, timeoutMs: number, nowMs: number): Promise<Outcome> {
	const send = url.protocol === 'https:' ? https.request : http.request;
	return new Promise((resolve) => {
		const request = send(
			url,
			{
				method: 'POST',
				agent: agents[url.protocol as 'http:' | 'https:'],
				signal: AbortSignal.timeout(timeoutMs),
				headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body), ...headers },
			},
			(response) => {
				response.resume();
				response.on('end', () => resolve(classify(response.statusCode ?? 0, response.headers['retry-after'], nowMs)));
				response.on('error', (error) => resolve({ kind: 'retry', reason: describe(error) }));
			},
		);
		request.on('error', (error) => resolve({ kind: 'retry', reason: describe(error) }));
		request.end(body);
	});
}

export function classify(status: number, retryAfter: string | undefined, nowMs: number): Outcome {
	if (status >= 200 && status < 300) return { kind: 'delivered', status };
	if (status === 429) return { kind: 'retry', status, reason: 'HTTP 429', retryAfterMs: parseRetryAfter(retryAfter, nowMs) };
	// n8n answers 404 for every production webhook while it starts (before it has activated the workflows) and
	// while it shuts down: a receiver's restart, not a wrong URL. A URL that is gone for good is removed from the
	// registrations (the trigger does so when its workflow is unpublished), or given up after maxAttempts.
	if (status === 404) return { kind: 'retry', status, reason: 'HTTP 404 (n8n answers so while it starts or stops)' };
	if (status >= 400 && status < 500 && status !== 408) return { kind: 'drop', status };
	return { kind: 'retry', status, reason: `HTTP ${status}` };
}

/** Retry-After as seconds or as an HTTP date (RFC 9110, 10.2.3); undefined when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, nowMs: number): number | undefined {
	if (!value) return undefined;
	if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
	const at = Date.parse(value);
	return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

/**
 * Exponential backoff with "equal jitter": half the step is fixed, half random, so receivers coming back
 * are not hit by every gateway at the same instant, and no wait collapses to zero. attempt counts from 1.
 */
export function backoffMs(attempt: number, baseMs: number, maxMs: number, random: () => number): number {
	const step = Math.min(maxMs, baseMs * 2 ** (attempt - 1));
	return Math.round(step / 2 + (random() * step) / 2);
}

function describe(error: Error & { code?: string }): string {
	if (error.name === 'TimeoutError' || error.name === 'AbortError') return 'timeout';
	return error.code ?? error.message;
}
