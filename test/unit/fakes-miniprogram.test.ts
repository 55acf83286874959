/** The mini-program fake behaves as WeChat documents it (docs/test-fakes.md says where it guesses). */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { startFakeMiniProgram, type FakeMiniProgram, type FakeSubscribeTemplate } from '../fakes/miniprogram';

const TEMPLATES: FakeSubscribeTemplate[] = [
	{
		priTmplId: 'TPL_ONCE',
		title: '预约提醒',
		type: 2,
		content: '客户姓名:{{thing1.DATA}}\n时间:{{time2.DATA}}\n状态:{{phrase3.DATA}}\n',
	},
	{
		priTmplId: 'TPL_LONG',
		title: '服务通知',
		type: 3,
		content: '类型:{{enum1.DATA}}\n',
		keywordEnumValueList: [{ keywordCode: 'enum1.DATA', enumValueList: ['新客户', '老客户'] }],
	},
];

type Json = Record<string, unknown>;

describe('fake mini-program API', () => {
	let fake: FakeMiniProgram;

	before(async () => {
		fake = await startFakeMiniProgram({ templates: TEMPLATES });
	});
	after(async () => {
		await fake.close();
	});

	async function post(path: string, body: unknown, contentType = 'application/json'): Promise<Json> {
		const response = await fetch(`${fake.url}${path}`, {
			method: 'POST',
			headers: { 'Content-Type': contentType },
			body: typeof body === 'string' ? body : JSON.stringify(body),
		});
		return (await response.json()) as Json;
	}
	async function get(path: string): Promise<Json> {
		return (await (await fetch(`${fake.url}${path}`)).json()) as Json;
	}
	const stable = (extra: Json = {}) =>
		post('/cgi-bin/stable_token', { grant_type: 'client_credential', appid: fake.appId, secret: fake.appSecret, ...extra });
	const token = async () => String((await stable()).access_token);

	it('stable_token, normal mode: the same token while valid, expires_in counting down, a new one 5 minutes before the end', async () => {
		const first = await stable();
		fake.advanceClock(60_000);
		const again = await stable();
		assert.equal(again.access_token, first.access_token);
		assert.equal(again.expires_in, Number(first.expires_in) - 60);
		fake.advanceClock((Number(again.expires_in) - 299) * 1000);
		const rotated = await stable();
		assert.notEqual(rotated.access_token, first.access_token);
		assert.equal(rotated.expires_in, 7200);
		// The old one is still good until its own end.
		const list = await get(`/wxaapi/newtmpl/gettemplate?access_token=${String(first.access_token)}`);
		assert.equal(list.errcode, 0);
		fake.advanceClock(300_000);
		assert.equal((await get(`/wxaapi/newtmpl/gettemplate?access_token=${String(first.access_token)}`)).errcode, 42001);
	});

	it('force_refresh: a new token that ends the old one at once; not again within 30 s; at most 20 a day', async () => {
		const before = await token();
		const forced = await stable({ force_refresh: true });
		assert.notEqual(forced.access_token, before);
		assert.equal((await get(`/wxaapi/newtmpl/gettemplate?access_token=${before}`)).errcode, 40001);
		assert.equal((await stable({ force_refresh: true })).access_token, forced.access_token, 'within 30 s: no refresh');
		assert.equal(fake.calls.at(-1)?.forceRefresh, true);
		let last: Json = {};
		for (let i = 0; i < 25; i++) {
			fake.advanceClock(31_000);
			last = await stable({ force_refresh: true });
			if (last.errcode) break;
		}
		assert.equal(last.errcode, 45009);
		fake.advanceClock(24 * 3600_000);
	});

	it('stable_token refuses a wrong App ID (40013), App Secret (40125), a form body (41002), an IP not whitelisted (40164)', async () => {
		assert.equal((await stable({ appid: 'wxnope' })).errcode, 40013);
		assert.equal((await stable({ secret: 'nope' })).errcode, 40125);
		const form = await post('/cgi-bin/stable_token', `grant_type=client_credential&appid=${fake.appId}&secret=${fake.appSecret}`, 'application/x-www-form-urlencoded');
		assert.equal(form.errcode, 41002);
		fake.whitelist('203.0.113.7');
		const refused = await stable();
		assert.equal(refused.errcode, 40164);
		assert.match(String(refused.errmsg), /^invalid ip 203\.0\.113\.7 ipv6 ::ffff:203\.0\.113\.7, not in whitelist rid: /);
		fake.whitelist(undefined);
		assert.equal(typeof (await stable()).access_token, 'string');
	});

	it('cgi-bin/token: each call ends the previous one of its own endpoint, not the stable token', async () => {
		const stableToken = await token();
		const q = `grant_type=client_credential&appid=${fake.appId}&secret=${fake.appSecret}`;
		const one = String((await get(`/cgi-bin/token?${q}`)).access_token);
		await get(`/cgi-bin/token?${q}`);
		assert.equal((await get(`/wxaapi/newtmpl/gettemplate?access_token=${one}`)).errcode, 40001);
		assert.equal((await get(`/wxaapi/newtmpl/gettemplate?access_token=${stableToken}`)).errcode, 0);
	});

	it('jscode2session: a login code works once (then 40163), expires after 5 minutes (40029)', async () => {
		const q = (code: string) => `/sns/jscode2session?appid=${fake.appId}&secret=${fake.appSecret}&js_code=${code}&grant_type=authorization_code`;
		const code = fake.loginCode('o_user1', { unionid: 'u_1' });
		const session = await get(q(code));
		assert.equal(session.openid, 'o_user1');
		assert.equal(session.unionid, 'u_1');
		assert.equal(typeof session.session_key, 'string');
		assert.equal((await get(q(code))).errcode, 40163);
		const late = fake.loginCode('o_user2');
		fake.advanceClock(5 * 60_000);
		assert.equal((await get(q(late))).errcode, 40029);
		assert.equal((await get(q('made-up'))).errcode, 40029);
	});

	it('getuserphonenumber: a phone code works once, needs a valid token', async () => {
		const code = fake.phoneCode('13800138000');
		assert.equal((await post(`/wxa/business/getuserphonenumber?access_token=stale`, { code })).errcode, 40001);
		const answer = await post(`/wxa/business/getuserphonenumber?access_token=${await token()}`, { code });
		assert.deepEqual((answer.phone_info as Json).purePhoneNumber, '13800138000');
		assert.equal((answer.phone_info as Json).countryCode, '86');
		assert.equal((await post(`/wxa/business/getuserphonenumber?access_token=${await token()}`, { code })).errcode, 40163);
	});

	it('subscribe/send: recipient, template, keyword types, acceptances in that order', async () => {
		const send = async (body: Json) => await post(`/cgi-bin/message/subscribe/send?access_token=${await token()}`, body);
		const data = { thing1: { value: '张三' }, time2: { value: '2026年12月1日 15:01' }, phrase3: { value: '已确认' } };
		assert.equal((await send({ touser: 'o_stranger', template_id: 'TPL_ONCE', data })).errcode, 40003);
		fake.accept('o_user1', 'TPL_ONCE', 2);
		assert.equal((await send({ touser: 'o_user1', template_id: 'TPL_NONE', data })).errcode, 40037);
		assert.equal((await send({ touser: 'o_user1', template_id: 'TPL_ONCE', page: 'https://x.example', data })).errcode, 41030);
		const tooLong = await send({ touser: 'o_user1', template_id: 'TPL_ONCE', data: { ...data, thing1: { value: '一'.repeat(21) } } });
		assert.equal(tooLong.errcode, 47003);
		assert.match(String(tooLong.errmsg), /^argument invalid! data\.thing1\.value invalid rid: /);
		const notPhrase = await send({ touser: 'o_user1', template_id: 'TPL_ONCE', data: { ...data, phrase3: { value: 'ok' } } });
		assert.match(String(notPhrase.errmsg), /data\.phrase3\.value/);
		assert.equal(fake.acceptances('o_user1', 'TPL_ONCE'), 2, 'a refused send uses no acceptance');
		assert.equal((await send({ touser: 'o_user1', template_id: 'TPL_ONCE', page: 'pages/index/index?id=1', data })).errcode, 0);
		assert.equal((await send({ touser: 'o_user1', template_id: 'TPL_ONCE', data })).errcode, 0);
		assert.equal((await send({ touser: 'o_user1', template_id: 'TPL_ONCE', data })).errcode, 43101);
		assert.equal(fake.sent.length, 2);
		assert.equal(fake.sent[0].page, 'pages/index/index?id=1');
	});

	it('subscribe/send: enum values from the template only; a long-term acceptance is not used up', async () => {
		const send = async (value: string) =>
			await post(`/cgi-bin/message/subscribe/send?access_token=${await token()}`, {
				touser: 'o_long',
				template_id: 'TPL_LONG',
				data: { enum1: { value } },
			});
		fake.accept('o_long', 'TPL_LONG');
		assert.equal((await send('VIP')).errcode, 47003);
		assert.equal((await send('新客户')).errcode, 0);
		assert.equal((await send('老客户')).errcode, 0);
		assert.equal(fake.acceptances('o_long', 'TPL_LONG'), 1);
	});

	it('gettemplate lists the templates; invalidateTokens and injectError work as told', async () => {
		const t = await token();
		const list = await get(`/wxaapi/newtmpl/gettemplate?access_token=${t}`);
		assert.deepEqual((list.data as Json[]).map((x) => x.priTmplId), ['TPL_ONCE', 'TPL_LONG']);
		fake.invalidateTokens();
		assert.equal((await get(`/wxaapi/newtmpl/gettemplate?access_token=${t}`)).errcode, 40001);
		const fresh = await token();
		assert.notEqual(fresh, t);
		fake.injectError('/wxaapi/newtmpl/gettemplate', -1, 1);
		assert.equal((await get(`/wxaapi/newtmpl/gettemplate?access_token=${fresh}`)).errcode, -1);
		assert.equal((await get(`/wxaapi/newtmpl/gettemplate?access_token=${fresh}`)).errcode, 0);
		assert.deepEqual(fake.calls.at(-2), { method: 'GET', path: '/wxaapi/newtmpl/gettemplate', errcode: -1 });
	});
});

