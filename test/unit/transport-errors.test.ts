/* eslint-disable @n8n/community-nodes/no-restricted-imports -- test code, never shipped */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { NodeApiError, type INode } from 'n8n-workflow';

import {
	describeWeComError,
	ipFromErrmsg,
	stripSecrets,
	WECOM_ERRORS,
	weComApiError,
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
