// The loopback fakes behave like the platforms they stand for (errcodes, token expiry, limits, shapes),
// so that tests built on them prove something about the real thing.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { parseJsonBody, readBody, serveOnLoopback } from '../fakes/loopback';
import { startFakeOpenAi, type FakeOpenAi } from '../fakes/openai';
import { startFakeWeComApi, type FakeWeComApi } from '../fakes/wecom';
import { encryptedCallback, newSecrets, openPassiveReply, readXml } from '../fakes/wecom/callback';

type WeComAnswer = Record<string, unknown> & { errcode: number; errmsg: string };

async function wecomCall(
	fake: FakeWeComApi,
	path: string,
	init?: RequestInit,
): Promise<WeComAnswer> {
	const response = await fetch(`${fake.url}${path}`, init);
	assert.equal(response.status, 200, `${path}: WeCom answers HTTP 200 for every known API`);
	assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
	return (await response.json()) as WeComAnswer;
}

function wecomPost(fake: FakeWeComApi, path: string, body: unknown): Promise<WeComAnswer> {
	return wecomCall(fake, path, {
		method: 'POST',
		headers: { 'Content-Type': 'application/json' },
		body: JSON.stringify(body),
	});
}

async function getToken(fake: FakeWeComApi, secret = 'fake-secret'): Promise<string> {
	const answer = await wecomCall(
		fake,
		`/cgi-bin/gettoken?corpid=ww_fake_corp&corpsecret=${secret}`,
	);
	assert.equal(answer.errcode, 0, answer.errmsg);
	return answer.access_token as string;
}

function text(touser: string, content: string, agentid = 1000002) {
	return { touser, msgtype: 'text', agentid, text: { content } };
}

function upload(
	fake: FakeWeComApi,
	token: string,
	type: string,
	form: FormData,
): Promise<WeComAnswer> {
	return wecomCall(fake, `/cgi-bin/media/upload?access_token=${token}&type=${type}`, {
		method: 'POST',
		body: form,
	});
}

function mediaForm(
	size: number,
	filename = 'a.png',
	contentType = 'image/png',
	field = 'media',
): FormData {
	const form = new FormData();
	form.append(field, new Blob([Buffer.alloc(size, 1)], { type: contentType }), filename);
	return form;
}

