// The WeCom fake's rude answers (injectHttpFault): what a gateway, a proxy or a cut link sends instead of
// WeCom's JSON, per path, and whether WeCom carried the call out behind it.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';

import { startFakeWeComApi, type FakeWeComApi } from '../fakes/wecom';

const SEND = '/cgi-bin/message/send';
const GETTOKEN = '/cgi-bin/gettoken';

describe('fake WeCom: answers from the world between a client and WeCom', () => {
	let fake: FakeWeComApi;
	let token: string;

	before(async () => {
		fake = await startFakeWeComApi();
	});
	after(() => fake.close());
	beforeEach(async () => {
		fake.reset();
		const answer = (await (await fetch(`${fake.url}${GETTOKEN}?corpid=ww_fake_corp&corpsecret=fake-secret`)).json()) as {
			access_token: string;
		};
		token = answer.access_token;
	});

	async function send(): Promise<Response> {
		return await fetch(`${fake.url}${SEND}?access_token=${token}`, {
			method: 'POST',
			headers: { 'Content-Type': 'application/json' },
			body: JSON.stringify({ touser: 'zhangsan', msgtype: 'text', agentid: 1000002, text: { content: 'hi' } }),
		});
	}

	function lastRecord() {
		const record = fake.requests.at(-1);
		assert.ok(record);
		return record;
	}

	it('a gateway 503 with its status line as text; WeCom never sees the call; the next call is answered', async () => {
		fake.injectHttpFault(SEND, { status: 503 });
		const response = await send();
		assert.equal(response.status, 503);
		assert.match(response.headers.get('content-type') ?? '', /^text\/plain/);
		assert.equal(await response.text(), '503 Service Temporarily Unavailable\n');
		assert.equal(fake.sentMessages.length, 0, 'nothing sent');
		assert.equal(lastRecord().status, 503);
		assert.deepEqual(lastRecord().httpFault, { status: 503 });
		assert.equal(lastRecord().errcode, undefined);

		const next = await send();
		assert.equal(next.status, 200);
		assert.equal(((await next.json()) as { errcode: number }).errcode, 0);
		assert.equal(fake.sentMessages.length, 1);
	});

	it('a 502 with a body and content type of the test’s choosing', async () => {
		fake.injectHttpFault(SEND, { status: 502, body: '{"message":"no healthy upstream"}', contentType: 'application/json' });
		const response = await send();
		assert.equal(response.status, 502);
		assert.equal(response.headers.get('content-type'), 'application/json');
		assert.deepEqual(await response.json(), { message: 'no healthy upstream' });
		assert.equal(fake.sentMessages.length, 0);
	});

	for (const status of [200, 502]) {
		it(`a proxy's HTML page with HTTP ${status}, repeating the URL asked for, access_token and all`, async () => {
			fake.injectHttpFault(SEND, { htmlPage: status });
			const response = await send();
			assert.equal(response.status, status);
			assert.match(response.headers.get('content-type') ?? '', /^text\/html/);
			const page = await response.text();
			assert.match(page, /^<!DOCTYPE html>/);
			assert.match(page, status === 200 ? /<title>Access Denied<\/title>/ : /<title>ERROR: The requested URL could not be retrieved<\/title>/);
			assert.ok(page.includes(`${SEND}?access_token=${token}`), 'the page repeats the token, as Squid does');
			assert.equal(fake.sentMessages.length, 0, 'WeCom never saw the call');
			assert.equal(lastRecord().status, status);
		});
	}

	it('truncated: WeCom sends the message, its JSON answer arrives cut in half, in a complete HTTP answer', async () => {
		fake.injectHttpFault(SEND, 'truncated');
		const response = await send();
		assert.equal(response.status, 200);
		assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
		const text = await response.text();
		assert.equal(Number(response.headers.get('content-length')), Buffer.byteLength(text));
		assert.match(text, /^\{"errcode":0,/);
		assert.throws(() => JSON.parse(text), SyntaxError);
		assert.equal(fake.sentMessages.length, 1, 'the call was carried out');
		assert.equal(lastRecord().errcode, 0, 'WeCom’s verdict is recorded');
		assert.equal(lastRecord().httpFault, 'truncated');
	});

	it('truncated on gettoken: a token is issued, but the client cannot read it', async () => {
		fake.injectHttpFault(GETTOKEN, 'truncated');
		const before = fake.tokenFetches;
		const text = await (await fetch(`${fake.url}${GETTOKEN}?corpid=ww_fake_corp&corpsecret=fake-secret`)).text();
		assert.throws(() => JSON.parse(text), SyntaxError);
		assert.equal(fake.tokenFetches, before + 1);
	});

	it('no-errcode: HTTP 200 with {}, and nothing sent', async () => {
		fake.injectHttpFault(SEND, 'no-errcode');
		const response = await send();
		assert.equal(response.status, 200);
		assert.deepEqual(await response.json(), {});
		assert.equal(fake.sentMessages.length, 0);
		assert.equal(lastRecord().errcode, undefined);
	});

	it('faults of a path are used in order; times, always and 0; stall() comes first; reset() forgets them', async () => {
		fake.injectHttpFault(SEND, { status: 503 }, 2);
		fake.injectHttpFault(SEND, 'no-errcode');
		const statuses: number[] = [];
		for (let i = 0; i < 4; i++) statuses.push((await send()).status);
		assert.deepEqual(statuses, [503, 503, 200, 200]);
		assert.deepEqual(
			fake.requests.filter((r) => r.path === SEND).map((r) => r.httpFault ?? 'none'),
			[{ status: 503 }, { status: 503 }, 'no-errcode', 'none'],
		);

		fake.injectHttpFault(SEND, { htmlPage: 502 }, 'always');
		assert.equal((await send()).status, 502);
		assert.equal((await send()).status, 502);
		fake.injectHttpFault(SEND, { htmlPage: 502 }, 0);
		assert.equal((await send()).status, 200, 'times 0 clears the path');

		// A stalled call keeps the fault queued for the call after it.
		fake.stall(SEND);
		fake.injectHttpFault(SEND, { status: 503 });
		const stalled = send().catch(() => 'ended');
		await fake.waitFor((api) => api.requests.at(-1)?.noAnswer === 'stalled', 1000);
		assert.equal((await send()).status, 503);
		fake.injectHttpFault(SEND, { status: 503 }, 'always');
		fake.reset();
		assert.equal(await stalled, 'ended', 'reset() ends the stalled call');
		const answer = (await (await fetch(`${fake.url}${GETTOKEN}?corpid=ww_fake_corp&corpsecret=fake-secret`)).json()) as {
			access_token: string;
		};
		token = answer.access_token;
		assert.equal((await send()).status, 200, 'reset() forgets the faults');
	});

	it('a path WeCom does not know still answers 404, whatever is queued for it', async () => {
		fake.injectHttpFault('/cgi-bin/nope', 'truncated');
		const response = await fetch(`${fake.url}/cgi-bin/nope?access_token=${token}`);
		assert.equal(response.status, 404);
		assert.equal(await response.text(), '');
	});
});
