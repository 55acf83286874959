/**
 * WeCom → Kf Message → Pull Messages (kf/sync_msg) run by n8n-core against the loopback fake: each message
 * once, across pages, overlapping executions, a "restart" (the process's copy forgotten, the saved static
 * data kept), messages a crashed process left in flight, a failing page, an expired callback Token, a
 * cursor WeCom refuses, and the first pull's age limit.
 * Needs `npm run build` first (the harness loads dist/ as n8n does).
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';

import type { IDataObject } from 'n8n-workflow';

import { requireBuilt } from './harness';
import { CORP_ID, KF, useKfPullFixture } from './kf-pull-fixture';

type State = typeof import('../../nodes/common/workflowState');

const fixture = useKfPullFixture();
const { newWorkflow, pullRun, pull, says } = fixture;
const api = () => fixture.api;
let state: State;

before(async () => {
	state = await requireBuilt<State>('dist/nodes/common/workflowState.js');
});

/** The account's state in what n8n saved. */
function savedAccount(wf: { staticData: IDataObject }): IDataObject {
	const sync = (wf.staticData.global as IDataObject).kefuKfSync as { accounts: Record<string, IDataObject> };
	return sync.accounts[`${CORP_ID}:${KF}`];
}

/** A sync_msg entry as WeCom sends it, rebuilt from an item of Pull Messages. */
function rawMessage(item: IDataObject): IDataObject {
	return {
		msgid: item.msgid,
		open_kfid: item.open_kfid,
		external_userid: item.external_userid,
		send_time: item.send_time,
		origin: item.origin_code,
		msgtype: 'text',
		text: { content: item.text },
	};
}

