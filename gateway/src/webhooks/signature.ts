// The webhook signature of the contract: X-Gateway-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<raw body>")>.
// Signing the timestamp with the body lets a receiver refuse a replayed request without keeping state.
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_PREFIX = 'sha256=';
/** How far a receiver lets the signed timestamp be from its own clock, in seconds. */
export const TIMESTAMP_TOLERANCE_SECONDS = 300;

export function signPayload(secret: string, timestamp: number | string, rawBody: string | Buffer): string {
	const hmac = createHmac('sha256', secret);
	hmac.update(`${timestamp}.`);
	hmac.update(rawBody);
	return SIGNATURE_PREFIX + hmac.digest('hex');
}

/**
 * The reference check a receiver makes: true only when `header` is the signature of this timestamp and
 * raw body, compared in constant time, and the timestamp is within 300 s of `nowSeconds`.
 */
export function verifySignature(
	secret: string,
	timestamp: number | string,
	rawBody: string | Buffer,
	header: string | undefined,
	nowSeconds: number = Date.now() / 1000,
): boolean {
	if (typeof header !== 'string' || !/^\d{1,12}$/.test(String(timestamp))) return false;
	if (Math.abs(nowSeconds - Number(timestamp)) > TIMESTAMP_TOLERANCE_SECONDS) return false;
	const expected = Buffer.from(signPayload(secret, timestamp, rawBody));
	const given = Buffer.from(header);
	// The length of a valid header is public (71 characters), so leaving early on it tells nothing.
	return given.length === expected.length && timingSafeEqual(given, expected);
}
