/**
 * `work` for every entry of `inputs`, at most `limit` at a time; results in the order of `inputs`. The first
 * failure rejects and stops starting new work (calls already running finish on their own). No n8n imports:
 * pure code (the directory reads, and anything a benchmark runs without n8n) shares it.
 */
export async function mapWithConcurrency<T, R>(
	inputs: readonly T[],
	limit: number,
	work: (input: T, index: number) => Promise<R>,
): Promise<R[]> {
	const results = new Array<R>(inputs.length);
	let next = 0;
	let failed = false;
	const worker = async (): Promise<void> => {
		while (!failed && next < inputs.length) {
			const index = next++;
			results[index] = await work(inputs[index], index).catch(async (error: unknown) => {
				failed = true;
				return await Promise.reject(error);
			});
		}
	};
	const workers = Math.max(1, Math.min(Math.trunc(limit) || 1, inputs.length));
	await Promise.all(Array.from({ length: workers }, worker));
	return results;
}