describe('kf/sync_msg pull', () => {
	it('turns each message into one item with the fields a flow needs, and never hands it out twice', async () => {
		const wf = newWorkflow();
		const first = says('wm_a', '你好');
		const items = await pull(wf, first.token);
		assert.equal(items.length, 1);
		const [item] = items;
		assert.equal(item.origin, 'customer');
		assert.equal(item.origin_code, 3);
		assert.equal(item.msgid, first.msgid);
		assert.equal(item.msgtype, 'text');
		assert.equal(item.text, '你好');
		assert.equal(item.open_kfid, KF);
		assert.equal(item.external_userid, 'wm_a');
		assert.equal(typeof item.send_time, 'number');
		assert.match(String(item.sendTime), /^\d{4}-\d\d-\d\dT/);
		// The same callback again (a retry) and a later one: nothing old comes back.
		assert.deepEqual(await pull(wf, first.token), []);
		const second = says('wm_a', '在吗');
		const next = await pull(wf, second.token);
		assert.deepEqual(next.map((i) => i.text), ['在吗']);
		// The request carried the callback's token and the required open_kfid.
		const syncs = api().requests.filter((r) => r.path === '/cgi-bin/kf/sync_msg');
		assert.equal((syncs.at(-1)?.body as IDataObject).open_kfid, KF);
		assert.equal((syncs.at(-1)?.body as IDataObject).token, second.token);
	});

	it('follows has_more through pages, also pages with an empty msg_list', async () => {
		const wf = newWorkflow();
		api().setKfSyncPaging({ pageSize: 2, emptyPagesWithHasMore: 3 });
		let token = '';
		for (let i = 0; i < 7; i++) ({ token } = says(`wm_p${i}`, `q${i}`));
		const items = await pull(wf, token);
		assert.deepEqual(
			items.map((i) => i.text),
			['q0', 'q1', 'q2', 'q3', 'q4', 'q5', 'q6'],
		);
		const syncs = api().requests.filter((r) => r.path === '/cgi-bin/kf/sync_msg');
		assert.ok(syncs.length >= 7, `only ${syncs.length} sync_msg calls for 4 pages and 3 empty ones`);
	});

	it('overlapping executions: every message reaches exactly one of them', async () => {
		const wf = newWorkflow();
		const tokens: string[] = [];
		const written: string[] = [];
		const runs: Array<Promise<IDataObject[]>> = [];
		for (let i = 0; i < 12; i++) {
			const sent = says(`wm_c${i}`, `c${i}`);
			written.push(sent.msgid);
			tokens.push(sent.token);
			runs.push(pull(wf, sent.token));
		}
		const results = await Promise.all(runs);
		const delivered = results.flat().map((i) => String(i.msgid));
		assert.deepEqual([...delivered].sort(), [...written].sort());
		assert.equal(new Set(delivered).size, delivered.length);
	});

	it('after a restart the saved cursor goes on where it stopped, whichever execution saved last', async () => {
		const wf = newWorkflow();
		// Two executions overlap and each saves its own copy of the static data when it ends.
		const a = says('wm_r1', 'one');
		const slow = pull(wf, a.token);
		const b = says('wm_r2', 'two');
		const fast = pull(wf, b.token);
		const delivered = [...(await slow), ...(await fast)].map((i) => i.text);
		assert.deepEqual(delivered.sort(), ['one', 'two']);

		state.resetWorkflowStates(); // a new process: only the database's static data is left
		const c = says('wm_r3', 'three');
		assert.deepEqual(
			(await pull(wf, c.token)).map((i) => i.text),
			['three'],
		);
	});

	it('a page that fails after others were read moves no cursor: the next pull brings them all, once', async () => {
		const wf = newWorkflow();
		api().setKfSyncPaging({ pageSize: 1 });
		says('wm_f1', 'f1');
		says('wm_f2', 'f2');
		const { token } = says('wm_f3', 'f3');
		// The first page answers; then the second fails with a system error.
		fixture.onAnswered = (record) => {
			if (record.path !== '/cgi-bin/kf/sync_msg') return;
			fixture.onAnswered = undefined;
			api().injectError('/cgi-bin/kf/sync_msg', -1, 'system busy', 1);
		};
		await assert.rejects(pull(wf, token), (error: Error) => /-1/.test(error.message));
		assert.deepEqual(
			(await pull(wf, token)).map((i) => i.text),
			['f1', 'f2', 'f3'],
		);
		assert.deepEqual(await pull(wf, token), []);
	});

	it('an expired callback Token (95007) is dropped and the pull goes on without it', async () => {
		const wf = newWorkflow();
		says('wm_t', 'late');
		const items = await pull(wf, 'ENCApExpiredOrForeignToken000000000000000000');
		assert.deepEqual(
			items.map((i) => i.text),
			['late'],
		);
		const syncs = api().requests.filter((r) => r.path === '/cgi-bin/kf/sync_msg');
		assert.equal(syncs.at(-2)?.errcode, 95007);
		assert.equal((syncs.at(-1)?.body as IDataObject).token, undefined);
	});

	it('a first pull skips history older than First Pull Max Age; later pulls skip nothing', async () => {
		const wf = newWorkflow();
		fixture.clockOffsetMs = -3 * 3600_000;
		says('wm_old', 'three hours ago');
		fixture.clockOffsetMs = 0;
		const { token } = says('wm_new', 'just now');
		assert.deepEqual(
			(await pull(wf, token)).map((i) => i.text),
			['just now'],
		);
		const wf2 = newWorkflow();
		assert.deepEqual(
			(await pull(wf2, token, { options: { firstPullMaxAgeMinutes: 0 } })).map((i) => i.text),
			['three hours ago', 'just now'],
		);
	});

	it('keeps only the chosen origins; events carry their ids and codes', async () => {
		const wf = newWorkflow();
		says('wm_o', 'hi');
		api().kfServicerSends(KF, 'wm_o', 'zhangsan', { msgtype: 'text', text: { content: '我是人工客服' } });
		const { token } = api().kfEvent(KF, 'wm_o2', { event_type: 'enter_session', welcome: true });
		const items = await pull(wf, token);
		assert.deepEqual(
			items.map((i) => i.origin),
			['customer', 'event'],
		);
		const event = items[1];
		assert.equal(event.event_type, 'enter_session');
		assert.equal(event.external_userid, 'wm_o2');
		assert.equal(event.open_kfid, KF);
		assert.equal(typeof (event.event as IDataObject).welcome_code, 'string');

		const wf2 = newWorkflow();
		const all = await pull(wf2, token, { origins: ['servicer'] });
		assert.deepEqual(
			all.map((i) => [i.origin, i.servicer_userid]),
			[['servicer', 'zhangsan']],
		);
	});

	it('Execute step in the editor (manual mode) shows what is waiting and consumes nothing', async () => {
		const wf = newWorkflow();
		const first = says('wm_m1', 'seen in the editor');
		const manual = await pullRun(wf, first.token, {}, 'manual');
		assert.deepEqual(
			manual.items.map((item) => item.text),
			['seen in the editor'],
		);
		// The published workflow's next execution still gets it, once, and the one after it.
		const second = says('wm_m2', 'after the test run');
		assert.deepEqual(
			(await pull(wf, second.token)).map((i) => i.text),
			['seen in the editor', 'after the test run'],
		);
		assert.deepEqual(await pull(wf, second.token), []);
	});

	it('says what to fix when the Customer Service Account ID is missing', async () => {
		const wf = newWorkflow();
		await assert.rejects(pull(wf, 'x', { openKfId: '={{ $json.NoSuchField }}' }), (error: Error) => {
			assert.match(error.message, /No Customer Service Account ID/);
			return true;
		});
	});

	it('executions that end leave nothing in flight: n8n saves each without its own, then its end takes them out', async () => {
		const wf = newWorkflow();
		assert.equal((await pull(wf, says('wm_e1', 'first').token)).length, 1);
		assert.deepEqual(savedAccount(wf).inFlight, [], 'the execution saved its own messages as in flight');
		// The next execution saves what the process holds: the first one's messages are gone since it ended.
		assert.equal((await pull(wf, says('wm_e2', 'second').token)).length, 1);
		assert.deepEqual(savedAccount(wf).inFlight, [], 'an ended execution’s messages are still in flight');
		state.resetWorkflowStates();
		assert.deepEqual((await pull(wf, says('wm_e3', 'third').token)).map((i) => i.text), ['third']);
	});

	it('messages a crashed n8n left in flight come first in the next process, marked, once', async () => {
		const wf = newWorkflow();
		const first = says('wm_x1', 'being answered when n8n died');
		const [handed] = await pull(wf, first.token);
		// What n8n had saved when it died: the cursor past the message, and the message still in flight
		// (another execution ended and saved while this one was answering it).
		const handedOutAt = Date.now() - 60_000;
		savedAccount(wf).inFlight = [{ message: rawMessage(handed), executionId: '41', handedOutAt }];
		state.resetWorkflowStates();

		const second = says('wm_x2', 'written after the restart');
		const { items, hints } = await pullRun(wf, second.token);
		assert.deepEqual(
			items.map((i) => [i.text, i.redelivered]),
			[
				['being answered when n8n died', true],
				['written after the restart', undefined],
			],
		);
		assert.equal(items[0].msgid, first.msgid);
		assert.equal(items[0].external_userid, 'wm_x1');
		assert.ok(
			hints.some((hint) => /1 message\(s\) handed out again \(redelivered: true\).*\(41\)/.test(hint)),
			`no hint: ${JSON.stringify(hints)}`,
		);
		assert.deepEqual(savedAccount(wf).inFlight, []);
		assert.deepEqual(await pull(wf, second.token), [], 'a message came a third time');
	});

	it('Execute step shows the messages left in flight too, and hands out nothing', async () => {
		const wf = newWorkflow();
		const first = says('wm_y1', 'in flight');
		const [handed] = await pull(wf, first.token);
		savedAccount(wf).inFlight = [{ message: rawMessage(handed), executionId: '42', handedOutAt: Date.now() }];
		state.resetWorkflowStates();
		const second = says('wm_y2', 'new');
		const shown = await pullRun(wf, second.token, {}, 'manual');
		assert.deepEqual(
			shown.items.map((i) => [i.text, i.redelivered]),
			[
				['in flight', true],
				['new', undefined],
			],
		);
		assert.deepEqual(
			(await pull(wf, second.token)).map((i) => [i.text, i.redelivered]),
			[
				['in flight', true],
				['new', undefined],
			],
		);
	});

	it('a cursor WeCom refuses: the pull starts again without it, within First Pull Max Age, and says so', async () => {
		const wf = newWorkflow();
		const answered = says('wm_z1', 'answered before');
		await pull(wf, answered.token);
		// The stored cursor is one this WeCom never gave (another corp's, an older version's, expired).
		savedAccount(wf).cursor = 'cursor-wecom-does-not-know';
		state.resetWorkflowStates();
		fixture.clockOffsetMs = -3 * 3600_000;
		says('wm_z0', 'three hours old, never handed out');
		fixture.clockOffsetMs = 0;

		const waiting = says('wm_z2', 'waiting');
		const { items, hints } = await pullRun(wf, waiting.token);
		assert.deepEqual(
			items.map((i) => i.text),
			['waiting'],
			'the history older than First Pull Max Age, or a message handed out already, came again',
		);
		assert.ok(
			hints.some((hint) => /WeCom refused the stored cursor of wkFAKEKF0001.*skipped 1 message\(s\) older than 10 minutes/.test(hint)),
			`no hint: ${JSON.stringify(hints)}`,
		);
		const syncs = api().requests.filter((r) => r.path === '/cgi-bin/kf/sync_msg');
		assert.equal(syncs.at(-2)?.errcode, 40058);
		assert.equal((syncs.at(-1)?.body as IDataObject).cursor, undefined);
		// From here on the new cursor works.
		const later = says('wm_z3', 'later');
		assert.deepEqual((await pull(wf, later.token)).map((i) => i.text), ['later']);
		assert.equal((api().requests.filter((r) => r.path === '/cgi-bin/kf/sync_msg').at(-1)?.body as IDataObject).cursor !== undefined, true);
	});

	it('an invalid-parameter answer that is not about the cursor fails the pull and keeps the cursor', async () => {
		const wf = newWorkflow();
		await pull(wf, says('wm_k1', 'one').token);
		const cursor = savedAccount(wf).cursor;
		api().injectError('/cgi-bin/kf/sync_msg', 40058, 'invalid Request Parameter', 2);
		const { token } = says('wm_k2', 'two');
		await assert.rejects(pullRun(wf, token), (error: Error) => /40058|invalid parameter/i.test(error.message));
		assert.equal(savedAccount(wf).cursor, cursor);
		assert.deepEqual((await pull(wf, token)).map((i) => i.text), ['two']);
	});

	it('at most 500 messages in flight per account: a pull at the bound takes nothing new, the next one does', async () => {
		const wf = newWorkflow();
		const first = says('wm_b0', 'before');
		await pull(wf, first.token);
		const now = Date.now();
		savedAccount(wf).inFlight = Array.from({ length: 500 }, (_, i) => ({
			message: { msgid: `INFLIGHT${i}`, open_kfid: KF, external_userid: `wm_b${i}`, send_time: Math.floor(now / 1000), origin: 3, msgtype: 'text', text: { content: `q${i}` } },
			executionId: String(9000 + i),
			handedOutAt: now,
		}));
		state.resetWorkflowStates();
		const waiting = says('wm_bnew', 'waits in WeCom');
		const { items, hints } = await pullRun(wf, waiting.token);
		assert.equal(items.length, 500);
		assert.ok(items.every((item) => item.redelivered === true));
		assert.ok(
			hints.some((hint) => /500 messages of wkFAKEKF0001 are being answered already/.test(hint)),
			`no hint: ${JSON.stringify(hints)}`,
		);
		// That execution ended: room again.
		assert.deepEqual((await pull(wf, waiting.token)).map((i) => i.text), ['waits in WeCom']);
	});
});
