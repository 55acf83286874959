/* eslint-disable @n8n/community-nodes/no-restricted-imports -- test code, never shipped */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { NodeApiError, NodeOperationError, type INode } from 'n8n-workflow';

import {
	clientFailure,
	describeWeComError,
	ipFromErrmsg,
	isTransientWeComError,
	stripSecrets,
	WECOM_ERRORS,
	weComApiError,
	WeComCallFailure,
	weComCallError,
	weComTransportError,
} from '../../nodes/WeCom/transport/errors';

const node: INode = {
	id: '1',
	name: 'WeCom',
	type: 'n8n-nodes-kefu.weCom',
	typeVersion: 1,
	position: [0, 0],
	parameters: {},
};

const ERRMSG_60020 =
	'not allow to access from your ip, hint: [1700000000_1_abc], from ip: 203.0.113.7, more info at https://open.work.weixin.qq.com/devtool/query?e=60020';

describe('WeCom errcodes', () => {
	it('has a meaning and a hint for the codes operators meet', () => {
		for (const code of [
			40001, 40003, 40005, 40006, 40007, 40008, 40009, 40014, 40029, 40058, 41001, 41033, 42001, 44001, 44004,
			45009, 45033, 48002, 60011, 60020, 60030, 81013, 301002, 95000, 95001, 95002, 95004,
			95007, 95008, 95009, 95013, 95014, 95016, 95017, 95018, 95019,
		]) {
			const info = WECOM_ERRORS[code];
			assert.ok(info, `errcode ${code} is in the table`);
			assert.ok(info.meaning.length > 3 && info.hint.length > 10, `errcode ${code} says something`);
		}
	});

	it('60020 names the IP WeCom saw and 企业可信IP', () => {
		assert.equal(ipFromErrmsg(ERRMSG_60020), '203.0.113.7');
		const described = describeWeComError(60020, ERRMSG_60020);
		assert.equal(described.message, 'WeCom error 60020: IP address not trusted');
		assert.match(described.description, /Add 203\.0\.113\.7 to 企业可信IP/);
		assert.match(described.description, /about a minute/);
	});

	it('an unknown errcode still says what WeCom answered', () => {
		const described = describeWeComError(123456, 'something odd, hint: [x]');
		assert.equal(described.message, 'WeCom error 123456: something odd');
		assert.match(described.description, /something odd, hint: \[x\]/);
	});

	it('strips access_token and secrets from text', () => {
		assert.equal(
			stripSecrets('GET https://qyapi.weixin.qq.com/cgi-bin/message/send?access_token=abc.DEF-123&debug=1'),
			'GET https://qyapi.weixin.qq.com/cgi-bin/message/send?access_token=***&debug=1',
		);
		assert.equal(stripSecrets('corpid=ww1&corpsecret=topsecret'), 'corpid=ww1&corpsecret=***');
	});

	it('strips secret fields of JSON, also cut inside the value, and the values it is given in any form', () => {
		assert.equal(
			stripSecrets('{"errcode":0,"access_token" : "abc","ticket":"t1","user_ticket":"u1","expires_in":7200}'),
			'{"errcode":0,"access_token" : "***","ticket":"***","user_ticket":"***","expires_in":7200}',
		);
		assert.equal(stripSecrets('{"errcode":0,"access_token":"abcdef'), '{"errcode":0,"access_token":"***"');
		const value = 'a+b/c=d-0123456789';
		assert.equal(stripSecrets(`x ${value} y ${encodeURIComponent(value)}`, [value]), 'x *** y ***');
		assert.equal(stripSecrets('short ok', ['ok']), 'short ok', 'values under 8 characters are left alone');
	});

	it('builds a NodeApiError carrying errcode and errmsg, without token or secret', () => {
		const token = 'TOKEN_abcdefghijklmnopqrstuvwxyz';
		const error = weComApiError(
			node,
			{ errcode: 60020, errmsg: `${ERRMSG_60020} access_token=${token}` },
			{ endpoint: `/cgi-bin/message/send?access_token=${token}`, itemIndex: 3 },
		);
		assert.ok(error instanceof NodeApiError);
		assert.equal(error.message, 'WeCom error 60020: IP address not trusted');
		assert.equal(error.httpCode, '60020');
		assert.equal(error.context.errcode, 60020);
		assert.equal(error.context.itemIndex, 3);
		assert.equal(error.context.endpoint, '/cgi-bin/message/send');
		assert.match(String(error.description), /203\.0\.113\.7/);
		const serialized = JSON.stringify({ ...error, json: error.toJSON?.(), response: error.errorResponse });
		assert.ok(!serialized.includes(token), 'no access_token in the error');
	});

	it('a transport failure keeps no request details', () => {
		const token = 'TOKEN_zyxwvutsrqponmlkjihgfedcba';
		const error = weComTransportError(
			node,
			{ message: `connect ECONNREFUSED for /cgi-bin/gettoken?corpid=ww1&corpsecret=SECRET&access_token=${token}`, code: 'ECONNREFUSED' },
			{ endpoint: '/cgi-bin/gettoken' },
		);
		assert.ok(error instanceof NodeApiError);
		const serialized = JSON.stringify({ ...error, json: error.toJSON?.(), response: error.errorResponse, message: error.message });
		assert.ok(!serialized.includes(token));
		assert.ok(!serialized.includes('SECRET'));
		// n8n swaps the message of a known network error for its own wording; the hint stays ours
		assert.match(String(error.description), /Base URL/);
	});
});

