/**
 * The WhatsApp Web Trigger's retry memory: the gateway delivers at least once (docs/whatsapp-gateway-api.md), so a
 * delivery sent again with the same event id (its answer timed out, or the gateway restarted before it recorded
 * the 2xx) must start no second execution. Pure, no n8n imports.
 */
import { RecentKeys, RetryGate, type Sleep } from '../../common/retryGate';

/**
 * How long an event id is remembered: longer than the gateway's whole retry span (1½ to 2 hours), so a repeat of
 * an event n8n stored is acknowledged however late it comes.
 */
export const EVENT_MEMORY_SECONDS = 3 * 60 * 60;

/**
 * A few MB at most. Repeats come after the gateway's first backoff steps or right after its restart, minutes
 * after the first delivery: at the ~16 executions/s one n8n process on 2 cores stores, 50,000 ids still
 * reach back about 50 minutes.
 */
export const EVENT_MEMORY_KEYS = 50_000;

/**
 * How long a repeat that finds the first delivery still being stored waits for n8n's answer to it: the gateway
 * gives up on a delivery after 10 s (its request timeout) and sends it again later.
 */
export const EVENT_WAIT_MS = 10_000;

/** The key of one event for one trigger node; undefined when the event has no id (then it always runs). */
export function eventDedupeKey(workflowId: string, nodeId: string, eventId: string): string | undefined {
	return eventId === '' ? undefined : `${workflowId}:${nodeId}:${eventId}`;
}

export function gatewayRetryGate(sleep: Sleep): RetryGate {
	return new RetryGate({
		sleep,
		recent: new RecentKeys(EVENT_MEMORY_KEYS, EVENT_MEMORY_SECONDS * 1000),
		retryWaitMs: EVENT_WAIT_MS,
	});
}
