/**
 * How long each call to the gateway may take. n8n's request default is 300 s; a gateway that accepted a
 * call and hangs (Chromium stuck) would hold the execution that long.
 *
 * Not a frozen object: tests shorten the numbers so a stalled gateway fails in a fraction of a second.
 */
export const GATEWAY_TIMEOUTS = {
	/** Status, QR, contacts, webhooks: the gateway answers from memory or one WhatsApp Web lookup. */
	callMs: 15_000,
	/**
	 * A send: the gateway spaces sends with jitter and waits for WhatsApp Web to confirm (it answers 504 itself
	 * when WhatsApp Web does not), and for media given by URL it downloads the file first.
	 */
	sendMs: 90_000,
	/** Media sent from n8n: `sendMs` plus the file at this rate (1 Mbit/s, a slow uplink). */
	uploadBytesPerSecond: 125_000,
	/**
	 * How long a send waits for a gateway that is restarting (connection refused, or the session STARTING or
	 * AUTHENTICATING): nothing was sent in either case, so trying again cannot send twice. Long enough for a
	 * restart with a saved login; a session that needs a QR code fails at once.
	 */
	restartWaitMs: 60_000,
	/** The first wait between two tries; it doubles up to 8 s. */
	restartRetryMs: 1_000,
};

export function sendTimeoutMs(uploadBytes: number): number {
	return GATEWAY_TIMEOUTS.sendMs + Math.ceil((uploadBytes / GATEWAY_TIMEOUTS.uploadBytesPerSecond) * 1000);
}
