/* eslint-disable @n8n/community-nodes/no-restricted-imports -- test code, never shipped */
// readWeComAnswer: WeCom's JSON answer, told apart from whatever else answered in its place.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { readWeComAnswer, type HttpAnswer } from '../../nodes/WeCom/transport/answer';

const TOKEN = 'tok_0123456789abcdefghijklmnopqrstuvwxyz';

function read(answer: HttpAnswer, secrets: string[] = []) {
	return readWeComAnswer(answer, secrets);
}

function failureOf(answer: HttpAnswer, secrets: string[] = []) {
	const result = read(answer, secrets);
	assert.ok('failure' in result, 'not taken for WeCom’s answer');
	return result.failure;
}

describe('readWeComAnswer: what is WeCom’s answer', () => {
	it('JSON with an errcode, parsed or as text or bytes, whatever the status (a proxy may pass one on)', () => {
		assert.deepEqual(read({ statusCode: 200, body: { errcode: 0, errmsg: 'ok', msgid: 'm1' } }), {
			answer: { errcode: 0, errmsg: 'ok', msgid: 'm1' },
		});
		assert.deepEqual(read({ statusCode: 200, body: '{"errcode":40014,"errmsg":"invalid access_token"}' }), {
			answer: { errcode: 40014, errmsg: 'invalid access_token' },
		});
		assert.deepEqual(read({ statusCode: 200, body: Buffer.from('{"errcode":0}') }), { answer: { errcode: 0 } });
		assert.deepEqual(read({ statusCode: 502, body: { errcode: -1, errmsg: 'system busy' } }), {
			answer: { errcode: -1, errmsg: 'system busy' },
		});
	});

	it('{} and JSON without a whole-number errcode are not: no WeCom API answers so (doc 90313)', () => {
		for (const body of [{}, '{}', { errmsg: 'ok' }, { errcode: null }, { errcode: 'ok' }, { errcode: 1.5 }, { access_token: TOKEN }]) {
			const failure = failureOf({ statusCode: 200, body });
			assert.equal(failure.received, 'no-errcode', JSON.stringify(body));
			assert.equal(failure.message, 'the answer has no errcode, so it is not WeCom’s');
			assert.equal(failure.statusCode, 200);
		}
		assert.equal(failureOf({ statusCode: 200, body: '[1,2]' }).received, 'no-errcode');
	});
});

describe('readWeComAnswer: what answered instead', () => {
	it('an HTML page, by content type or by its first character; its title kept, entities read', () => {
		const page = '<!DOCTYPE html><html><head><TITLE>\n Proxy &amp; Filter: Access Denied </TITLE></head><body>…</body></html>';
		const byType = failureOf({ statusCode: 200, headers: { 'content-type': 'text/html; charset=utf-8' }, body: `  ${page}` });
		assert.deepEqual([byType.received, byType.message, byType.excerpt], [
			'html-page',
			'a proxy answered with an HTML page',
			'Proxy & Filter: Access Denied',
		]);
		const byStart = failureOf({ statusCode: 502, headers: { 'content-type': 'text/plain' }, body: '<html><body>Bad Gateway</body></html>' });
		assert.equal(byStart.received, 'html-page');
		assert.equal(byStart.excerpt, undefined, 'no title, none made up');
		assert.equal(byStart.statusCode, 502);
	});

	it('the title is looked for only near the top, so a huge page costs nothing', () => {
		const huge = `<html>${'<p>x</p>'.repeat(200_000)}<title>late</title></html>`;
		assert.equal(failureOf({ statusCode: 200, body: huge }).excerpt, undefined);
		const long = failureOf({ statusCode: 200, body: `<title>${'t'.repeat(500)}</title>` }).excerpt ?? '';
		assert.equal(long.length, 100);
	});

	it('JSON cut short: "not JSON", with its length, and no body kept (it is WeCom’s own, half a token perhaps)', () => {
		const whole = JSON.stringify({ errcode: 0, errmsg: 'ok', access_token: TOKEN, expires_in: 7200 });
		const cut = whole.slice(0, 50);
		const failure = failureOf({ statusCode: 200, headers: { 'content-type': 'application/json' }, body: cut });
		assert.equal(failure.received, 'cut-json');
		assert.equal(failure.message, 'the answer is not JSON: it breaks off after 50 bytes');
		assert.equal(failure.body, undefined);
		assert.ok(!JSON.stringify(failure).includes(TOKEN.slice(0, 8)));
	});

	it('plain text: "not JSON" and its first line; an empty body says so', () => {
		const text = failureOf({ statusCode: 503, body: '503 Service Temporarily Unavailable\nnginx\n' });
		assert.equal(text.received, 'text');
		assert.equal(text.message, 'the answer is not JSON: "503 Service Temporarily Unavailable"');
		assert.equal(text.body, '503 Service Temporarily Unavailable\nnginx\n');
		for (const body of ['', '  \n', undefined, null]) {
			const empty = failureOf({ statusCode: 404, body });
			assert.deepEqual([empty.received, empty.message, empty.body], ['empty', 'the answer is empty', undefined]);
		}
	});

	it('secrets the request carried leave the body, excerpt and message, in any form a page repeats them', () => {
		const secret = 'S3cr3t/with+chars=';
		const page =
			`<html><head><title>Denied ${TOKEN}</title></head><body>` +
			`<a href="/cgi-bin/gettoken?corpid=ww1&amp;corpsecret=${encodeURIComponent(secret)}">retry</a>` +
			`<p>token ${TOKEN} secret ${secret} ${encodeURIComponent(secret)}</p></body></html>`;
		const failure = failureOf({ statusCode: 200, body: page }, [TOKEN, secret]);
		const text = JSON.stringify(failure);
		assert.ok(!text.includes(TOKEN));
		assert.ok(!text.includes(secret) && !text.includes(encodeURIComponent(secret)));
		assert.equal(failure.excerpt, 'Denied ***');

		const line = failureOf({ statusCode: 502, body: `upstream refused access_token=${TOKEN}` }, []);
		assert.equal(line.message, 'the answer is not JSON: "upstream refused access_token=***"');
		const json = failureOf({ statusCode: 200, body: { access_token: TOKEN, ticket: TOKEN } }, []);
		assert.ok(!JSON.stringify(json).includes(TOKEN), 'secret fields of JSON without errcode are masked');
	});
});
