/**
 * kfMessage/syncState.ts with shared/workflowState.ts on n8n-workflow's own static data: what n8n has saved
 * when its process dies while executions that pulled kf messages are still running, and what a new
 * process hands out again. Executions are played step by step (pull, end, crash), as n8n would run them.
 */
import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';

import type { IDataObject } from 'n8n-workflow';

import {
	emptySyncState,
	forgetExecution,
	hasInFlight,
	IN_FLIGHT_MAX_AGE_MS,
	orphansOf,
	recordHandOut,
	reviveSyncState,
	SEEN_MSGIDS,
	stateSavedBy,
	type HandOut,
	type KfMessage,
	type SyncState,
} from '../../nodes/WeCom/actions/kfMessage/syncState';
import { openWorkflowState, resetWorkflowStates } from '../../nodes/shared/workflowState';
import { n8nExecution, type N8nExecution } from '../support/n8n-execution';

const ACCOUNT = 'ww_corp:wkKF1';
const WORKFLOW = 'kf-sync-state';

const message = (msgid: string): KfMessage => ({
	msgid,
	open_kfid: 'wkKF1',
	external_userid: `wm_${msgid}`,
	send_time: 1_700_000_000,
	origin: 3,
	msgtype: 'text',
	text: { content: `question ${msgid}` },
});

/** One running execution of the pull, as pull.operation.ts does it, without WeCom. */
function running(database: IDataObject) {
	const execution: N8nExecution = n8nExecution(WORKFLOW, database);
	const state = openWorkflowState<SyncState>(
		execution.context,
		'kefuKfSync',
		emptySyncState,
		reviveSyncState,
		undefined,
		stateSavedBy,
	);
	return {
		execution,
		/** Pulls `msgids` from sync_msg (the cursor moves to the last one) and hands out orphans first. */
		pull(msgids: string[], now = Date.now()) {
			const orphans = orphansOf(state.read().accounts[ACCOUNT], now);
			const handedOut: HandOut['handedOut'] = [
				...orphans.map((orphan) => ({ message: orphan.message, orphan })),
				...msgids.map((id) => ({ message: message(id) })),
			];
			state.update((draft) =>
				recordHandOut(draft, ACCOUNT, {
					executionId: execution.executionId,
					now,
					cursor: msgids.at(-1) ?? state.read().accounts[ACCOUNT]?.cursor,
					newIds: msgids,
					handedOut,
				}),
			);
			return handedOut.map((entry) => [entry.message.msgid, entry.orphan !== undefined]);
		},
		/** n8n ends the execution: it saves the static data, then calls the pull's end handler. */
		end() {
			execution.save();
			if (hasInFlight(state.read(), execution.executionId)) {
				state.update((draft) => forgetExecution(draft, execution.executionId));
			}
		},
		read: () => state.read(),
	};
}

/** What the database holds for the account. */
const saved = (database: IDataObject) =>
	((database.global as IDataObject | undefined)?.kefuKfSync as SyncState | undefined)?.accounts[ACCOUNT];

beforeEach(() => resetWorkflowStates());

