// The executions n8n saved, read from its SQLite database, so that the simulator can link each message to
// its execution on a fresh instance: n8n's REST and public APIs need a login or an API key, which a fresh
// instance has not got (the operator creates the owner account in the editor). Read-only, and only the
// summary columns; n8n opens SQLite in WAL mode, where a reader never blocks its writes. With Postgres (or
// before n8n has made its database) there is nothing to read and the simulator links the workflow's
// executions list instead.
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { DatabaseSync } from 'node:sqlite';

export interface ExecutionRow {
	id: string;
	status: string;
	/** Milliseconds since the epoch. */
	startedAt: number;
}

export interface ExecutionLog {
	/** The executions of `workflowId` whose id is above `afterId`, oldest first; [] when unreadable. */
	since(workflowId: string, afterId: number): ExecutionRow[];
	/** The highest execution id so far (any workflow), 0 when none or unreadable. */
	lastId(): number;
	readonly readable: boolean;
	close(): void;
}

/** Where n8n keeps its SQLite database for this environment, or undefined when it uses another database. */
export function n8nSqliteFile(userFolder: string, env: NodeJS.ProcessEnv): string | undefined {
	const type = env.DB_TYPE ?? 'sqlite';
	if (type !== 'sqlite') return undefined;
	return path.join(userFolder, '.n8n', env.DB_SQLITE_DATABASE ?? 'database.sqlite');
}

/** n8n writes startedAt as UTC text ("2026-11-30 14:02:03.456"). */
function utcMillis(value: unknown): number {
	if (typeof value !== 'string') return 0;
	return Date.parse(`${value.replace(' ', 'T')}${/Z|[+-]\d\d:?\d\d$/.test(value) ? '' : 'Z'}`);
}

export function openExecutionLog(file: string | undefined): ExecutionLog {
	let db: DatabaseSync | undefined;
	const open = (): DatabaseSync | undefined => {
		if (db || !file || !existsSync(file)) return db;
		try {
			// Loaded on first use: node:sqlite exists from Node 22.5; without it the simulator links lists.
			// eslint-disable-next-line @typescript-eslint/no-require-imports
			const { DatabaseSync: Database } = require('node:sqlite') as typeof import('node:sqlite');
			db = new Database(file, { readOnly: true });
		} catch {
			db = undefined;
		}
		return db;
	};
	const query = <T>(run: (database: DatabaseSync) => T, fallback: T): T => {
		const database = open();
		if (!database) return fallback;
		try {
			return run(database);
		} catch {
			// The table is not there yet (n8n still migrating a new database): nothing to show this time.
			return fallback;
		}
	};
	return {
		get readable() {
			return open() !== undefined;
		},
		since: (workflowId, afterId) =>
			query(
				(database) =>
					database
						.prepare(
							'SELECT id, status, startedAt FROM execution_entity WHERE workflowId = ? AND CAST(id AS INTEGER) > ? ORDER BY CAST(id AS INTEGER)',
						)
						.all(workflowId, afterId)
						.map((row) => ({ id: String(row.id), status: String(row.status), startedAt: utcMillis(row.startedAt) })),
				[] as ExecutionRow[],
			),
		lastId: () =>
			query((database) => {
				const row = database.prepare('SELECT MAX(CAST(id AS INTEGER)) AS last FROM execution_entity').get();
				return Number(row?.last ?? 0);
			}, 0),
		close: () => db?.close(),
	};
}
