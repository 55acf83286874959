/**
 * WeCom → Kf Message → Pull Messages with Shared State "Claimed in the Workflow" (queue mode), run by
 * n8n-core against the loopback fake: every message comes out with its claim keys, again on every pull
 * (the claims, not the process, stop a second hand-out), and messages in flight come back once their
 * lease is over, under a key of the current lease period.
 * Needs `npm run build` first (the harness loads dist/ as n8n does).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { IDataObject, INodeParameters } from 'n8n-workflow';

import { CORP_ID, KF, useKfPullFixture } from './kf-pull-fixture';

const fixture = useKfPullFixture();
const { newWorkflow, pull, says } = fixture;

const claimed = (inFlightMessages: unknown = {}, claimLeaseSeconds = 60): INodeParameters => ({
	sharedState: 'workflow',
	inFlightMessages: inFlightMessages as INodeParameters['inFlightMessages'],
	claimLeaseSeconds,
});

describe('kf/sync_msg pull, claimed in the workflow', () => {
	it('hands out every message with its claim keys, on every pull', async () => {
		const wf = newWorkflow();
		const first = says('wm_a', '你好');
		const items = await pull(wf, first.token, claimed());
		assert.equal(items.length, 1);
		const claim = items[0].claim as IDataObject;
		assert.equal(claim.key, `kefu:kf:${CORP_ID}:${KF}:${first.msgid}`);
		assert.equal(claim.flightKey, `kefu:kf:flight:${CORP_ID}:${KF}:${first.msgid}`);
		const stored = JSON.parse(String(claim.flight)) as IDataObject;
		assert.equal((stored.message as IDataObject).msgid, first.msgid);
		assert.equal(typeof stored.at, 'number');
		// Another worker with no cursor (or one that went back) reads it again: no memory of what was
		// handed out stops it, it comes out with the same claim key (whose Increment then answers 2).
		const again = await pull(newWorkflow(), first.token, claimed());
		assert.deepEqual(again.map((item) => (item.claim as IDataObject).key), [claim.key]);
		// The cursor is still kept as a hint: a later callback reads only what is new.
		const second = says('wm_a', '在吗');
		const next = await pull(wf, second.token, claimed());
		assert.deepEqual(next.map((item) => item.text), ['在吗']);
	});

	it('hands a message in flight out again once its lease is over, claimed per lease period', async () => {
		const wf = newWorkflow();
		const sent = says('wm_b', '订单');
		const [item] = await pull(wf, sent.token, claimed());
		const claim = item.claim as IDataObject;
		const entry = JSON.parse(String(claim.flight)) as { message: IDataObject; at: number };
		// As the Redis node's Keys (with values) lists it: key → stored value.
		const listed = (at: number) => ({ [String(claim.flightKey)]: JSON.stringify({ ...entry, at }) });
		// Still within its lease: being answered elsewhere, so not handed out, even when sync_msg
		// returns it again (a first pull without a cursor).
		const fresh = await pull(newWorkflow(), sent.token, claimed(listed(Date.now())));
		assert.deepEqual(fresh, []);
		// Lease over (its execution died): handed out again, marked, under this period's key.
		const before = Date.now();
		const back = await pull(wf, sent.token, claimed(listed(Date.now() - 61_000)));
		assert.equal(back.length, 1);
		assert.equal(back[0].msgid, sent.msgid);
		assert.equal(back[0].redelivered, true);
		const key = String((back[0].claim as IDataObject).key);
		const period = Number(key.slice(key.lastIndexOf(':') + 1));
		assert.ok(period >= Math.floor(before / 60_000) && period <= Math.floor(Date.now() / 60_000), key);
		assert.ok(key.startsWith(`${String(claim.key)}:`), key);
		// Entries of another account and values that are no entry are passed over.
		const other = await pull(wf, sent.token, claimed({ 'kefu:kf:flight:other:wk:1': JSON.stringify({ ...entry, at: 0 }), [String(claim.flightKey)]: 'garbage' }));
		assert.deepEqual(other, []);
	});
});
