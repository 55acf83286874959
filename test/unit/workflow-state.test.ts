/**
 * common/workflowState.ts: the process's copy is the truth, and every execution's static data (n8n saves
 * each one whole when the execution ends) gets the newest state, so the last save never goes back.
 */
import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';

import type { IDataObject } from 'n8n-workflow';

import { openWorkflowState, resetWorkflowStates } from '../../nodes/common/workflowState';
import { n8nExecution } from '../support/n8n-execution';

let executions = 0;

/** What a node sees of one execution: the workflow id and that execution's own static data. */
function execution(workflowId: string, loaded: IDataObject = {}) {
	const global: IDataObject = structuredClone(loaded);
	const executionId = String(++executions);
	return {
		global,
		context: {
			getExecutionId: () => executionId,
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

	it('n8n sees the change in every execution still running, and saves the newest state', () => {
		const database: IDataObject = { global: { ns: { cursor: 0 } } };
		const reader = n8nExecution('wf5', database);
		const writer = n8nExecution('wf5', database);
		openWorkflowState<Cursor>(reader.context, 'ns', () => ({ cursor: 0 }));
		const state = openWorkflowState<Cursor>(writer.context, 'ns', () => ({ cursor: 0 }));
		assert.equal(reader.workflow.staticData.__dataChanged, false, 'opening the state changes nothing');
		state.update((d) => void (d.cursor = 3));
		assert.equal(writer.workflow.staticData.__dataChanged, true);
		assert.equal(reader.workflow.staticData.__dataChanged, true);
		assert.ok(writer.save() && reader.save());
		assert.deepEqual(database, { global: { ns: { cursor: 3 } } });
	});

	it('an execution saved last for another reason saves the newest state, not the one it loaded', () => {
		const database: IDataObject = { global: { ns: { cursor: 0 } } };
		const late = n8nExecution('wf6', database); // loaded before the other execution saved
		const early = n8nExecution('wf6', database);
		openWorkflowState<Cursor>(early.context, 'ns', () => ({ cursor: 0 })).update(() => ({ cursor: 5 }));
		assert.ok(early.save());
		// The later execution only reads this state, and changes another key of the static data.
		assert.equal(openWorkflowState<Cursor>(late.context, 'ns', () => ({ cursor: 0 })).read().cursor, 5);
		late.workflow.getStaticData('global').other = 'x';
		assert.ok(late.save());
		assert.deepEqual(database, { global: { ns: { cursor: 5 }, other: 'x' } });
	});

	it('a write copies nothing: the state is copied when n8n reads it, once per change', () => {
		let copies = 0;
		class Counter {
			count = 0;
			toJSON() {
				copies++;
				return { count: this.count };
			}
		}
		const one = n8nExecution('wf7', {});
		const state = openWorkflowState<Counter>(one.context, 'ns', () => new Counter());
		for (let i = 0; i < 100; i++) state.update((d) => void d.count++);
		assert.equal(copies, 0);
		assert.ok(one.save());
		assert.equal(JSON.stringify(one.workflow.staticData), '{"global":{"ns":{"count":100}}}');
		assert.equal(copies, 1, 'read twice, copied once');
	});

	it('a value written to the namespace by someone else is kept until the next update', () => {
		const one = execution('wf8');
		const state = openWorkflowState<Cursor>(one.context, 'ns', () => ({ cursor: 0 }));
		state.update(() => ({ cursor: 1 }));
		one.global.ns = { cursor: 42 }; // e.g. a Code node writing the workflow's static data
		assert.deepEqual(one.global.ns, { cursor: 42 });
		assert.deepEqual(JSON.parse(JSON.stringify(one.global)), { ns: { cursor: 42 } });
		state.update((d) => void (d.cursor = 2));
		assert.deepEqual(one.global.ns, { cursor: 2 });
	});

	it('savedBy: each execution saves the state without what is only its own, and the shared copy stays whole', () => {
		interface Claims {
			/** What each running execution holds, by execution id. */
			held: Record<string, string[]>;
		}
		const withoutOwn = (copy: unknown, executionId: string) => {
			const { held } = copy as Claims;
			return { held: Object.fromEntries(Object.entries(held).filter(([id]) => id !== executionId)) };
		};
		const database: IDataObject = {};
		const first = n8nExecution('wf9', database);
		const second = n8nExecution('wf9', database);
		const open = (one: ReturnType<typeof n8nExecution>) =>
			openWorkflowState<Claims>(one.context, 'ns', () => ({ held: {} }), undefined, undefined, withoutOwn);
		open(first).update((d) => void (d.held[first.executionId] = ['m1']));
		open(second).update((d) => void (d.held[second.executionId] = ['m2']));

		assert.ok(second.save(), 'the second execution ends first');
		assert.deepEqual(database, { global: { ns: { held: { [first.executionId]: ['m1'] } } } });
		assert.ok(first.save());
		assert.deepEqual(database, { global: { ns: { held: { [second.executionId]: ['m2'] } } } });
		// The process copy still holds both: only what each execution saves leaves its own out.
		assert.deepEqual(Object.keys(open(first).read().held).sort(), [first.executionId, second.executionId].sort());
	});
});
