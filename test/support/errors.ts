/** Everything an error could show a person or a log, flattened to one string (for "no secret leaks" checks). */
export function everything(error: unknown): string {
	const seen = new WeakSet<object>();
	return JSON.stringify(
		{
			error,
			message: (error as Error).message,
			description: (error as { description?: unknown }).description,
			stack: (error as Error).stack,
			cause: (error as { cause?: unknown }).cause,
		},
		(_key, value: unknown) => {
			if (typeof value === 'object' && value !== null) {
				if (seen.has(value)) return undefined;
				seen.add(value);
			}
			return value;
		},
	);
}