describe('fake WeCom API', () => {
	let fake: FakeWeComApi;
	before(async () => {
		fake = await startFakeWeComApi({ unknownUsers: ['Ghost', 'nobody'] });
	});
	after(() => fake.close());
	beforeEach(() => fake.reset());

	it('listens on 127.0.0.1 and answers an unknown path with HTTP 404 and no body, like qyapi', async () => {
		assert.match(fake.url, /^http:\/\/127\.0\.0\.1:\d+$/);
		const response = await fetch(`${fake.url}/cgi-bin/this_api_does_not_exist?access_token=x`);
		assert.equal(response.status, 404);
		assert.equal(await response.text(), '');
	});

	it('gettoken checks secret, then corpid, then both values, and repeats the valid token', async () => {
		const codes = [];
		for (const query of [
			'',
			'?corpid=ww_fake_corp',
			'?corpsecret=fake-secret',
			'?corpid=ww_other&corpsecret=fake-secret',
		]) {
			codes.push((await wecomCall(fake, `/cgi-bin/gettoken${query}`)).errcode);
		}
		assert.deepEqual(codes, [41004, 41004, 41002, 40013]);
		const wrong = await wecomCall(fake, '/cgi-bin/gettoken?corpid=ww_fake_corp&corpsecret=wrong');
		assert.equal(wrong.errcode, 40001);
		assert.match(
			wrong.errmsg,
			/^invalid credential, hint: \[.+\], from ip: 127\.0\.0\.1, more info at .+\?e=40001$/,
		);

		const first = await wecomCall(
			fake,
			'/cgi-bin/gettoken?corpid=ww_fake_corp&corpsecret=fake-secret',
		);
		assert.equal(first.errcode, 0);
		assert.equal(first.errmsg, 'ok');
		assert.equal(first.expires_in, 7200);
		assert.ok((first.access_token as string).length <= 512, 'WeCom tokens fit in 512 bytes');
		assert.equal(
			await getToken(fake),
			first.access_token,
			'a refetch while valid returns the same token',
		);
		assert.equal(fake.tokenFetches, 2);
	});

	it('reads access_token from the query only: 41001 missing, 40014 unknown, 42001 expired', async () => {
		const body = text('zhangsan', 'hi');
		assert.equal((await wecomPost(fake, '/cgi-bin/message/send', body)).errcode, 41001);
		const token = await getToken(fake);
		const inHeader = await wecomCall(fake, '/cgi-bin/message/send', {
			method: 'POST',
			headers: { Authorization: `Bearer ${token}` },
			body: JSON.stringify(body),
		});
		assert.equal(inHeader.errcode, 41001);
		assert.equal(
			(await wecomPost(fake, '/cgi-bin/message/send?access_token=bogus', body)).errcode,
			40014,
		);
		assert.equal(
			(await wecomPost(fake, `/cgi-bin/message/send?access_token=${token}`, body)).errcode,
			0,
		);

		fake.expireAllTokens();
		assert.equal(
			(await wecomPost(fake, `/cgi-bin/message/send?access_token=${token}`, body)).errcode,
			42001,
		);
		const renewed = await getToken(fake);
		assert.notEqual(renewed, token);
		assert.equal(
			(await wecomPost(fake, `/cgi-bin/message/send?access_token=${renewed}`, body)).errcode,
			0,
		);

		fake.invalidateAllTokens();
		assert.equal(
			(await wecomPost(fake, `/cgi-bin/message/send?access_token=${renewed}`, body)).errcode,
			40014,
		);
	});

	it('message/send accepts a text message, answers WeCom fields and records it', async () => {
		const token = await getToken(fake);
		const answer = await wecomPost(
			fake,
			`/cgi-bin/message/send?access_token=${token}`,
			text('zhangsan|lisi', '你好'),
		);
		assert.deepEqual(Object.keys(answer), [
			'errcode',
			'errmsg',
			'invaliduser',
			'invalidparty',
			'invalidtag',
			'unlicenseduser',
			'msgid',
		]);
		assert.equal(answer.errcode, 0);
		assert.equal(answer.errmsg, 'ok');
		await fake.waitFor((api) => api.sentMessages.length === 1, 1000);
		assert.equal(fake.sentMessages[0].msgid, answer.msgid);
		assert.equal(fake.sentMessages[0].content, '你好');
		assert.equal(fake.sentMessages[0].truncated, false);
	});

	it('truncates text over 2048 bytes at a character boundary and records the truncated text', async () => {
		const token = await getToken(fake);
		const long = '中'.repeat(700); // 2100 bytes
		const answer = await wecomPost(
			fake,
			`/cgi-bin/message/send?access_token=${token}`,
			text('zhangsan', long),
		);
		assert.equal(answer.errcode, 0);
		const sent = fake.sentMessages[0];
		assert.equal(sent.truncated, true);
		assert.equal(sent.content, '中'.repeat(682));
		assert.equal(Buffer.byteLength(sent.content ?? ''), 2046);
		assert.deepEqual(sent.body.text, { content: '中'.repeat(682) });
	});

	it('answers the documented errcodes for bad message/send bodies', async () => {
		const token = await getToken(fake);
		const send = async (body: unknown) =>
			(await wecomPost(fake, `/cgi-bin/message/send?access_token=${token}`, body)).errcode;
		assert.equal(await send({ msgtype: 'text', agentid: 1000002, text: { content: 'x' } }), 82001);
		assert.equal(
			await send({ toUser: 'zhangsan', msgtype: 'text', agentid: 1000002, text: { content: 'x' } }),
			82001,
		);
		assert.equal(await send(text('zhangsan', 'x', 1000003)), 301002);
		assert.equal(await send({ touser: 'zhangsan', msgtype: 'text' }), 41011);
		assert.equal(await send({ ...text('zhangsan', 'x'), msgtype: 'sticker' }), 40008);
		assert.equal(await send(text('zhangsan', '')), 44004);
		const card = { title: 'Title', url: 'https://example.com' };
		assert.equal(
			await send({ touser: 'a', msgtype: 'textcard', agentid: 1000002, textcard: card }),
			41033,
		);
		const article = { title: 'T', url: 'https://example.com' };
		const news = (n: number) => ({
			touser: 'a',
			msgtype: 'news',
			agentid: 1000002,
			news: { articles: Array(n).fill(article) },
		});
		assert.equal(await send(news(9)), 45008);
		assert.equal(await send(news(8)), 0);
		assert.equal(await send({ touser: 'a', msgtype: 'image', agentid: 1000002, image: {} }), 41006);
		assert.equal(
			await send({
				touser: 'a',
				msgtype: 'image',
				agentid: 1000002,
				image: { media_id: 'never-issued' },
			}),
			40007,
		);
		assert.equal(fake.sentMessages.length, 1);
	});

	it('reports unknown users in lower case and answers 81013 when every recipient is invalid', async () => {
		const token = await getToken(fake);
		const partly = await wecomPost(
			fake,
			`/cgi-bin/message/send?access_token=${token}`,
			text('zhangsan|Ghost', 'x'),
		);
		assert.equal(partly.errcode, 0);
		assert.equal(partly.invaliduser, 'ghost');
		const none = await wecomPost(
			fake,
			`/cgi-bin/message/send?access_token=${token}`,
			text('Ghost|nobody', 'x'),
		);
		assert.equal(none.errcode, 81013);
		assert.equal(none.invaliduser, 'ghost|nobody');
		assert.equal(
			(await wecomPost(fake, `/cgi-bin/message/send?access_token=${token}`, text('@all', 'x')))
				.errcode,
			0,
		);
		assert.equal(fake.sentMessages.length, 2);
	});

	it('message/recall recalls a sent msgid once', async () => {
		const token = await getToken(fake);
		const { msgid } = await wecomPost(
			fake,
			`/cgi-bin/message/send?access_token=${token}`,
			text('zhangsan', 'x'),
		);
		const recall = (id: unknown) =>
			wecomPost(fake, `/cgi-bin/message/recall?access_token=${token}`, { msgid: id });
		assert.equal((await recall(msgid)).errcode, 0);
		assert.deepEqual(fake.recalled, [msgid]);
		assert.equal((await recall(msgid)).errcode, 40058);
		assert.equal((await recall('unknown')).errcode, 40058);
	});

	it('injectError answers an errcode the next n times, with WeCom’s 60020 errmsg by default', async () => {
		const token = await getToken(fake);
		fake.injectError('/cgi-bin/message/send', 60020);
		const blocked = await wecomPost(
			fake,
			`/cgi-bin/message/send?access_token=${token}`,
			text('zhangsan', 'x'),
		);
		assert.equal(blocked.errcode, 60020);
		assert.equal(
			blocked.errmsg,
			'not allow to access from your ip, hint: [1700000000_1_abc], from ip: 203.0.113.7, more info at https://open.work.weixin.qq.com/devtool/query?e=60020',
		);
		assert.equal(
			(await wecomPost(fake, `/cgi-bin/message/send?access_token=${token}`, text('zhangsan', 'x')))
				.errcode,
			0,
		);

		fake.injectError('/cgi-bin/gettoken', 45009, 'api freq out of limit', 2);
		const url = '/cgi-bin/gettoken?corpid=ww_fake_corp&corpsecret=fake-secret';
		const answers = [
			await wecomCall(fake, url),
			await wecomCall(fake, url),
			await wecomCall(fake, url),
		];
		assert.deepEqual(
			answers.map((a) => [a.errcode, a.errmsg]),
			[
				[45009, 'api freq out of limit'],
				[45009, 'api freq out of limit'],
				[0, 'ok'],
			],
		);
		assert.equal(fake.tokenFetches, 2, 'only successful gettoken calls count');
		fake.injectError('/cgi-bin/gettoken', 45009, undefined, 3);
		fake.injectError('/cgi-bin/gettoken', 45009, undefined, 0);
		assert.equal((await wecomCall(fake, url)).errcode, 0, 'times 0 clears the queue');
	});

	it('media/upload takes the multipart `media` part and issues a media_id message/send accepts', async () => {
		const token = await getToken(fake);
		const form = new FormData();
		form.append('media', new Blob(['hello world'], { type: 'image/png' }), 'a.png');
		const answer = await upload(fake, token, 'image', form);
		assert.equal(answer.errcode, 0, answer.errmsg);
		assert.equal(answer.type, 'image');
		assert.match(answer.created_at as string, /^\d{10}$/);
		assert.deepEqual(
			{ ...fake.uploadedMedia[0], sha256: undefined, time: undefined },
			{
				type: 'image',
				filename: 'a.png',
				size: 11,
				contentType: 'image/png',
				media_id: answer.media_id,
				sha256: undefined,
				time: undefined,
			},
		);
		assert.deepEqual(fake.requests.at(-1)?.multipart, [
			{ name: 'media', filename: 'a.png', contentType: 'image/png', size: 11 },
		]);
		const image = {
			touser: 'a',
			msgtype: 'image',
			agentid: 1000002,
			image: { media_id: answer.media_id },
		};
		assert.equal(
			(await wecomPost(fake, `/cgi-bin/message/send?access_token=${token}`, image)).errcode,
			0,
		);
	});

	it('media/upload reads the part layout of WeCom’s own example (name="media";filename=…; filelength=…)', async () => {
		const token = await getToken(fake);
		const body =
			'---------------------------acebdf13572468\r\n' +
			'Content-Disposition: form-data; name="media";filename="wework.txt"; filelength=6\r\n' +
			'Content-Type: application/octet-stream\r\n\r\n' +
			'mytext\r\n' +
			'---------------------------acebdf13572468--\r\n';
		const answer = await wecomCall(fake, `/cgi-bin/media/upload?access_token=${token}&type=file`, {
			method: 'POST',
			headers: {
				'Content-Type': 'multipart/form-data; boundary=-------------------------acebdf13572468',
			},
			body,
		});
		assert.equal(answer.errcode, 0, answer.errmsg);
		assert.equal(fake.uploadedMedia[0].filename, 'wework.txt');
		assert.equal(fake.uploadedMedia[0].size, 6);
	});

	it('media/upload enforces the type, the field name and the size limits of each type', async () => {
		const token = await getToken(fake);
		const MB = 1024 * 1024;
		const cases: Array<[string, FormData, number]> = [
			['sticker', mediaForm(100), 40005],
			['image', mediaForm(100, 'a.png', 'image/png', 'file'), 44001],
			['image', mediaForm(0), 44001],
			['image', mediaForm(5), 40006],
			['image', mediaForm(10 * MB + 1), 40009],
			['video', mediaForm(10 * MB + 1, 'a.mp4', 'video/mp4'), 40011],
			['voice', mediaForm(2 * MB + 1, 'a.amr', 'audio/amr'), 40006],
			['voice', mediaForm(2 * MB, 'a.amr', 'audio/amr'), 0],
			['file', mediaForm(6, 'a.txt', 'text/plain'), 0],
		];
		const results = [];
		for (const [type, form] of cases) results.push((await upload(fake, token, type, form)).errcode);
		assert.deepEqual(
			results,
			cases.map(([, , errcode]) => errcode),
		);
		assert.equal(fake.uploadedMedia.length, 2);
	});

	it('auth/getuserinfo answers a registered code once, as member or non-member', async () => {
		const token = await getToken(fake);
		const ask = (code: string) =>
			wecomCall(fake, `/cgi-bin/auth/getuserinfo?access_token=${token}&code=${code}`);
		fake.addOAuthCode('code-member', { userid: 'zhangsan', user_ticket: 'ticket-1' });
		fake.addOAuthCode('code-visitor', { openid: 'o-visitor' });
		assert.deepEqual(await ask('code-member'), {
			errcode: 0,
			errmsg: 'ok',
			userid: 'zhangsan',
			user_ticket: 'ticket-1',
		});
		assert.equal((await ask('code-member')).errcode, 40029, 'a code is single-use');
		assert.deepEqual(await ask('code-visitor'), { errcode: 0, errmsg: 'ok', openid: 'o-visitor' });
		assert.equal((await ask('never-issued')).errcode, 40029);
		assert.equal(
			(await wecomCall(fake, `/cgi-bin/auth/getuserinfo?access_token=${token}`)).errcode,
			41008,
		);
	});

	it('serves the corp and agent_config jsapi tickets and counts them', async () => {
		const token = await getToken(fake);
		const corp = await wecomCall(fake, `/cgi-bin/get_jsapi_ticket?access_token=${token}`);
		assert.equal(corp.errcode, 0);
		assert.equal(corp.expires_in, 7200);
		assert.equal(typeof corp.ticket, 'string');
		assert.equal(
			(await wecomCall(fake, `/cgi-bin/ticket/get?access_token=${token}&type=agent_config`))
				.errcode,
			0,
		);
		assert.equal(
			(await wecomCall(fake, `/cgi-bin/ticket/get?access_token=${token}&type=other`)).errcode,
			91040,
		);
		assert.deepEqual(fake.ticketFetches, { jsapi: 1, agentConfig: 1 });
	});

	it('records requests, warns about malformed JSON, and times out a waitFor', async () => {
		const token = await getToken(fake);
		const broken = await wecomCall(fake, `/cgi-bin/message/send?access_token=${token}`, {
			method: 'POST',
			body: '{"touser":',
		});
		assert.equal(broken.errcode, 41011, 'nothing of the body was readable, so agentid is missing');
		assert.match(broken.errmsg, / Warning: wrong json format\.$/);
		assert.deepEqual(
			fake.requests.map((r) => [r.method, r.path, r.errcode]),
			[
				['GET', '/cgi-bin/gettoken', 0],
				['POST', '/cgi-bin/message/send', broken.errcode],
			],
		);
		assert.equal(fake.requests[0].query.corpid, 'ww_fake_corp');
		await assert.rejects(
			fake.waitFor((api) => api.sentMessages.length > 0, 50),
			/condition not met within 50 ms/,
		);
	});
});

