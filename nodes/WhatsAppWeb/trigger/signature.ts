import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The gateway's webhook signature (docs/whatsapp-gateway-api.md): X-Gateway-Signature is
 * `sha256=<hex HMAC-SHA256(webhook secret, "<X-Gateway-Timestamp>.<raw body>")>`. The timestamp is inside the
 * signed text, so a captured delivery cannot be replayed later with a fresh timestamp. Pure, no n8n imports.
 */

/** The contract's window: a delivery whose timestamp is further than this from our clock is refused. */
export const MAX_TIMESTAMP_SKEW_SECONDS = 300;

export type SignatureVerdict = 'ok' | 'missing' | 'badTimestamp' | 'staleTimestamp' | 'badSignature' | 'noSecret';

export function gatewaySignature(secret: string, timestamp: string, rawBody: Buffer): string {
	return 'sha256=' + createHmac('sha256', secret).update(`${timestamp}.`).update(rawBody).digest('hex');
}

export function verifyGatewaySignature(options: {
	secret: string;
	timestamp: string | undefined;
	signature: string | undefined;
	rawBody: Buffer;
	nowSeconds: number;
}): SignatureVerdict {
	const { secret, timestamp, signature, rawBody, nowSeconds } = options;
	// An empty secret would make every signature computable by anyone.
	if (!secret) return 'noSecret';
	if (!timestamp || !signature) return 'missing';
	if (!/^\d{1,12}$/.test(timestamp)) return 'badTimestamp';
	if (Math.abs(nowSeconds - Number(timestamp)) > MAX_TIMESTAMP_SKEW_SECONDS) return 'staleTimestamp';
	const expected = Buffer.from(gatewaySignature(secret, timestamp, rawBody));
	const given = Buffer.from(signature.trim().toLowerCase());
	// timingSafeEqual throws on different lengths; the length of a hex SHA-256 is no secret.
	if (given.length !== expected.length || !timingSafeEqual(given, expected)) return 'badSignature';
	return 'ok';
}
