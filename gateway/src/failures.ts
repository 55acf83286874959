// Why a session failed, in the contract's words (docs/whatsapp-gateway-api.md). whatsapp-web.js reports
// start failures only as a rejection of initialize(), with no event, and sometimes rejects with a bare
// string ('auth timeout'), so the cause is read from the text. The signatures below were reproduced
// with whatsapp-web.js 1.34.7 and Chromium (gateway/README.md, "Why a session fails").

export type FailureReason =
	| 'cannot_reach_whatsapp_web'
	| 'browser_launch_failed'
	| 'profile_locked'
	| 'auth_failure'
	| 'whatsapp_web_incompatible'
	| 'timeout'
	| 'logged_out';

export interface Failure {
	reason: FailureReason;
	/** The cause as seen, short, never a secret. */
	detail: string | null;
}

const MAX_DETAIL = 300;

export function errorText(error: unknown): string {
	if (error instanceof Error) return error.message;
	if (typeof error === 'string') return error;
	try {
		return JSON.stringify(error) ?? String(error);
	} catch {
		return String(error);
	}
}

/** First line only: Chromium's launch errors carry its whole stderr, including the wrapper's noise. */
function shortDetail(text: string): string {
	const line = text.split('\n').find((l) => l.trim() !== '') ?? text;
	return line.trim().slice(0, MAX_DETAIL);
}

/** Maps what initialize() (or a later engine call) threw to a reason. */
export function classifyStartError(error: unknown): Failure {
	const text = errorText(error);
	const net = /net::ERR_[A-Z0-9_]+/.exec(text);
	if (net) return { reason: 'cannot_reach_whatsapp_web', detail: net[0] };
	// "Code: 21 … profile appears to be in use by another Chromium process … on another computer" and
	// puppeteer's "The browser is already running for <userDataDir>" (an orphan Chromium holds it).
	if (/profile appears to be in use|browser is already running for/i.test(text)) {
		return { reason: 'profile_locked', detail: shortDetail(text) };
	}
	if (/Failed to launch the browser process|Browser was not found|Could not find Chrom|spawn .* ENOENT|EACCES/i.test(text)) {
		const noSandbox = /without --no-sandbox/.test(text);
		return {
			reason: 'browser_launch_failed',
			detail: noSandbox ? 'Running as root without --no-sandbox is not supported' : shortDetail(text),
		};
	}
	// The page loaded but is not a WhatsApp Web build the library can drive: its injection polls for
	// internals that are missing ('auth timeout', 'ready timeout', window.require …).
	if (/auth timeout|ready timeout|window\.require|WWebJS|Evaluation failed|Execution context was destroyed|detached Frame/i.test(text)) {
		return { reason: 'whatsapp_web_incompatible', detail: shortDetail(text) };
	}
	if (/Target closed|Session closed|Protocol error|browser has disconnected/i.test(text)) {
		return { reason: 'browser_launch_failed', detail: shortDetail(text) };
	}
	return { reason: 'timeout', detail: shortDetail(text) };
}

/** What a person should do next, per reason: the one sentence an error response or a log line carries. */
export const nextStep: Record<FailureReason, string> = {
	cannot_reach_whatsapp_web:
		'The gateway cannot open web.whatsapp.com: check the machine\'s internet access, DNS and proxy; it retries on its own.',
	browser_launch_failed:
		'Chromium did not start: check --chromium (default /usr/bin/chromium) points at an installed Chromium.',
	profile_locked:
		'Another Chromium still uses the session folder: stop it (or the other gateway using the same --data-dir), then restart.',
	auth_failure: 'WhatsApp refused the saved login: scan the new QR code to link the device again.',
	whatsapp_web_incompatible:
		'WhatsApp Web loaded but did not answer as whatsapp-web.js expects: upgrade the gateway\'s whatsapp-web.js.',
	timeout: 'WhatsApp Web did not get ready in time; the gateway retries on its own.',
	logged_out: 'The device was unlinked on the phone: scan the new QR code to link it again.',
};
