/**
 * shared/workflowState.ts: the process's copy is the truth, and every execution's static data (n8n saves
 * each one whole when the execution ends) gets the newest state, so the last save never goes back.
 */
import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';

import type { IDataObject } from 'n8n-workflow';

import { openWorkflowState, resetWorkflowStates } from '../../nodes/shared/workflowState';

/** What a node sees of one execution: the workflow id and that execution's own static data. */
function execution(workflowId: string, loaded: IDataObject = {}) {
	const global: IDataObject = structuredClone(loaded);
	return {
		global,
		context: {
			getWorkflow: () => ({ id: workflowId, name: 'wf', active: true }),
			getWorkflowStaticData: (type: string) => {
				assert.equal(type, 'global');
				return global;
			},
		},
	};
}

interface Cursor {
	cursor: number;
}

beforeEach(() => resetWorkflowStates());

describe('workflow state', () => {
	it('an execution that started earlier and saves last still saves the newest state', () => {
		const database: IDataObject = {};
		const early = execution('wf1', database);
		const late = execution('wf1', database);
		const earlyState = openWorkflowState<Cursor>(early.context, 'ns', () => ({ cursor: 0 }));
		earlyState.update((d) => void (d.cursor = 1));
		const lateState = openWorkflowState<Cursor>(late.context, 'ns', () => ({ cursor: 0 }));
		assert.equal(lateState.read().cursor, 1, 'the later execution starts from the process copy');
		lateState.update((d) => void (d.cursor = 2));
		// late saves first, early saves last: what n8n writes last must hold cursor 2.
		Object.assign(database, structuredClone(late.global));
		Object.assign(database, structuredClone(early.global));
		assert.deepEqual(database.ns, { cursor: 2 });
	});

	it('a new process starts from what n8n saved; other workflows and namespaces are apart', () => {
		const first = execution('wf1');
		openWorkflowState<Cursor>(first.context, 'ns', () => ({ cursor: 0 })).update(() => ({ cursor: 7 }));
		openWorkflowState<Cursor>(execution('wf2').context, 'ns', () => ({ cursor: 0 })).update(() => ({ cursor: 99 }));
		resetWorkflowStates();
		const restarted = execution('wf1', first.global);
		assert.equal(openWorkflowState<Cursor>(restarted.context, 'ns', () => ({ cursor: 0 })).read().cursor, 7);
		assert.equal(openWorkflowState<Cursor>(restarted.context, 'other', () => ({ cursor: -1 })).read().cursor, -1);
	});

	it('revive refuses what an older version stored, and the state starts afresh', () => {
		const old = execution('wf3', { ns: { something: 'else' } });
		const state = openWorkflowState<Cursor>(
			old.context,
			'ns',
			() => ({ cursor: 0 }),
			(stored) => (typeof (stored as Cursor).cursor === 'number' ? (stored as Cursor) : undefined),
		);
		assert.deepEqual(state.read(), { cursor: 0 });
	});

	it('the saved snapshot does not change when the state changes later', () => {
		const one = execution('wf4');
		const state = openWorkflowState<Cursor>(one.context, 'ns', () => ({ cursor: 0 }));
		state.update((d) => void (d.cursor = 1));
		const saved = one.global.ns;
		state.update((d) => void (d.cursor = 2));
		assert.deepEqual(saved, { cursor: 1 });
		assert.deepEqual(one.global.ns, { cursor: 2 });
	});
});
