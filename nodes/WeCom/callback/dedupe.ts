import { createHash } from 'node:crypto';

import { RecentKeys, RetryGate, type Sleep } from '../../common/retryGate';

/**
 * How long a callback is remembered. WeCom retries a callback it got no answer for within 5 seconds, up to 3
 * times (doc 90930), so retries come within seconds; an hour is far beyond that, and it bounds how old a
 * replayed callback the timestamp check must refuse (docs/callbacks.md).
 */
export const RETRY_MEMORY_SECONDS = 60 * 60;

/**
 * 50,000 keys is a few MB at most, and an hour of callbacks at up to ~13/s: one n8n process on 2 cores stores about
 * 5-10/s through this trigger on n8n's defaults, about 39/s with lazy isolate acquisition (bench/README.md, trigger-load).
 */
export const RETRY_MEMORY_KEYS = 50_000;

/**
 * The key a retry of the same callback shares. Messages have a MsgId. Events have none, and
 * FromUserName + CreateTime (the doc's suggestion) collides for batch events sent in the same second, so
 * events are keyed by a hash of the whole decrypted payload.
 */
export function callbackDedupeKey(message: Record<string, unknown>, decryptedXml: string): string {
	const msgId = message.MsgId ?? message.MsgID;
	if (typeof msgId === 'string' && msgId !== '') return `msg:${msgId}`;
	return `payload:${createHash('sha256').update(decryptedXml).digest('base64url')}`;
}

/**
 * How long a retry that finds its first delivery still being stored waits for n8n's answer to it. WeCom hangs up
 * on a request after 5 seconds (doc 90930): a longer wait answers nobody.
 */
export const RETRY_WAIT_MS = 5_000;

/** The WeCom Trigger's retry gate, sized for WeCom's retry schedule. */
export function weComRetryGate(sleep: Sleep): RetryGate {
	return new RetryGate({
		sleep,
		recent: new RecentKeys(RETRY_MEMORY_KEYS, RETRY_MEMORY_SECONDS * 1000),
		retryWaitMs: RETRY_WAIT_MS,
	});
}
