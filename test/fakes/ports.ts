// Fixed loopback ports for the fakes an operator runs by hand (the local demo, the sandbox of `npm start`):
// a port from the environment or a default, and a "port taken" error that says what to do.

/** The port in `process.env[name]`, or `fallback` when unset; an error that names the variable otherwise. */
export function portFromEnv(name: string, fallback: number, env: NodeJS.ProcessEnv = process.env): number {
	const value = env[name];
	if (value === undefined || value === '') return fallback;
	const port = Number(value);
	if (!Number.isInteger(port) || port < 1 || port > 65535) {
		throw new Error(`${name}=${value} is not a port number: use an integer from 1 to 65535.`);
	}
	return port;
}

/**
 * Runs `listen(port)`; when the port is taken, the error says which server wanted it and how to move it
 * (`envName`), instead of Node's bare EADDRINUSE.
 */
export async function listenOrExplain<T>(
	label: string,
	envName: string,
	port: number,
	listen: (port: number) => Promise<T>,
): Promise<T> {
	try {
		return await listen(port);
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
			throw new Error(
				`Port ${port} for the ${label} is in use: stop what holds it or set ${envName} to another port.`,
			);
		}
		throw error;
	}
}