describe('fake WeCom API on a moved clock', () => {
	let clock = Date.UTC(2026, 0, 1);
	let fake: FakeWeComApi;
	before(async () => {
		fake = await startFakeWeComApi({ tokenTtlSeconds: 60, now: () => clock });
	});
	after(() => fake.close());

	it('expires a token after its lifetime and then issues a new one', async () => {
		const token = await getToken(fake);
		const send = (t: string) =>
			wecomPost(fake, `/cgi-bin/message/send?access_token=${t}`, text('zhangsan', 'x'));
		clock += 59_000;
		assert.equal((await send(token)).errcode, 0);
		const again = await wecomCall(
			fake,
			'/cgi-bin/gettoken?corpid=ww_fake_corp&corpsecret=fake-secret',
		);
		assert.deepEqual([again.access_token, again.expires_in], [token, 1]);
		clock += 1_000;
		assert.equal((await send(token)).errcode, 42001);
		const renewed = await wecomCall(
			fake,
			'/cgi-bin/gettoken?corpid=ww_fake_corp&corpsecret=fake-secret',
		);
		assert.notEqual(renewed.access_token, token);
		assert.equal(renewed.expires_in, 60);

		fake.setTokenTtl(10);
		clock += 10_000;
		assert.equal(
			(await send(renewed.access_token as string)).errcode,
			42001,
			'setTokenTtl applies to issued tokens',
		);
	});

	it('lets an OAuth code expire after 5 minutes', async () => {
		fake.addOAuthCode('late', { userid: 'zhangsan' });
		clock += 5 * 60_000;
		const token = await getToken(fake);
		assert.equal(
			(await wecomCall(fake, `/cgi-bin/auth/getuserinfo?access_token=${token}&code=late`)).errcode,
			40029,
		);
	});
});

