/**
 * What a person reads when the gateway says no: its error code, the HTTP status and what to do next.
 * Pure, no n8n imports. The codes are the contract's (docs/whatsapp-gateway-api.md).
 */

export interface GatewayRefusal {
	status: number;
	/** The gateway's `error`, or `http_<status>` when the answer was not the gateway's JSON. */
	code: string;
	/** The gateway's own `message` (it says what to do in one sentence; for not_ready it names the state). */
	gatewayMessage?: string;
	/** From Retry-After, on 429. */
	retryAfterSeconds?: number;
}

const HINTS: Readonly<Record<string, (refusal: GatewayRefusal) => string>> = {
	unauthorized: () =>
		'Copy the API key the gateway was started with into the WhatsApp Web Gateway credential.',
	not_ready: (refusal) =>
		`The WhatsApp session is not ready${refusal.gatewayMessage ? ` (${refusal.gatewayMessage})` : ''}: check it with Session → Get Status, and scan the QR code if it waits for one.`,
	not_on_whatsapp: () =>
		'This number has no WhatsApp account: check it (country code first, e.g. +86 138 0000 0000), or test numbers first with Contact → Check Number.',
	no_qr: (refusal) =>
		`No QR code is pending${refusal.gatewayMessage ? ` (${refusal.gatewayMessage})` : ''}: a linked session needs none; after Session → Log Out a new one comes within seconds.`,
	rate_limited: (refusal) =>
		`The gateway's hourly send cap is reached (it protects the number from a ban): try again in ${refusal.retryAfterSeconds ?? 'a few'} s, or raise the cap on the gateway.`,
	too_large: () => 'Send a smaller file, or raise the gateway\'s media size limit.',
	send_failed: (refusal) =>
		`WhatsApp Web did not take the message${refusal.gatewayMessage ? ` (${refusal.gatewayMessage})` : ''}: try again, and check that the phone is online if it repeats.`,
	timeout: () =>
		'WhatsApp Web did not confirm in time; the message may still arrive. Look at the chat before sending it again.',
	bad_request: (refusal) => `${refusal.gatewayMessage ?? 'The gateway refused the request'}. Check the node's fields.`,
};

export function refusalHint(refusal: GatewayRefusal): string {
	const hint = HINTS[refusal.code];
	if (hint) return hint(refusal);
	return refusal.gatewayMessage ?? 'Check the gateway\'s log for the cause.';
}

export function refusalMessage(refusal: GatewayRefusal): string {
	return `The WhatsApp Web gateway answered ${refusal.code} (HTTP ${refusal.status})`;
}

/** Seconds from a Retry-After header (seconds or an HTTP date); undefined when absent or unreadable. */
export function retryAfterSeconds(header: unknown, now = Date.now()): number | undefined {
	const text = Array.isArray(header) ? String(header[0]) : typeof header === 'string' ? header : undefined;
	if (text === undefined || text.trim() === '') return undefined;
	if (/^\d+$/.test(text.trim())) return Number(text.trim());
	const date = Date.parse(text);
	return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - now) / 1000));
}

/** The refusal in an error answer, whatever its body is (JSON text, a Buffer, parsed JSON, nothing). */
export function readRefusal(status: number, body: unknown, headers: Record<string, unknown> = {}): GatewayRefusal {
	let parsed: unknown = body;
	if (Buffer.isBuffer(body)) parsed = body.toString('utf8');
	if (typeof parsed === 'string') {
		try {
			parsed = JSON.parse(parsed) as unknown;
		} catch {
			parsed = undefined;
		}
	}
	const fields = typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {};
	const code = typeof fields.error === 'string' && /^[a-z_]{1,40}$/.test(fields.error) ? fields.error : `http_${status}`;
	const refusal: GatewayRefusal = { status, code };
	// Bounded: the message lands in the execution's error, whatever the far side sent.
	if (typeof fields.message === 'string' && fields.message.trim()) refusal.gatewayMessage = fields.message.trim().slice(0, 300);
	if (status === 429) refusal.retryAfterSeconds = retryAfterSeconds(headers['retry-after']);
	return refusal;
}
