/** withTransientRetries: which failures a send tries again, how often, and what the last error then says. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { INode } from 'n8n-workflow';

import { weComApiError, weComTransportError } from '../../nodes/WeCom/transport/errors';
import { MAX_RETRIES, retriesFrom, withTransientRetries } from '../../nodes/WeCom/transport/retry';

const node: INode = {
	id: '1',
	name: 'WeCom',
	type: 'n8n-nodes-kefu.weCom',
	typeVersion: 1,
	position: [0, 0],
	parameters: {},
};

const busy = () => weComApiError(node, { errcode: -1, errmsg: 'system busy' }, { endpoint: '/cgi-bin/kf/send_msg' });
const refused = () => weComApiError(node, { errcode: 95001, errmsg: 'limit' }, { endpoint: '/cgi-bin/kf/send_msg' });
/** No answer within the time limit, for a call that changes something: WeCom may have carried it out. */
const noAnswer = () =>
	weComTransportError(
		node,
		{ message: 'canceled', code: 'ERR_CANCELED', timeoutSeconds: 15, mayHaveBeenApplied: true },
		{ endpoint: '/cgi-bin/message/send' },
	);
/** A connection that never opened: nothing reached WeCom. */
const refusedConnection = () =>
	weComTransportError(node, { message: 'connect ECONNREFUSED', code: 'ECONNREFUSED' }, { endpoint: '/cgi-bin/message/send' });

/** A call that fails with the given errors in turn, then answers. */
function scripted(failures: Array<() => Error>) {
	let calls = 0;
	return {
		get calls() {
			return calls;
		},
		call: async () => {
			const failure = failures[calls++];
			if (failure) throw failure();
			return { errcode: 0 };
		},
	};
}

describe('withTransientRetries', () => {
	it('tries WeCom busy (-1) again and reports how many attempts it took', async () => {
		const script = scripted([busy]);
		const { answer, attempts } = await withTransientRetries(script.call, { retries: 1, idempotent: false });
		assert.deepEqual(answer, { errcode: 0 });
		assert.equal(attempts, 2);
		assert.equal(script.calls, 2);
	});

	it('stops after the retries allowed; the error says how often it was tried', async () => {
		const script = scripted([busy, busy, busy]);
		await assert.rejects(withTransientRetries(script.call, { retries: 1, idempotent: true }), (error: Error & { description?: string }) => {
			assert.match(error.message, /-1/);
			assert.match(String(error.description), /^Tried 2 times\./);
			return true;
		});
		assert.equal(script.calls, 2);
	});

	it('does not try again what a pause does not cure', async () => {
		const script = scripted([refused]);
		await assert.rejects(withTransientRetries(script.call, { retries: 2, idempotent: true }), /95001/);
		assert.equal(script.calls, 1);
	});

	it('repeats a call that may have been carried out only when a copy is harmless', async () => {
		const unsafe = scripted([noAnswer]);
		await assert.rejects(withTransientRetries(unsafe.call, { retries: 2, idempotent: false }), /did not answer/);
		assert.equal(unsafe.calls, 1);

		const safe = scripted([noAnswer]);
		assert.equal((await withTransientRetries(safe.call, { retries: 2, idempotent: true })).attempts, 2);

		// A connection that never opened carried nothing out: tried again either way.
		const neverSent = scripted([refusedConnection]);
		assert.equal((await withTransientRetries(neverSent.call, { retries: 2, idempotent: false })).attempts, 2);
	});

	it('reads the option within 0..MAX_RETRIES', () => {
		assert.equal(retriesFrom(undefined), MAX_RETRIES);
		assert.equal(retriesFrom(0), 0);
		assert.equal(retriesFrom(99), MAX_RETRIES);
		assert.equal(retriesFrom(-3), 0);
		assert.equal(retriesFrom('x'), MAX_RETRIES);
	});
});
