// A bound on a call into WhatsApp Web: puppeteer's evaluate() has no timeout of its own, and a page that
// hangs (frozen tab, stalled socket) would otherwise hold the caller forever.

/** Settles like `promise`, or rejects with `onTimeout()` after `ms`; the timer never outlives the call. */
export function withTimeout<T>(promise: Promise<T>, ms: number, onTimeout: () => unknown): Promise<T> {
	let timer: NodeJS.Timeout | undefined;
	const timeout = new Promise<never>((_, reject) => {
		timer = setTimeout(() => reject(onTimeout()), ms);
	});
	return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