describe('a call that timed out', () => {
	it('says which call, after how long, and whether it may have been carried out', () => {
		const send = weComTransportError(
			node,
			{ message: 'canceled', code: 'ERR_CANCELED', timeoutSeconds: 15, mayHaveBeenApplied: true },
			{ endpoint: '/cgi-bin/kf/send_msg?access_token=TOKEN_abc', itemIndex: 2 },
		);
		assert.equal(send.message, 'WeCom did not answer within 15 s: /cgi-bin/kf/send_msg');
		assert.match(String(send.description), /may or may not have been applied/);
		assert.equal(send.context.mayHaveBeenApplied, true);
		assert.equal(send.context.timeoutSeconds, 15);
		assert.equal(send.context.itemIndex, 2);
		assert.ok(!JSON.stringify({ ...send, message: send.message }).includes('TOKEN_abc'));

		const read = weComTransportError(
			node,
			{ message: 'timeout of 20000ms exceeded', code: 'ECONNABORTED', timeoutSeconds: 20 },
			{ endpoint: '/cgi-bin/kf/sync_msg' },
		);
		// n8n would replace a message mentioning ECONNABORTED with its generic "connection was aborted".
		assert.equal(read.message, 'WeCom did not answer within 20 s: /cgi-bin/kf/sync_msg');
		assert.doesNotMatch(String(read.description), /may or may not/);
		assert.equal(read.context.mayHaveBeenApplied, false);
	});

	it('a WeComCallFailure becomes the error of the node and item that asked', () => {
		const failure = new WeComCallFailure('/cgi-bin/gettoken', { errcode: 40001, errmsg: 'invalid credential' });
		const other: INode = { ...node, name: 'Other node' };
		const first = weComCallError(node, failure, { itemIndex: 0 });
		const second = weComCallError(other, failure, { itemIndex: 4, note: 'Remembered.' });
		assert.notEqual(first, second);
		assert.equal(first.node.name, 'WeCom');
		assert.equal(second.node.name, 'Other node');
		assert.equal(second.context.itemIndex, 4);
		assert.equal(second.message, 'WeCom error 40001: invalid secret');
		assert.match(String(second.description), /Remembered\.$/);
		assert.doesNotMatch(String(first.description), /Remembered/);
	});
});

describe('clientFailure: what an HTTP client error says', () => {
	const send = { timeoutMs: 15_000, safeToRepeat: false };
	const read = { timeoutMs: 20_000, safeToRepeat: true };

	it('a time-out: our deadline or the client\'s own timeout code', () => {
		assert.equal(clientFailure({ message: 'canceled', code: 'ERR_CANCELED' }, send, true).timeoutSeconds, 15);
		assert.equal(clientFailure({ message: 'timeout of 20000ms exceeded', code: 'ECONNABORTED' }, read, false).timeoutSeconds, 20);
		assert.equal(clientFailure({ message: 'socket hang up', code: 'ECONNRESET' }, send, false).timeoutSeconds, undefined);
	});

	it('may have been applied: a call that changes something and whose connection had opened', () => {
		assert.equal(clientFailure({ code: 'ECONNRESET' }, send, false).mayHaveBeenApplied, true);
		assert.equal(clientFailure({}, send, true).mayHaveBeenApplied, true);
		assert.equal(clientFailure({ code: 'ECONNREFUSED' }, send, false).mayHaveBeenApplied, false, 'never connected');
		assert.equal(clientFailure({ code: 'ENOTFOUND' }, send, false).mayHaveBeenApplied, false);
		assert.equal(clientFailure({ code: 'ECONNRESET' }, read, false).mayHaveBeenApplied, false, 'a read');
	});

	it('keeps only the message and the code of whatever was thrown', () => {
		const failure = clientFailure({ message: 'boom', code: 'EPIPE', config: { params: { access_token: 'T' } } }, send, false);
		assert.deepEqual(Object.keys(failure).sort(), ['code', 'mayHaveBeenApplied', 'message', 'timeoutSeconds']);
		assert.equal(clientFailure('not an error', send, false).message, 'request failed');
	});
});

