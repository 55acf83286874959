/* eslint-disable @n8n/community-nodes/no-restricted-imports -- test code, never shipped */
/** The time limit of each WeCom call (nodes/WeCom/transport/timeouts.ts). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { MEDIA_RULES } from '../../nodes/WeCom/transport/media';
import { callLimit, WECOM_TIMEOUTS } from '../../nodes/WeCom/transport/timeouts';

/** n8n's own request timeout, which a WeCom call never reaches. */
const N8N_DEFAULT_MS = 300_000;

describe('WeCom call time limits', () => {
	it('give each kind of call its own limit, all far below n8n\'s 5 minutes', () => {
		const token = callLimit('/cgi-bin/gettoken');
		const send = callLimit('/cgi-bin/message/send');
		const sync = callLimit('/cgi-bin/kf/sync_msg');
		assert.equal(token.timeoutMs, WECOM_TIMEOUTS.tokenMs);
		assert.equal(send.timeoutMs, WECOM_TIMEOUTS.callMs);
		assert.equal(sync.timeoutMs, WECOM_TIMEOUTS.syncMsgMs);
		for (const limit of [token, send, sync]) assert.ok(limit.timeoutMs > 0 && limit.timeoutMs <= 30_000);
		assert.equal(callLimit('/cgi-bin/kf/sync_msg?access_token=x').timeoutMs, sync.timeoutMs, 'the query does not matter');
	});

	it('give an upload time for its size, up to WeCom\'s largest file', () => {
		const small = callLimit('/cgi-bin/media/upload', 1000);
		const largest = callLimit('/cgi-bin/media/upload', MEDIA_RULES.file.maxBytes);
		assert.ok(small.timeoutMs >= WECOM_TIMEOUTS.callMs);
		assert.ok(largest.timeoutMs > small.timeoutMs + 60_000, 'a 20 MB file gets minutes, not seconds');
		assert.ok(largest.timeoutMs < N8N_DEFAULT_MS);
	});

	it('know which calls are harmless to repeat after a lost answer', () => {
		for (const read of ['/cgi-bin/gettoken', '/cgi-bin/kf/sync_msg', '/cgi-bin/kf/service_state/get']) {
			assert.equal(callLimit(read).safeToRepeat, true, read);
		}
		for (const write of ['/cgi-bin/message/send', '/cgi-bin/kf/send_msg', '/cgi-bin/kf/service_state/trans', '/cgi-bin/media/upload', '/cgi-bin/auth/getuserinfo', '/cgi-bin/unknown']) {
			assert.equal(callLimit(write).safeToRepeat, false, write);
		}
	});

	it('remember a refused gettoken for about a minute', () => {
		assert.ok(WECOM_TIMEOUTS.refusedTokenMemoryMs >= 30_000 && WECOM_TIMEOUTS.refusedTokenMemoryMs <= 120_000);
	});
});
