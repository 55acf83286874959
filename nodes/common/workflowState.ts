import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';

/**
 * State a node keeps per workflow across executions and restarts (kf cursors, hand-off pauses):
 * n8n's workflow static data, with this process's copy as the truth while the process runs.
 * docs/state.md says what n8n does with static data and what holds in queue mode.
 *
 * Why not static data alone: each execution gets its own copy, loaded when it starts and saved
 * whole when it ends (also when it failed), and the last save wins. Two executions that overlap
 * (two customers writing at once) would each save what they saw, so the one that ends last could
 * write back an older cursor or forget a hand-off. Here every change goes to the process's copy,
 * and the static data of every execution of that workflow that may still be running in this
 * process reads the newest state, so whichever execution saves last saves the newest state.
 *
 * Why a getter: a JSON copy of the whole state for the static data on every change (with the
 * AutoReply state's rebuild) cost ~18-25 ms of CPU per item at 5,000 conversations
 * (bench/state-write.bench.ts). The namespace key of each execution's static data is a getter
 * instead: a write only bumps a version and tells n8n that the static data changed, and the copy
 * n8n serialises is made when it is read, once per version. What a read returned never changes
 * afterwards (a copy, not the process's state).
 *
 * Why a getter per execution (`savedBy`): n8n saves an execution's static data only when that
 * execution ends, so what it writes may leave out what only a still-running execution needs kept
 * (the kf pull's messages in flight: docs/state.md). The getter is also read in the middle of an
 * execution (a Code node sends the static data to n8n's task runner), so a read is never taken as
 * the sign that the execution has ended.
 */

export interface WorkflowState<T> {
	/** The current state. Read only: change it with `update`. */
	read(): Readonly<T>;
	/** Changes the state (mutate the draft or return a new value) and hands it to n8n for saving. */
	update(change: (draft: T) => T | void): Readonly<T>;
}

interface Entry {
	value: unknown;
	/** Bumped by every update: the copy below is reused until the state changes. */
	version: number;
	copy?: { version: number; value: unknown };
	/** A copy of the newest state, made once per version. */
	read: () => unknown;
	/** Static data of this workflow's recent executions in this process (weakly held), each with its getter. */
	live: LiveExecution[];
}

interface LiveExecution {
	data: WeakRef<IDataObject>;
	/** The getter installed on that execution's static data: what n8n saves for it. */
	read: () => unknown;
}

/** How many executions of one workflow may overlap and still all get the newest state. */
const MAX_LIVE_EXECUTIONS = 256;

/**
 * Assigned through n8n's ObservableObject proxy, whose `set` trap marks the workflow's static
 * data as changed (`__dataChanged`), the only signal n8n saves it on; the getter's setter then
 * ignores it, so the getter stays.
 */
const CHANGED = Symbol('changed');

const entries = new Map<string, Entry>();

function clone<T>(value: T): T {
	return JSON.parse(JSON.stringify(value)) as T;
}

/**
 * Makes `data[namespace]` read the newest state through `read`. Anything else assigned to it later
 * (a Code node writing the static data, n8n wrapping it) becomes a plain value again, as before the getter.
 */
function install(data: IDataObject, namespace: string, read: () => unknown): void {
	if (Object.getOwnPropertyDescriptor(data, namespace)?.get === read) return;
	Object.defineProperty(data, namespace, {
		get: read,
		set(this: IDataObject, value: unknown) {
			if (value === CHANGED) return;
			Object.defineProperty(this, namespace, { value, writable: true, enumerable: true, configurable: true });
		},
		enumerable: true,
		configurable: true,
	});
}

/**
 * Opens the state `namespace` (a key of the workflow's global static data, e.g. 'kefuKfCursors')
 * for this execution. `initial` makes the state when neither this process nor n8n's database has
 * one; `revive` checks what was loaded from the database (it may come from an older version).
 * `snapshot` copies the state for n8n to save: a copy that shares nothing the state may change
 * later (default: a JSON round trip, which also calls a class's `toJSON`). `savedBy`, when given,
 * makes from that copy what the static data of one execution saves when it ends (it must not change
 * the copy, which other executions share).
 */
export function openWorkflowState<T>(
	context: Pick<IExecuteFunctions, 'getWorkflow' | 'getWorkflowStaticData' | 'getExecutionId'>,
	namespace: string,
	initial: () => T,
	revive: (stored: unknown) => T | undefined = (stored) => stored as T,
	snapshot: (state: T) => unknown = clone,
	savedBy?: (copy: unknown, executionId: string) => unknown,
): WorkflowState<T> {
	const workflowId = context.getWorkflow().id ?? '';
	const staticData = context.getWorkflowStaticData('global');
	const key = `${workflowId}\u0000${namespace}`;
	let entry = entries.get(key);
	if (!entry) {
		const stored = staticData[namespace];
		const loaded = stored === undefined || stored === null ? undefined : revive(clone(stored));
		const created: Entry = {
			value: loaded ?? initial(),
			version: 0,
			live: [],
			read: () => {
				if (created.copy?.version !== created.version) {
					created.copy = { version: created.version, value: snapshot(created.value as T) };
				}
				return created.copy.value;
			},
		};
		entry = created;
		entries.set(key, entry);
	}
	const current = entry;
	let live = current.live.find((execution) => execution.data.deref() === staticData);
	if (!live) {
		const save = savedBy;
		const executionId = save ? String(context.getExecutionId() ?? '') : '';
		live = {
			data: new WeakRef(staticData),
			read: save ? () => save(current.read(), executionId) : current.read,
		};
		current.live = current.live.filter((execution) => execution.data.deref() !== undefined);
		current.live.push(live);
		if (current.live.length > MAX_LIVE_EXECUTIONS) current.live.shift();
	}
	// Without marking it changed: should n8n save this execution's static data for another reason
	// (another namespace changed), it saves the newest state rather than the older one it loaded.
	install(staticData, namespace, live.read);

	return {
		read: () => current.value as T,
		update(change) {
			const draft = current.value as T;
			const result = change(draft);
			current.value = result === undefined ? draft : result;
			current.version++;
			for (const execution of current.live) {
				const data = execution.data.deref();
				if (!data) continue;
				install(data, namespace, execution.read);
				(data as Record<string, unknown>)[namespace] = CHANGED;
			}
			return current.value as T;
		},
	};
}

/** Forgets every process copy (tests: a new process after a restart). */
export function resetWorkflowStates(): void {
	entries.clear();
}