describe('isTransientWeComError', () => {
	const api = (errcode: number) => weComApiError(node, { errcode, errmsg: 'x' }, { endpoint: '/cgi-bin/kf/send_msg' });
	const transport = (failure: Parameters<typeof weComTransportError>[1]) =>
		weComTransportError(node, failure, { endpoint: '/cgi-bin/kf/send_msg' });

	it('true for WeCom busy and too many concurrent calls', () => {
		assert.equal(isTransientWeComError(api(-1)), true);
		assert.equal(isTransientWeComError(api(45033)), true);
	});

	it('false for errcodes a pause of seconds does not change', () => {
		// wrong secret / corp ID / IP, rate limit of a minute to a day, 5-message limit, expired token
		// (already retried), invalid parameter, duplicate msgid, no permission
		for (const errcode of [40001, 40013, 40091, 60020, 45009, 95001, 95018, 42001, 40014, 40058, 48002, 81013, 123456]) {
			assert.equal(isTransientWeComError(api(errcode)), false, `errcode ${errcode}`);
		}
	});

	it('true for our timeouts, dropped or refused connections, HTTP 408, 429 and 5xx', () => {
		assert.equal(isTransientWeComError(transport({ message: 'canceled', timeoutSeconds: 15 })), true);
		for (const code of ['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'ECONNABORTED', 'EPIPE', 'EAI_AGAIN']) {
			assert.equal(isTransientWeComError(transport({ message: code, code })), true, code);
		}
		for (const statusCode of [408, 429, 500, 502, 503, 504]) {
			assert.equal(isTransientWeComError(transport({ message: 'bad gateway', statusCode })), true, `HTTP ${statusCode}`);
		}
	});

	it('false for an unknown host, a non-JSON answer and HTTP 4xx', () => {
		assert.equal(isTransientWeComError(transport({ message: 'getaddrinfo ENOTFOUND', code: 'ENOTFOUND' })), false);
		assert.equal(isTransientWeComError(transport({ message: 'the answer is not JSON', statusCode: 200 })), false);
		assert.equal(isTransientWeComError(transport({ message: 'not found', statusCode: 404 })), false);
	});

	it('answers that are not WeCom’s: a cut answer and any 5xx are worth a retry, a page or {} with 200 is not', () => {
		const answered = (received: 'html-page' | 'cut-json' | 'text' | 'empty' | 'no-errcode', statusCode: number) =>
			isTransientWeComError(transport({ message: received, received, statusCode }));
		assert.equal(answered('cut-json', 200), true, 'cut on the way, like a dropped connection');
		for (const received of ['html-page', 'text', 'empty', 'no-errcode'] as const) {
			assert.equal(answered(received, 200), false, `${received} with 200`);
			assert.equal(answered(received, 403), false, `${received} with 403`);
			assert.equal(answered(received, 502), true, `${received} with 502`);
		}
		assert.equal(isTransientWeComError(new WeComCallFailure('/x', { message: 'cut', received: 'cut-json', statusCode: 200 })), true);
	});

	it('says what answered and what to do: try again for a passing failure, check the Base URL for one that stays', () => {
		const page = weComTransportError(
			node,
			{ message: 'a proxy answered with an HTML page', received: 'html-page', excerpt: 'Access Denied', statusCode: 200 },
			{ endpoint: '/cgi-bin/gettoken' },
		);
		assert.equal(page.message, 'WeCom request failed (HTTP 200): a proxy answered with an HTML page');
		assert.match(String(page.description), /answered instead of WeCom \(page title "Access Denied"\)\. Check the Base URL/);
		assert.equal(page.context.received, 'html-page');
		const cut = weComTransportError(
			node,
			{ message: 'the answer is not JSON: it breaks off after 9 bytes', received: 'cut-json', statusCode: 200, mayHaveBeenApplied: true },
			{ endpoint: '/cgi-bin/kf/send_msg' },
		);
		assert.match(String(cut.description), /^WeCom's answer arrived incomplete.* try again in a moment\..* may or may not have been applied/);
		const none = weComTransportError(node, { message: 'the answer has no errcode, so it is not WeCom’s', received: 'no-errcode', statusCode: 200 }, { endpoint: '/x' });
		assert.match(String(none.description), /^Every WeCom API answers with an errcode \(0 means success\)/);
	});

	it('reads a WeComCallFailure and a raw network error as well', () => {
		assert.equal(isTransientWeComError(new WeComCallFailure('/x', { errcode: -1, errmsg: 'busy' })), true);
		assert.equal(isTransientWeComError(new WeComCallFailure('/x', { errcode: 40001, errmsg: 'no' })), false);
		assert.equal(isTransientWeComError(new WeComCallFailure('/x', { message: 'slow', timeoutSeconds: 10 })), true);
		assert.equal(isTransientWeComError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })), true);
		assert.equal(isTransientWeComError(Object.assign(new Error('x'), { response: { status: 503 } })), true);
	});

	it('false for refusals before any call and for things that are not errors of a call', () => {
		assert.equal(isTransientWeComError(new NodeOperationError(node, 'The WeCom API credential has no Corp ID or Secret')), false);
		assert.equal(isTransientWeComError(new Error('boom')), false);
		assert.equal(isTransientWeComError(undefined), false);
		assert.equal(isTransientWeComError('ECONNRESET'), false);
	});
});