describe('kf sync state: messages in flight across a crash', () => {
	it('a crash after a later execution saved: the message still being answered is handed out again, marked', () => {
		const database: IDataObject = {};
		const slow = running(database);
		assert.deepEqual(slow.pull(['m1']), [['m1', false]]);
		const fast = running(database);
		assert.deepEqual(fast.pull(['m2']), [['m2', false]]);
		fast.end();
		// The database now holds the cursor past m1, and m1 as in flight (its execution still runs).
		assert.equal(saved(database)?.cursor, 'm2');
		assert.deepEqual(
			saved(database)?.inFlight.map((entry) => [entry.message.msgid, entry.executionId]),
			[['m1', slow.execution.executionId]],
		);

		resetWorkflowStates(); // kill -9: the slow execution never ends, the process's copy is gone
		const next = running(database);
		assert.deepEqual(next.pull(['m3']), [
			['m1', true],
			['m3', false],
		]);
		next.end();
		assert.deepEqual(saved(database)?.inFlight, []);
		assert.deepEqual(saved(database)?.seen, ['m1', 'm2', 'm3']);
	});

	it('executions that all end (a graceful stop) leave nothing in flight, in whichever order they save', () => {
		for (const order of ['first ends first', 'first ends last']) {
			resetWorkflowStates();
			const database: IDataObject = {};
			const first = running(database);
			first.pull(['a1', 'a2']);
			const second = running(database);
			second.pull(['b1']);
			if (order === 'first ends first') {
				first.end();
				assert.deepEqual(saved(database)?.inFlight.map((e) => e.message.msgid), ['b1'], order);
				second.end();
			} else {
				second.end();
				first.end();
			}
			assert.deepEqual(saved(database)?.inFlight, [], order);
			resetWorkflowStates();
			assert.deepEqual(running(database).pull([]), [], `${order}: something came again after a graceful stop`);
		}
	});

	it('a message handed out again and lost again keeps its mark and its first hand-out time', () => {
		const database: IDataObject = {};
		const handedOutAt = Date.now() - 3600_000;
		const lost = running(database);
		lost.pull(['m1'], handedOutAt);
		const other = running(database);
		other.pull(['m2']);
		other.end(); // its save carries m1 in flight
		resetWorkflowStates();

		const again = running(database);
		assert.deepEqual(again.pull([]), [['m1', true]]);
		const another = running(database);
		another.pull(['m3']);
		another.end();
		resetWorkflowStates();

		const [entry] = saved(database)?.inFlight ?? [];
		assert.equal(entry.redelivered, true);
		assert.equal(entry.handedOutAt, handedOutAt);
		assert.equal(entry.executionId, again.execution.executionId);
		assert.deepEqual(running(database).pull([]), [['m1', true]]);
	});

	it('nothing older than 48 hours is handed out again, and it leaves the list', () => {
		const database: IDataObject = {};
		const now = Date.now();
		running(database).pull(['old'], now - IN_FLIGHT_MAX_AGE_MS - 1);
		running(database).pull(['young'], now - IN_FLIGHT_MAX_AGE_MS + 60_000);
		const saving = running(database);
		saving.pull(['new']);
		saving.end();
		resetWorkflowStates();
		const next = running(database);
		assert.deepEqual(next.pull([], now), [['young', true]]);
		assert.deepEqual(
			next.read().accounts[ACCOUNT].inFlight.map((e) => e.message.msgid),
			['young'],
		);
	});

	it('what an execution saves leaves out its own messages and nobody else’s; the shared copy is untouched', () => {
		const state = emptySyncState();
		recordHandOut(state, ACCOUNT, {
			executionId: '7',
			now: 1,
			cursor: 'c1',
			newIds: ['m1'],
			handedOut: [{ message: message('m1') }],
		});
		recordHandOut(state, ACCOUNT, {
			executionId: '8',
			now: 2,
			cursor: 'c2',
			newIds: ['m2'],
			handedOut: [{ message: message('m2') }],
		});
		const copy = JSON.parse(JSON.stringify(state)) as SyncState;
		const bySeven = stateSavedBy(copy, '7') as SyncState;
		assert.deepEqual(bySeven.accounts[ACCOUNT].inFlight.map((e) => e.executionId), ['8']);
		assert.equal(bySeven.accounts[ACCOUNT].cursor, 'c2');
		assert.deepEqual(copy.accounts[ACCOUNT].inFlight.map((e) => e.executionId), ['7', '8']);
		assert.equal(stateSavedBy(copy, '9'), copy, 'an execution with nothing in flight saves the copy as it is');
	});

	it('revive: what an older version stored still loads; every message found in flight is orphaned', () => {
		assert.equal(reviveSyncState('x'), undefined);
		assert.equal(reviveSyncState({ nothing: true }), undefined);
		const old = reviveSyncState({ accounts: { [ACCOUNT]: { cursor: 'c', seen: ['a', 1], pulledAt: 5 } } });
		assert.deepEqual(old?.accounts[ACCOUNT], { cursor: 'c', seen: ['a'], pulledAt: 5, inFlight: [] });
		const revived = reviveSyncState({
			accounts: {
				[ACCOUNT]: {
					seen: [],
					inFlight: [
						{ message: message('m1'), executionId: '12', handedOutAt: 100 },
						{ message: 'not a message', executionId: '13', handedOutAt: 100 },
						{ message: message('m2'), handedOutAt: 'yesterday' },
					],
				},
			},
		});
		assert.deepEqual(revived?.accounts[ACCOUNT].inFlight, [
			{ message: message('m1'), executionId: '12', handedOutAt: 100, orphaned: true },
		]);
	});

	it('keeps the last msgids only, and a copy of each message (later nodes may change the items)', () => {
		const state = emptySyncState();
		const ids = Array.from({ length: SEEN_MSGIDS + 5 }, (_, i) => `id${i}`);
		const handed = message('m1');
		recordHandOut(state, ACCOUNT, { executionId: '1', now: 1, cursor: 'c', newIds: ids, handedOut: [{ message: handed }] });
		assert.equal(state.accounts[ACCOUNT].seen.length, SEEN_MSGIDS);
		assert.equal(state.accounts[ACCOUNT].seen[0], 'id5');
		(handed.text as { content: string }).content = 'changed by a later node';
		assert.equal((state.accounts[ACCOUNT].inFlight[0].message.text as { content: string }).content, 'question m1');
	});
});
