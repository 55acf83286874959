import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';

/**
 * State a node keeps per workflow across executions and restarts (kf cursors, hand-off pauses):
 * n8n's workflow static data, which n8n saves to its database at the end of every production
 * execution, with this process's copy as the truth while the process runs.
 *
 * Why not static data alone: each execution gets its own copy, loaded when it starts and saved
 * whole when it ends, and the last save wins. Two executions that overlap (two customers writing
 * at once) would each save what they saw, so the one that ends last could write back an older
 * cursor or forget a hand-off. Here every change goes to the process's copy and into the static
 * data of every execution of that workflow that may still be running in this process, so
 * whichever execution saves last saves the newest state.
 *
 * What holds where: one n8n process (the default) — exact. Queue mode — each worker has its own
 * copy; overlapping executions on different workers can still overwrite each other's save (the
 * README says how to run kf and hand-off workflows there). Manual runs from the editor share the
 * process's copy but n8n never saves their static data.
 */

export interface WorkflowState<T> {
	/** The current state. Read only: change it with `update`. */
	read(): Readonly<T>;
	/** Changes the state (mutate the draft or return a new value) and hands it to n8n for saving. */
	update(change: (draft: T) => T | void): Readonly<T>;
}

interface Entry {
	value: unknown;
	/** Static data of this workflow's recent executions in this process (weakly held). */
	live: Array<WeakRef<IDataObject>>;
}

/** How many executions of one workflow may overlap and still all get the newest state. */
const MAX_LIVE_EXECUTIONS = 256;

const entries = new Map<string, Entry>();

function clone<T>(value: T): T {
	return JSON.parse(JSON.stringify(value)) as T;
}

/**
 * Opens the state `namespace` (a key of the workflow's global static data, e.g. 'kefuKfCursors')
 * for this execution. `initial` makes the state when neither this process nor n8n's database has
 * one; `revive` checks what was loaded from the database (it may come from an older version).
 */
export function openWorkflowState<T>(
	context: Pick<IExecuteFunctions, 'getWorkflow' | 'getWorkflowStaticData'>,
	namespace: string,
	initial: () => T,
	revive: (stored: unknown) => T | undefined = (stored) => stored as T,
): WorkflowState<T> {
	const workflowId = context.getWorkflow().id ?? '';
	const staticData = context.getWorkflowStaticData('global');
	const key = `${workflowId}\u0000${namespace}`;
	let entry = entries.get(key);
	if (!entry) {
		const stored = staticData[namespace];
		const loaded = stored === undefined || stored === null ? undefined : revive(clone(stored));
		entry = { value: loaded ?? initial(), live: [] };
		entries.set(key, entry);
	}
	const current = entry;
	if (!current.live.some((ref) => ref.deref() === staticData)) {
		current.live = current.live.filter((ref) => ref.deref() !== undefined);
		current.live.push(new WeakRef(staticData));
		if (current.live.length > MAX_LIVE_EXECUTIONS) current.live.shift();
	}

	return {
		read: () => current.value as T,
		update(change) {
			const draft = current.value as T;
			const result = change(draft);
			current.value = result === undefined ? draft : result;
			// One snapshot shared by every execution's static data: n8n only serialises it.
			const snapshot = clone(current.value) as IDataObject;
			for (const ref of current.live) {
				const data = ref.deref();
				if (data) data[namespace] = snapshot;
			}
			return current.value as T;
		},
	};
}

/** Forgets every process copy (tests: a new process after a restart). */
export function resetWorkflowStates(): void {
	entries.clear();
}
