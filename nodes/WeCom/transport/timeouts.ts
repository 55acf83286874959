/**
 * How long each WeCom call may take, and how long a refused gettoken is remembered: every such
 * number of the transport, in one place. Pure, no n8n imports. docs/wecom-api.md explains them.
 *
 * Why the transport sets its own: n8n's request default is 300 s, so one call that WeCom (or the
 * proxy in the credential's Base URL) accepts and never answers would hold its execution, and for
 * kf/sync_msg the pull lock of the kf account, for five minutes. WeCom itself answers these calls in
 * well under a second; the numbers leave room for a slow cross-border link or proxy, not for a hang.
 *
 * Not a frozen object: tests shorten the numbers so a stalled server fails in a fraction of a second.
 */
export const WECOM_TIMEOUTS = {
	/**
	 * GET /cgi-bin/gettoken: a small answer, and every caller of the credential waits on the one
	 * fetch in flight, so a stall there stalls them all.
	 */
	tokenMs: 10_000,
	/** Every other JSON call (sends, session changes, lists): small bodies both ways. */
	callMs: 15_000,
	/**
	 * POST /cgi-bin/kf/sync_msg, per page: an answer of up to 1,000 messages, read while the kf
	 * account's pull lock is held, so it gets a little more than a call and far less than minutes.
	 */
	syncMsgMs: 20_000,
	/**
	 * POST /cgi-bin/media/upload: `callMs` plus the file at this rate (1 Mbit/s, a slow office uplink),
	 * so a 20 MB file (WeCom's largest) has about 3 minutes and a 2 MB image about 32 s.
	 */
	uploadBytesPerSecond: 125_000,
	/**
	 * How long a gettoken that WeCom refused (wrong secret or Corp ID, untrusted IP, 45009) is
	 * remembered per credential: callers meanwhile get the same answer without asking WeCom again.
	 * Repeated failed gettoken calls get the server's IP blocked for an hour (45009), for every app
	 * calling from it; a trusted-IP change takes about a minute to apply anyway. A changed Corp ID,
	 * Secret or Base URL is another credential key and is asked at once.
	 */
	refusedTokenMemoryMs: 60_000,
};

/**
 * Calls after which a lost answer does no harm: reading them again returns the same thing. Any other
 * call (a send, a session change, a recall, an upload, a single-use OAuth code) may have been carried
 * out by WeCom even though no answer arrived, which the error then says.
 */
const SAFE_TO_REPEAT = new Set([
	'/cgi-bin/gettoken',
	'/cgi-bin/get_jsapi_ticket',
	'/cgi-bin/ticket/get',
	'/cgi-bin/kf/sync_msg',
	'/cgi-bin/kf/account/list',
	'/cgi-bin/kf/servicer/list',
	'/cgi-bin/kf/customer/batchget',
	'/cgi-bin/kf/service_state/get',
]);

export interface CallLimit {
	/** The whole call, from connecting to the last byte of the answer. */
	timeoutMs: number;
	/** Whether WeCom carrying out the call twice does no harm (see SAFE_TO_REPEAT). */
	safeToRepeat: boolean;
}

/** The time limit of one call to `endpoint` (a path such as /cgi-bin/message/send). */
export function callLimit(endpoint: string, uploadBytes = 0): CallLimit {
	const path = endpoint.split('?')[0];
	let timeoutMs = WECOM_TIMEOUTS.callMs;
	if (path === '/cgi-bin/gettoken') timeoutMs = WECOM_TIMEOUTS.tokenMs;
	else if (path === '/cgi-bin/kf/sync_msg') timeoutMs = WECOM_TIMEOUTS.syncMsgMs;
	if (uploadBytes > 0) {
		timeoutMs = WECOM_TIMEOUTS.callMs + Math.ceil((uploadBytes / WECOM_TIMEOUTS.uploadBytesPerSecond) * 1000);
	}
	return { timeoutMs, safeToRepeat: SAFE_TO_REPEAT.has(path) };
}