describe('fake OpenAI API', () => {
	let fake: FakeOpenAi;
	const auth = { Authorization: 'Bearer sk-test', 'Content-Type': 'application/json' };
	const chat = (body: unknown) =>
		fetch(`${fake.url}/chat/completions`, {
			method: 'POST',
			headers: auth,
			body: JSON.stringify(body),
		});
	before(async () => {
		fake = await startFakeOpenAi();
	});
	after(() => fake.close());
	beforeEach(() => fake.reset());

	it('answers 401 with OpenAI’s error JSON when the API key is missing', async () => {
		assert.match(fake.url, /^http:\/\/127\.0\.0\.1:\d+\/v1$/);
		const response = await fetch(`${fake.url}/chat/completions`, { method: 'POST', body: '{}' });
		assert.equal(response.status, 401);
		const { error } = (await response.json()) as { error: Record<string, unknown> };
		assert.deepEqual(Object.keys(error), ['message', 'type', 'param', 'code']);
		assert.equal(error.type, 'invalid_request_error');
		assert.match(error.message as string, /You didn't provide an API key/);
	});

	it('answers a chat completion in OpenAI’s shape, replying to the last user message', async () => {
		const response = await chat({
			model: 'gpt-4o-mini',
			messages: [
				{ role: 'system', content: 'be brief' },
				{ role: 'user', content: [{ type: 'text', text: '你好' }] },
			],
		});
		assert.equal(response.status, 200);
		const body = (await response.json()) as {
			id: string;
			object: string;
			created: number;
			model: string;
			choices: Array<{ index: number; message: Record<string, unknown>; finish_reason: string }>;
			usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
		};
		assert.match(body.id, /^chatcmpl-/);
		assert.equal(body.object, 'chat.completion');
		assert.equal(body.model, 'gpt-4o-mini');
		assert.equal(typeof body.created, 'number');
		assert.equal(body.choices.length, 1);
		assert.equal(body.choices[0].index, 0);
		assert.equal(body.choices[0].finish_reason, 'stop');
		assert.equal(body.choices[0].message.role, 'assistant');
		assert.equal(body.choices[0].message.content, 'AI answer to: 你好');
		assert.equal('tool_calls' in body.choices[0].message, false);
		assert.equal(body.usage.total_tokens, body.usage.prompt_tokens + body.usage.completion_tokens);
		assert.equal(fake.requests[0].authorization, 'Bearer sk-test');
	});

	it('streams server-sent events that add up to the reply and end with [DONE]', async () => {
		fake.setReply((request) => `echo ${request.lastUserText} twice`);
		const response = await chat({
			model: 'gpt-4o-mini',
			stream: true,
			stream_options: { include_usage: true },
			messages: [{ role: 'user', content: 'hi' }],
		});
		assert.match(response.headers.get('content-type') ?? '', /^text\/event-stream/);
		const lines = (await response.text()).split('\n\n').filter((line) => line !== '');
		assert.equal(lines.at(-1), 'data: [DONE]');
		const chunks = lines.slice(0, -1).map((line) => {
			assert.ok(line.startsWith('data: '));
			return JSON.parse(line.slice('data: '.length)) as {
				object: string;
				choices: Array<{ delta: { content?: string }; finish_reason: string | null }>;
				usage: unknown;
			};
		});
		assert.ok(chunks.every((c) => c.object === 'chat.completion.chunk'));
		assert.equal(
			chunks.flatMap((c) => c.choices.map((choice) => choice.delta.content ?? '')).join(''),
			'echo hi twice',
		);
		assert.equal(chunks.at(-2)?.choices[0].finish_reason, 'stop');
		assert.deepEqual(chunks.at(-1)?.choices, []);
		assert.ok(chunks.at(-1)?.usage);
	});

	it('failNext fails the next chat completions with the given status, then recovers', async () => {
		fake.failNext(2, 503);
		const body = { model: 'm', messages: [{ role: 'user', content: 'x' }] };
		const statuses = [];
		for (let i = 0; i < 3; i++) statuses.push((await chat(body)).status);
		assert.deepEqual(statuses, [503, 503, 200]);
		fake.failNext(5);
		fake.failNext(0);
		fake.setReply('fixed');
		const answer = (await (await chat(body)).json()) as {
			choices: Array<{ message: { content: string } }>;
		};
		assert.equal(answer.choices[0].message.content, 'fixed');
	});

	it('rejects a body without messages and lists models', async () => {
		const bad = await chat({ model: 'm' });
		assert.equal(bad.status, 400);
		assert.equal(
			((await bad.json()) as { error: { code: string } }).error.code,
			'missing_required_parameter',
		);
		const models = (await (await fetch(`${fake.url}/models`, { headers: auth })).json()) as {
			object: string;
			data: Array<{ id: string; object: string }>;
		};
		assert.equal(models.object, 'list');
		assert.ok(models.data.some((m) => m.id === 'gpt-4o-mini' && m.object === 'model'));
	});

	it('waits setLatency before answering', async () => {
		fake.setLatency(60);
		const started = performance.now();
		await (await fetch(`${fake.url}/models`, { headers: auth })).json();
		assert.ok(performance.now() - started >= 55);
	});

	it('checks the key when one is configured', async () => {
		const strict = await startFakeOpenAi({ apiKey: 'sk-right-key-0001' });
		try {
			const wrong = await fetch(`${strict.url}/models`, {
				headers: { Authorization: 'Bearer sk-wrong-key-0002' },
			});
			assert.equal(wrong.status, 401);
			assert.equal(
				((await wrong.json()) as { error: { code: string } }).error.code,
				'invalid_api_key',
			);
			const right = await fetch(`${strict.url}/models`, {
				headers: { Authorization: 'Bearer sk-right-key-0001' },
			});
			assert.equal(right.status, 200);
		} finally {
			await strict.close();
		}
	});
});

describe('loopback helper', () => {
	it('listens on 127.0.0.1, reads bodies up to a bound, and never parses a cut body', async () => {
		const seen: Array<{ size: number; kept: number; overflow: boolean; kind: string }> = [];
		const server = await serveOnLoopback('test', async (req, res) => {
			const body = await readBody(req, 8);
			seen.push({ size: body.size, kept: body.data.length, overflow: body.overflow, kind: parseJsonBody(body).kind });
			res.end();
		});
		try {
			assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+$/);
			for (const body of ['{"a":1}', '{"a":"123456789"}', '', 'not json']) {
				await fetch(server.url, { method: 'POST', body });
			}
			assert.deepEqual(seen, [
				{ size: 7, kept: 7, overflow: false, kind: 'json' },
				{ size: 17, kept: 8, overflow: true, kind: 'broken' },
				{ size: 0, kept: 0, overflow: false, kind: 'empty' },
				{ size: 8, kept: 8, overflow: false, kind: 'broken' },
			]);
		} finally {
			await server.close();
		}
	});

	it('answers a handler that throws with HTTP 500 naming the fake', async () => {
		const server = await serveOnLoopback('Broken', () => Promise.reject(new Error('bug in the fake')));
		try {
			const response = await fetch(server.url);
			assert.equal(response.status, 500);
			assert.match(await response.text(), /^fake Broken failed: Error: bug in the fake/);
		} finally {
			await server.close();
		}
	});
});