describe('fake mini-program keyword rules (47003)', () => {
	it('checks each documented type', async () => {
		const { keywordAccepted } = await import('../fakes/miniprogram/keywords');
		const cases: Array<[string, string, boolean]> = [
			['thing', '一'.repeat(20), true],
			['thing', '一'.repeat(21), false],
			['thing', '😀'.repeat(20), true],
			['number', '12.5', true],
			['number', '1a', false],
			['letter', 'abc', true],
			['letter', 'ab1', false],
			['symbol', '%$', true],
			['symbol', '%$%$%$', false],
			['character_string', 'AB-12_x', true],
			['character_string', '中文', false],
			['time', '15:01', true],
			['time', '2019年10月1日 15:01', true],
			['time', '15:01~16:00', true],
			['time', '明天', false],
			['date', '2019-10-01', true],
			['date', '2019年10月1日 15:01~2019年10月2日', true],
			['date', '15:01', false],
			['amount', '¥12.50', true],
			['amount', '12.5元', true],
			['amount', '12.5', false],
			['phone_number', '+86-13800138000', true],
			['phone_number', '1'.repeat(18), false],
			['car_number', '粤A12345', true],
			['car_number', '粤A123456学', false],
			['name', '张三', true],
			['name', '张'.repeat(11), false],
			['name', 'Li Lei', true],
			['phrase', '已确认', true],
			['phrase', '已确认已确认', false],
			['phrase', 'ok', false],
			['thing', '', false],
		];
		for (const [type, value, ok] of cases) assert.equal(keywordAccepted(type, value), ok, `${type} "${value}"`);
	});
});
