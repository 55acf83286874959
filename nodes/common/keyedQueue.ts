/**
 * Runs work for one key at a time, in arrival order, within this process (e.g. one kf/sync_msg
 * pull per kf account: two pulls from the same cursor at once would hand the same messages to
 * two executions). Work for different keys runs side by side. A failed run does not stop the
 * next one.
 */
const tails = new Map<string, Promise<unknown>>();

export async function runExclusive<T>(key: string, work: () => Promise<T>): Promise<T> {
	const previous = tails.get(key) ?? Promise.resolve();
	const run = previous.then(work); // `previous` is a tail: it never rejects
	const tail = run.then(
		() => undefined,
		() => undefined,
	);
	tails.set(key, tail);
	try {
		return await run;
	} finally {
		// Keep the map small: the last run of a key removes it.
		if (tails.get(key) === tail) tails.delete(key);
	}
}