describe("fake WeCom callbacks (WeCom's side, on @wecom/crypto, never the product's code)", () => {
	// The worked example of doc 90968, a reply envelope in the shape WeCom opens.
	const docSecrets = { token: 'QDG6eK', encodingAesKey: 'jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C', corpId: 'wx5823bf96d3bd56c7' };
	const docEnvelope =
		'<xml><Encrypt><![CDATA[RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5L5X/0lWfrf0QADHHhGd3QczcdCUpj911L3vg3W/sYYvuJTs3TUUkSUXxaccAS0qhxchrRYt66wiSpGLYL42aM6A8dTT+6k4aSknmPj48kzJs8qLjvd4Xgpue06DOdnLxAUHzM6+kDZ+HMZfJYuR+LtwGc2hgf5gsijff0ekUNXZiqATP7PF5mZxZ3Izoun1s4zG4LUMnvw2r+KqCKIw+3IQH03v+BCA9nMELNqbSf6tiWSrXJB3LAVGUcallcrw8V2t9EL4EhzJWrQUax5wLVMNS0+rUPA3k22Ncx4XXZS9o0MBH27Bo6BpNelZpS+/uh9KsNlY6bHCmJU9p8g7m3fVKn28H3KDYA5Pl/T8Z1ptDAVe0lXdQ2YoyyH2uyPIGHBZZIs2pDBS8R07+qN+E7Q==]]></Encrypt>' +
		'<MsgSignature><![CDATA[477715d11cdb4164915debcba66cb864d751f3e6]]></MsgSignature>' +
		'<TimeStamp>1409659813</TimeStamp><Nonce><![CDATA[1372623149]]></Nonce></xml>';

	it('opens the doc 90968 example and checks its signature and receive ID', () => {
		assert.deepEqual(openPassiveReply(docSecrets, docEnvelope), {
			ToUserName: 'wx5823bf96d3bd56c7',
			FromUserName: 'mycreate',
			CreateTime: '1409659813',
			MsgType: 'text',
			Content: 'hello',
			MsgId: '4561255354251345929',
			AgentID: '218',
		});
		assert.throws(
			() => openPassiveReply(docSecrets, docEnvelope.replace('477715d1', '477715d2')),
			/MsgSignature/,
		);
		assert.throws(() => openPassiveReply({ ...docSecrets, corpId: 'ww_other' }, docEnvelope), /receive ID/);
	});

	it('signs and encrypts a callback that opens again to the same XML', () => {
		const secrets = newSecrets();
		const signed = encryptedCallback(secrets, '<xml><Content><![CDATA[你好]]></Content></xml>', { timestamp: '1', nonce: '2' });
		const encrypt = /<Encrypt><!\[CDATA\[(.*)\]\]><\/Encrypt>/.exec(signed.body)?.[1] ?? '';
		const asReply = `<xml><Encrypt><![CDATA[${encrypt}]]></Encrypt><MsgSignature><![CDATA[${signed.query.msg_signature}]]></MsgSignature><TimeStamp>1</TimeStamp><Nonce><![CDATA[2]]></Nonce></xml>`;
		assert.deepEqual(openPassiveReply(secrets, asReply), { Content: '你好' });
	});

	it('reads CDATA split around "]]>", entities, repeated and empty elements', () => {
		assert.deepEqual(
			readXml(
				'<?xml version="1.0"?><xml>\n<C><![CDATA[a]]]]><![CDATA[>b]]></C><D>&lt;&amp;&#x4E2D;&#25991;</D>' +
					'<Articles><item><Title>A</Title></item><item><Title>B</Title></item></Articles><E/><F></F></xml>',
			),
			{ C: 'a]]>b', D: '<&中文', Articles: { item: [{ Title: 'A' }, { Title: 'B' }] }, E: '', F: '' },
		);
	});
});
