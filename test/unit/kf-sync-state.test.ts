/**
 * kfMessage/syncState.ts with common/workflowState.ts on n8n-workflow's own static data: what n8n has saved
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
	readsOnlyAtEnd,
	reviveSyncState,
	savedByExecution,
	SEEN_MSGIDS,
	stateSavedBy,
	type HandOut,
	type KfMessage,
	type SyncState,
} from '../../nodes/WeCom/actions/kfMessage/syncState';
import { openWorkflowState, resetWorkflowStates } from '../../nodes/common/workflowState';
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

/** This process's executions whose end n8n is saving (pull.operation.ts keeps one set per workflow). */
let ending = new Set<string>();

/**
 * One running execution of the pull, as pull.operation.ts does it, without WeCom. `readsEnd`: no node of
 * the workflow reads the static data in the middle of an execution (no Code node).
 */
function running(database: IDataObject, readsEnd = true) {
	const execution: N8nExecution = n8nExecution(WORKFLOW, database);
	const state = openWorkflowState<SyncState>(
		execution.context,
		'kefuKfSync',
		emptySyncState,
		reviveSyncState,
		undefined,
		savedByExecution(ending, readsEnd),
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
			this.save();
			this.ended();
		},
		/** n8n's save of the execution's end (it reads the static data). */
		save: () => execution.save(),
		/** The end handler n8n calls after that save. */
		ended() {
			if (hasInFlight(state.read(), execution.executionId)) {
				state.update((draft) => forgetExecution(draft, execution.executionId));
			}
			ending.delete(execution.executionId);
		},
		/** A Code node: n8n sends the static data to its task runner in the middle of the execution. */
		codeNodeReads: () => JSON.stringify(execution.workflow.staticData),
		read: () => state.read(),
	};
}

/** What the database holds for the account. */
const saved = (database: IDataObject) =>
	((database.global as IDataObject | undefined)?.kefuKfSync as SyncState | undefined)?.accounts[ACCOUNT];

/** kill -9 or a restart: the process's memory is gone, the database stays. */
function newProcess(): void {
	resetWorkflowStates();
	ending = new Set();
}

beforeEach(() => newProcess());

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

		newProcess(); // kill -9: the slow execution never ends, the process's copy is gone
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
			newProcess();
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
			newProcess();
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
		newProcess();

		const again = running(database);
		assert.deepEqual(again.pull([]), [['m1', true]]);
		const another = running(database);
		another.pull(['m3']);
		another.end();
		newProcess();

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
		newProcess();
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

	it('executions that end within moments of each other: the later save already leaves the earlier one out', () => {
		// n8n reads an execution's static data to save its end, and calls its end handler up to a second
		// later; another execution's save in between must not carry the ended one's messages.
		const database: IDataObject = {};
		const first = running(database);
		first.pull(['a1']);
		const second = running(database);
		second.pull(['b1']);
		first.save();
		second.save(); // before the first one's end handler
		first.ended();
		second.ended();
		assert.deepEqual(saved(database)?.inFlight, []);
		newProcess();
		assert.deepEqual(running(database).pull([]), [], 'a graceful stop handed a message out again');
	});

	it('with a Code node, a read in the middle of an execution takes nothing out of flight (the race then costs a repeat)', () => {
		const database: IDataObject = {};
		const coded = running(database, false);
		coded.pull(['c1']);
		coded.codeNodeReads(); // the execution goes on
		const other = running(database, false);
		other.pull(['o1']);
		other.end();
		assert.deepEqual(saved(database)?.inFlight.map((e) => e.message.msgid), ['c1'], 'a crash now would lose c1');
		// The race of the test above, with reads that do not end anything: the earlier execution's
		// message is still in the later save, and comes again after the stop.
		const last = running(database, false);
		last.pull(['l1']);
		coded.save();
		last.save();
		coded.ended();
		last.ended();
		newProcess();
		assert.deepEqual(running(database).pull([]), [['c1', true]]);
	});

	it('which workflows n8n reads the static data of only at the end of an execution', () => {
		const template = [
			'n8n-nodes-kefu.weComTrigger',
			'n8n-nodes-kefu.weCom',
			'n8n-nodes-base.switch',
			'n8n-nodes-kefu.autoReply',
			'@n8n/n8n-nodes-langchain.agent',
			'@n8n/n8n-nodes-langchain.lmChatOpenAi',
			'@n8n/n8n-nodes-langchain.memoryBufferWindow',
			'n8n-nodes-base.if',
			'n8n-nodes-base.set',
		];
		assert.equal(readsOnlyAtEnd(template), true);
		for (const runner of [
			'n8n-nodes-base.code',
			'n8n-nodes-base.aiTransform',
			'n8n-nodes-base.function',
			'n8n-nodes-base.functionItem',
			'@n8n/n8n-nodes-langchain.toolCode',
			'@n8n/n8n-nodes-langchain.code',
		]) {
			assert.equal(readsOnlyAtEnd([...template, runner]), false, runner);
		}
	});
});
