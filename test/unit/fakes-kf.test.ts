// The kf (微信客服) part of the fake WeCom API behaves as docs 94670/94677/95122/94669/94661/94645/95159
// describe it (docs/test-fakes.md lists the sources and the fake's guesses), so node tests built on it prove something.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';

import { startFakeWeComApi, type FakeWeComApi } from '../fakes/wecom';

type Answer = Record<string, unknown> & { errcode: number; errmsg: string };

const KF = 'wkFAKEKF0001';
const HOUR = 3600_000;

let clock = Date.UTC(2026, 10, 1, 8, 0, 0);
let fake: FakeWeComApi;
let token: string;

async function call(path: string, body?: unknown, method = 'POST'): Promise<Answer> {
	const separator = path.includes('?') ? '&' : '?';
	const response = await fetch(`${fake.url}${path}${separator}access_token=${token}`, {
		method,
		...(body === undefined ? {} : { headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) }),
	});
	assert.equal(response.status, 200);
	return (await response.json()) as Answer;
}

async function freshToken(): Promise<string> {
	const response = await fetch(`${fake.url}/cgi-bin/gettoken?corpid=ww_fake_corp&corpsecret=fake-secret`);
	return ((await response.json()) as Answer).access_token as string;
}

function text(content: string) {
	return { msgtype: 'text', text: { content } };
}

function reply(touser: string, content: string, extra: Record<string, unknown> = {}) {
	return { touser, open_kfid: KF, msgtype: 'text', text: { content }, ...extra };
}

async function pngMediaId(): Promise<string> {
	const form = new FormData();
	form.append('media', new Blob([Buffer.alloc(64, 1)], { type: 'image/png' }), 'a.png');
	const response = await fetch(`${fake.url}/cgi-bin/media/upload?access_token=${token}&type=image`, {
		method: 'POST',
		body: form,
	});
	return ((await response.json()) as Answer).media_id as string;
}

describe('fake WeCom API: kf', () => {
	before(async () => {
		fake = await startFakeWeComApi({ now: () => clock, tokenTtlSeconds: 30 * 24 * 3600 });
	});
	after(() => fake.close());
	beforeEach(async () => {
		fake.reset();
		clock = Date.UTC(2026, 10, 1, 8, 0, 0);
		token = await freshToken();
	});

	it('every kf API wants a valid access_token', async () => {
		for (const path of ['/cgi-bin/kf/sync_msg', '/cgi-bin/kf/send_msg', '/cgi-bin/kf/account/list']) {
			const response = await fetch(`${fake.url}${path}?access_token=nope`, { method: 'POST', body: '{}' });
			assert.equal(((await response.json()) as Answer).errcode, 40014, path);
			const none = await fetch(`${fake.url}${path}`, { method: 'POST', body: '{}' });
			assert.equal(((await none.json()) as Answer).errcode, 41001, path);
		}
	});

	describe('sync_msg', () => {
		it('needs open_kfid (40058, WeCom errmsg) and an account that exists (95004)', async () => {
			const missing = await call('/cgi-bin/kf/sync_msg', {});
			assert.equal(missing.errcode, 40058);
			assert.match(missing.errmsg, /^field open_kfid unexpected empty string\. invalid Request Parameter/);
			assert.equal((await call('/cgi-bin/kf/sync_msg', { open_kfid: '' })).errcode, 40058);
			assert.equal((await call('/cgi-bin/kf/sync_msg', { open_kfid: 'wkNOPE' })).errcode, 95004);
		});

		it('returns customer messages, events and servicer messages with the documented fields', async () => {
			const first = fake.kfCustomerSends(KF, 'wmCUST1', text('你好'));
			const event = fake.kfEvent(KF, 'wmCUST2', { event_type: 'enter_session', scene: '123', scene_param: 'abc' });
			const servicer = fake.kfServicerSends(KF, 'wmCUST1', 'zhangsan', text('您好，我是张三'));
			const answer = await call('/cgi-bin/kf/sync_msg', { open_kfid: KF, token: first.token });
			assert.equal(answer.errcode, 0);
			assert.equal(answer.has_more, 0);
			assert.equal(typeof answer.next_cursor, 'string');
			const list = answer.msg_list as Array<Record<string, unknown>>;
			assert.equal(list[0].servicer_userid, undefined, 'servicer_userid only for origin 5');
			assert.deepEqual(list[0], {
				msgid: first.msgid,
				open_kfid: KF,
				external_userid: 'wmCUST1',
				send_time: Math.floor(clock / 1000),
				origin: 3,
				msgtype: 'text',
				text: { content: '你好' },
			});
			assert.equal(list[1].msgid, event.msgid);
			assert.equal(list[1].origin, 4);
			assert.equal(list[1].open_kfid, undefined, 'events carry the ids inside event only');
			assert.equal(list[1].external_userid, undefined);
			const inner = list[1].event as Record<string, unknown>;
			assert.equal(inner.event_type, 'enter_session');
			assert.equal(inner.open_kfid, KF);
			assert.equal(inner.external_userid, 'wmCUST2');
			assert.equal(inner.scene_param, 'abc');
			assert.equal(typeof inner.welcome_code, 'string');
			assert.equal(inner.welcome_code, event.code);
			assert.equal(list[2].msgid, servicer.msgid);
			assert.equal(list[2].origin, 5);
			assert.equal(list[2].servicer_userid, 'zhangsan');
		});

		it('cursor: messages after it only; an unknown cursor is an error', async () => {
			fake.kfCustomerSends(KF, 'wmA', text('1'));
			const first = await call('/cgi-bin/kf/sync_msg', { open_kfid: KF });
			assert.equal((first.msg_list as unknown[]).length, 1);
			const empty = await call('/cgi-bin/kf/sync_msg', { open_kfid: KF, cursor: first.next_cursor });
			assert.deepEqual(empty.msg_list, []);
			assert.equal(empty.has_more, 0);
			fake.kfCustomerSends(KF, 'wmA', text('2'));
			const next = await call('/cgi-bin/kf/sync_msg', { open_kfid: KF, cursor: empty.next_cursor });
			assert.deepEqual(
				(next.msg_list as Array<{ text: { content: string } }>).map((m) => m.text.content),
				['2'],
			);
			assert.equal((await call('/cgi-bin/kf/sync_msg', { open_kfid: KF, cursor: 'made-up' })).errcode, 40058);
		});

		it('only the messages of that open_kfid, and never what send_msg sent', async () => {
			fake.addKfAccount({ open_kfid: 'wkOTHER', name: '售后' });
			fake.kfCustomerSends('wkOTHER', 'wmB', text('other'));
			fake.kfCustomerSends(KF, 'wmA', text('mine'));
			assert.equal((await call('/cgi-bin/kf/send_msg', reply('wmA', 'answer'))).errcode, 0);
			const answer = await call('/cgi-bin/kf/sync_msg', { open_kfid: KF });
			const list = answer.msg_list as Array<{ text: { content: string } }>;
			assert.deepEqual(list.map((m) => m.text.content), ['mine']);
			// a cursor of one account is no cursor of another
			const other = await call('/cgi-bin/kf/sync_msg', { open_kfid: 'wkOTHER', cursor: answer.next_cursor });
			assert.equal(other.errcode, 40058);
		});

		it('without cursor: from the earliest message of the last 3 days', async () => {
			fake.kfCustomerSends(KF, 'wmA', text('old'));
			clock += 2 * 24 * HOUR;
			fake.kfCustomerSends(KF, 'wmA', text('recent'));
			clock += 25 * HOUR;
			const list = (await call('/cgi-bin/kf/sync_msg', { open_kfid: KF })).msg_list as Array<{
				text: { content: string };
			}>;
			assert.deepEqual(list.map((m) => m.text.content), ['recent']);
		});

		it('token: one issued for the account and younger than 10 minutes, else 95007', async () => {
			const { token: callbackToken } = fake.kfCustomerSends(KF, 'wmA', text('hi'));
			assert.equal((await call('/cgi-bin/kf/sync_msg', { open_kfid: KF, token: callbackToken })).errcode, 0);
			assert.equal((await call('/cgi-bin/kf/sync_msg', { open_kfid: KF, token: callbackToken })).errcode, 0);
			assert.equal((await call('/cgi-bin/kf/sync_msg', { open_kfid: KF, token: 'ENCforged' })).errcode, 95007);
			fake.addKfAccount({ open_kfid: 'wkOTHER', name: '售后' });
			assert.equal(
				(await call('/cgi-bin/kf/sync_msg', { open_kfid: 'wkOTHER', token: callbackToken })).errcode,
				95007,
			);
			clock += 10 * 60_000;
			assert.equal((await call('/cgi-bin/kf/sync_msg', { open_kfid: KF, token: callbackToken })).errcode, 95007);
		});

		it('limit and paging knobs: has_more, and has_more 1 with an empty msg_list', async () => {
			for (let i = 0; i < 5; i++) fake.kfCustomerSends(KF, 'wmA', text(`m${i}`));
			const page = await call('/cgi-bin/kf/sync_msg', { open_kfid: KF, limit: 2 });
			assert.equal((page.msg_list as unknown[]).length, 2);
			assert.equal(page.has_more, 1);

			fake.setKfSyncPaging({ pageSize: 1, emptyPagesWithHasMore: 2 });
			let cursor = page.next_cursor;
			const seen: string[] = [];
			const shapes: string[] = [];
			for (let i = 0; i < 10; i++) {
				const answer = await call('/cgi-bin/kf/sync_msg', { open_kfid: KF, cursor });
				const list = answer.msg_list as Array<{ text: { content: string } }>;
				shapes.push(`${list.length}/${String(answer.has_more)}`);
				seen.push(...list.map((m) => m.text.content));
				cursor = answer.next_cursor;
				if (answer.has_more === 0) break;
			}
			assert.deepEqual(shapes, ['0/1', '0/1', '1/1', '1/1', '1/0']);
			assert.deepEqual(seen, ['m2', 'm3', 'm4']);
		});
	});

	describe('send_msg', () => {
		it('sends text to a customer who wrote, returns msgid, keeps the body', async () => {
			fake.kfCustomerSends(KF, 'wmA', text('hi'));
			const answer = await call('/cgi-bin/kf/send_msg', reply('wmA', 'hello', { msgid: 'my-id_1' }));
			assert.equal(answer.errcode, 0);
			assert.equal(answer.msgid, 'my-id_1');
			assert.equal(fake.kfSent.length, 1);
			assert.deepEqual(
				{ ...fake.kfSent[0], time: 0 },
				{
					msgid: 'my-id_1',
					via: 'send_msg',
					open_kfid: KF,
					external_userid: 'wmA',
					msgtype: 'text',
					body: reply('wmA', 'hello', { msgid: 'my-id_1' }),
					content: 'hello',
					truncated: false,
					time: 0,
				},
			);
			const generated = await call('/cgi-bin/kf/send_msg', reply('wmA', 'again'));
			assert.match(String(generated.msgid), /^[0-9a-zA-Z_-]{1,32}$/);
		});

		it('open_kfid empty → 95000, unknown → 95004', async () => {
			assert.equal((await call('/cgi-bin/kf/send_msg', reply('wmA', 'x', { open_kfid: '' }))).errcode, 95000);
			assert.equal((await call('/cgi-bin/kf/send_msg', reply('wmA', 'x', { open_kfid: 'wkNO' }))).errcode, 95004);
		});

		it('5 messages per customer message, renewed when the customer writes (95001)', async () => {
			fake.kfCustomerSends(KF, 'wmA', text('hi'));
			for (let i = 0; i < 5; i++) assert.equal((await call('/cgi-bin/kf/send_msg', reply('wmA', `r${i}`))).errcode, 0);
			assert.equal((await call('/cgi-bin/kf/send_msg', reply('wmA', 'r5'))).errcode, 95001);
			fake.kfCustomerSends(KF, 'wmA', text('more?'));
			assert.equal((await call('/cgi-bin/kf/send_msg', reply('wmA', 'yes'))).errcode, 0);
		});

		it('48 hours after the customer last wrote (95002), renewed when the customer writes', async () => {
			fake.kfCustomerSends(KF, 'wmA', text('hi'));
			clock += 48 * HOUR - 1;
			assert.equal((await call('/cgi-bin/kf/send_msg', reply('wmA', 'just in time'))).errcode, 0);
			clock += 1;
			assert.equal((await call('/cgi-bin/kf/send_msg', reply('wmA', 'late'))).errcode, 95002);
			fake.kfCustomerSends(KF, 'wmA', text('back'));
			assert.equal((await call('/cgi-bin/kf/send_msg', reply('wmA', 'welcome back'))).errcode, 0);
		});

		it('only in state 0 or 1 (95018); a customer who never wrote has none', async () => {
			assert.equal((await call('/cgi-bin/kf/send_msg', reply('wmNEVER', 'x'))).errcode, 95018);
			fake.kfCustomerSends(KF, 'wmA', text('hi'));
			assert.deepEqual(fake.kfSessionState(KF, 'wmA'), { service_state: 0 });
			fake.setKfSessionState(KF, 'wmA', 1);
			assert.equal((await call('/cgi-bin/kf/send_msg', reply('wmA', 'bot'))).errcode, 0);
			for (const state of [2, 3, 4]) {
				fake.setKfSessionState(KF, 'wmA', state, 'zhangsan');
				assert.equal((await call('/cgi-bin/kf/send_msg', reply('wmA', 'x'))).errcode, 95018, `state ${state}`);
			}
			// a message after the end starts a new session (4 → 0)
			fake.kfCustomerSends(KF, 'wmA', text('new question'));
			assert.deepEqual(fake.kfSessionState(KF, 'wmA'), { service_state: 0 });
		});

		it('msgid: at most 32 of [0-9a-zA-Z_-], and not one already used on that account (40058)', async () => {
			fake.kfCustomerSends(KF, 'wmA', text('hi'));
			for (const bad of ['a'.repeat(33), 'has space', 'ü', 'a.b']) {
				assert.equal((await call('/cgi-bin/kf/send_msg', reply('wmA', 'x', { msgid: bad }))).errcode, 40058, bad);
			}
			assert.equal((await call('/cgi-bin/kf/send_msg', reply('wmA', 'x', { msgid: 'a'.repeat(32) }))).errcode, 0);
			const again = await call('/cgi-bin/kf/send_msg', reply('wmA', 'x', { msgid: 'a'.repeat(32) }));
			assert.equal(again.errcode, 40058);
			assert.match(again.errmsg, /msgid duplicated/);
			assert.equal(fake.kfSent.length, 1);
		});

		it('text over 2048 bytes is cut at a character boundary', async () => {
			fake.kfCustomerSends(KF, 'wmA', text('hi'));
			assert.equal((await call('/cgi-bin/kf/send_msg', reply('wmA', '客'.repeat(700)))).errcode, 0);
			assert.equal(Buffer.byteLength(String(fake.kfSent[0].content)), 2046);
			assert.equal(fake.kfSent[0].truncated, true);
			assert.equal((await call('/cgi-bin/kf/send_msg', reply('wmA', ''))).errcode, 44004);
		});

		it('image, link and miniprogram need media_id / thumb_media_id from media/upload', async () => {
			fake.kfCustomerSends(KF, 'wmA', text('hi'));
			const mediaId = await pngMediaId();
			const send = (msgtype: string, part: Record<string, unknown>) =>
				call('/cgi-bin/kf/send_msg', { touser: 'wmA', open_kfid: KF, msgtype, [msgtype]: part });
			assert.equal((await send('image', { media_id: mediaId })).errcode, 0);
			assert.equal((await send('image', { media_id: 'never-uploaded' })).errcode, 40007);
			assert.equal((await send('image', {})).errcode, 41006);
			assert.equal(
				(await send('link', { title: 'T', url: 'https://example.com', thumb_media_id: mediaId })).errcode,
				0,
			);
			assert.equal((await send('link', { url: 'https://example.com', thumb_media_id: mediaId })).errcode, 41016);
			assert.equal((await send('link', { title: 'T', thumb_media_id: mediaId })).errcode, 41010);
			assert.equal((await send('link', { title: 'T', url: 'https://example.com' })).errcode, 41006);
			fake.kfCustomerSends(KF, 'wmA', text('more'));
			const mini = { appid: 'wx123', title: 'Shop', thumb_media_id: mediaId, pagepath: 'pages/index' };
			assert.equal((await send('miniprogram', mini)).errcode, 0);
			assert.equal((await send('miniprogram', { ...mini, pagepath: '' })).errcode, 40058);
			assert.equal((await send('miniprogram', { ...mini, appid: undefined })).errcode, 40058);
			assert.equal((await send('nonsense', {})).errcode, 40008);
		});

		it('msgmenu: ≤ 50 items, click + view + miniprogram ≤ 10 (95008), known types only (95009)', async () => {
			fake.kfCustomerSends(KF, 'wmA', text('hi'));
			const click = (i: number) => ({ type: 'click', click: { id: `c${i}`, content: `选项${i}` } });
			const textItem = (i: number) => ({ type: 'text', text: { content: `说明${i}` } });
			const menu = (list: unknown[]) =>
				call('/cgi-bin/kf/send_msg', {
					touser: 'wmA',
					open_kfid: KF,
					msgtype: 'msgmenu',
					msgmenu: { head_content: '请选择', list, tail_content: '谢谢' },
				});
			const ten = Array.from({ length: 10 }, (_, i) => click(i));
			assert.equal((await menu([...ten, ...Array.from({ length: 40 }, (_, i) => textItem(i))])).errcode, 0);
			assert.equal((await menu([...ten, click(10)])).errcode, 95008);
			assert.equal((await menu([...ten, ...Array.from({ length: 41 }, (_, i) => textItem(i))])).errcode, 95008);
			assert.equal((await menu([{ type: 'bogus', bogus: { content: 'x' } }])).errcode, 95009);
			assert.equal((await menu([{ type: 'view', view: { content: 'no url' } }])).errcode, 40058);
		});
	});

	describe('send_msg_on_event', () => {
		it('welcome_code: once, within 20 seconds, text or menu; issued as the 48-hour rule of doc 95122 says', async () => {
			const { code } = fake.kfEvent(KF, 'wmA', { event_type: 'enter_session' });
			assert.ok(code);
			const send = (body: Record<string, unknown>) => call('/cgi-bin/kf/send_msg_on_event', body);
			assert.equal((await send({ code, msgtype: 'link', link: {} })).errcode, 40008);
			const ok = await send({ code, msgid: 'welcome-1', msgtype: 'text', text: { content: '欢迎' } });
			assert.equal(ok.errcode, 0);
			assert.equal(ok.msgid, 'welcome-1');
			assert.equal(fake.kfSent[0].via, 'send_msg_on_event');
			assert.equal(fake.kfSent[0].codeKind, 'welcome');
			assert.equal(fake.kfSent[0].external_userid, 'wmA');
			const used = await send({ code, msgtype: 'text', text: { content: 'again' } });
			assert.equal(used.errcode, 40058);

			// the doc's condition: no welcome_code within 48 h of a welcome or a customer message
			assert.equal(fake.kfEvent(KF, 'wmA', { event_type: 'enter_session' }).code, undefined);
			const late = fake.kfEvent(KF, 'wmB', { event_type: 'enter_session' }).code;
			clock += 20_000;
			assert.equal((await send({ code: late, msgtype: 'text', text: { content: 'late' } })).errcode, 40058);
		});

		it('menus here have at most 10 items', async () => {
			const { code } = fake.kfEvent(KF, 'wmA', { event_type: 'enter_session' });
			const list = Array.from({ length: 11 }, (_, i) => ({ type: 'text', text: { content: `t${i}` } }));
			const answer = await call('/cgi-bin/kf/send_msg_on_event', { code, msgtype: 'msgmenu', msgmenu: { list } });
			assert.equal(answer.errcode, 95008);
		});

		it('a trans code only while the session is still in the state it was issued in; 48 h', async () => {
			fake.kfCustomerSends(KF, 'wmA', text('hi'));
			const queued = await call('/cgi-bin/kf/service_state/trans', {
				open_kfid: KF,
				external_userid: 'wmA',
				service_state: 2,
			});
			const code = queued.msg_code as string;
			assert.equal(typeof code, 'string');
			clock += 47 * HOUR;
			assert.equal(
				(await call('/cgi-bin/kf/send_msg_on_event', { code, msgtype: 'msgmenu', msgmenu: { list: [] } })).errcode,
				40008,
				'queue codes send text only',
			);
			fake.setKfSessionState(KF, 'wmA', 3, 'zhangsan');
			const wrongState = await call('/cgi-bin/kf/send_msg_on_event', { code, msgtype: 'text', text: { content: '排队中' } });
			assert.equal(wrongState.errcode, 95018);
			fake.setKfSessionState(KF, 'wmA', 2);
			const ok = await call('/cgi-bin/kf/send_msg_on_event', { code, msgtype: 'text', text: { content: '排队中' } });
			assert.equal(ok.errcode, 0);
		});
	});

	describe('service_state', () => {
		it('get: 4 for no session; servicer_userid only in state 3', async () => {
			const none = await call('/cgi-bin/kf/service_state/get', { open_kfid: KF, external_userid: 'wmA' });
			assert.equal(none.service_state, 4);
			fake.setKfSessionState(KF, 'wmA', 3, 'zhangsan');
			const human = await call('/cgi-bin/kf/service_state/get', { open_kfid: KF, external_userid: 'wmA' });
			assert.equal(human.service_state, 3);
			assert.equal(human.servicer_userid, 'zhangsan');
			assert.equal((await call('/cgi-bin/kf/service_state/get', { open_kfid: KF })).errcode, 40058);
			assert.equal(
				(await call('/cgi-bin/kf/service_state/get', { open_kfid: 'wkNO', external_userid: 'wmA' })).errcode,
				95004,
			);
		});

		it('trans: the allowed transitions, msg_code on first 2 / 3 and on 4, nothing from 4', async () => {
			const trans = (service_state: number, servicer_userid?: string) =>
				call('/cgi-bin/kf/service_state/trans', {
					open_kfid: KF,
					external_userid: 'wmA',
					service_state,
					...(servicer_userid ? { servicer_userid } : {}),
				});
			assert.equal((await trans(1)).errcode, 95016, 'no session: state 4, which the API cannot change');
			fake.kfCustomerSends(KF, 'wmA', text('hi'));
			const toBot = await trans(1);
			assert.equal(toBot.errcode, 0);
			assert.equal(toBot.msg_code, undefined);
			assert.equal((await trans(1)).errcode, 95016, '1 → 1');
			assert.equal((await trans(0)).errcode, 95016, 'back to 0');
			const toQueue = await trans(2);
			assert.equal(typeof toQueue.msg_code, 'string');
			assert.equal((await trans(1)).errcode, 95016, '2 → 1');
			const toHuman = await trans(3, 'zhangsan');
			assert.equal(typeof toHuman.msg_code, 'string');
			assert.deepEqual(fake.kfSessionState(KF, 'wmA'), { service_state: 3, servicer_userid: 'zhangsan' });
			fake.addKfServicer(KF, { userid: 'lisi' });
			const transfer = await trans(3, 'lisi');
			assert.equal(transfer.errcode, 0);
			assert.equal(transfer.msg_code, undefined, 'only the first move to 3 returns a code');
			assert.equal((await trans(2)).errcode, 95016, '3 → 2');
			const end = await trans(4);
			assert.equal(typeof end.msg_code, 'string');
			assert.deepEqual(fake.kfSessionState(KF, 'wmA'), { service_state: 4 });
			for (const target of [0, 1, 2, 3, 4]) assert.equal((await trans(target, 'zhangsan')).errcode, 95016);
		});

		it('trans to 3: servicer_userid required, a servicer of the account (95014) who is receiving (95019)', async () => {
			fake.kfCustomerSends(KF, 'wmA', text('hi'));
			const trans = (servicer_userid?: string) =>
				call('/cgi-bin/kf/service_state/trans', { open_kfid: KF, external_userid: 'wmA', service_state: 3, servicer_userid });
			assert.equal((await trans()).errcode, 40058);
			assert.equal((await trans('stranger')).errcode, 95014);
			fake.setKfServicerStatus(KF, 'zhangsan', 1);
			assert.equal((await trans('zhangsan')).errcode, 95019);
			assert.deepEqual(fake.kfSessionState(KF, 'wmA'), { service_state: 0 });
		});

		it('session_status_change events move the state and issue the documented codes', async () => {
			fake.kfCustomerSends(KF, 'wmA', text('hi'));
			const accepted = fake.kfEvent(KF, 'wmA', {
				event_type: 'session_status_change',
				change_type: 1,
				new_servicer_userid: 'zhangsan',
			});
			assert.ok(accepted.code);
			assert.deepEqual(fake.kfSessionState(KF, 'wmA'), { service_state: 3, servicer_userid: 'zhangsan' });
			const ended = fake.kfEvent(KF, 'wmA', { event_type: 'session_status_change', change_type: 3 });
			assert.ok(ended.code);
			assert.deepEqual(fake.kfSessionState(KF, 'wmA'), { service_state: 4 });
			const closing = await call('/cgi-bin/kf/send_msg_on_event', {
				code: ended.code,
				msgtype: 'text',
				text: { content: '感谢咨询' },
			});
			assert.equal(closing.errcode, 0);
			const failure = fake.kfEvent(KF, 'wmA', { event_type: 'msg_send_fail', fail_msgid: 'm1', fail_type: 4 });
			const list = (await call('/cgi-bin/kf/sync_msg', { open_kfid: KF, token: failure.token })).msg_list as Array<{
				event?: Record<string, unknown>;
			}>;
			assert.deepEqual(list[3].event, {
				event_type: 'msg_send_fail',
				open_kfid: KF,
				external_userid: 'wmA',
				fail_msgid: 'm1',
				fail_type: 4,
			});
		});
	});

	describe('documented behaviour the fake used to skip', () => {
		it('a servicer writing into an ended session takes the customer back (4 → 3, change_type 4) [doc 94669]', async () => {
			fake.kfCustomerSends(KF, 'wmA', text('hi'));
			fake.kfEvent(KF, 'wmA', { event_type: 'session_status_change', change_type: 3 });
			assert.equal(fake.kfSessionState(KF, 'wmA').service_state, 4);
			const said = fake.kfServicerSends(KF, 'wmA', 'zhangsan', text('还有问题吗？'));
			assert.deepEqual(fake.kfSessionState(KF, 'wmA'), { service_state: 3, servicer_userid: 'zhangsan' });
			const list = (await call('/cgi-bin/kf/sync_msg', { open_kfid: KF, token: said.token })).msg_list as Array<
				Record<string, unknown>
			>;
			assert.deepEqual(
				list.slice(-2).map((m) => [m.origin, m.msgtype]),
				[
					[5, 'text'],
					[4, 'event'],
				],
			);
			assert.deepEqual(list.at(-1)?.event, {
				event_type: 'session_status_change',
				open_kfid: KF,
				external_userid: 'wmA',
				change_type: 4,
				new_servicer_userid: 'zhangsan',
			});
			// in a live session the state stays
			fake.kfCustomerSends(KF, 'wmB', text('hi'));
			fake.kfServicerSends(KF, 'wmB', 'zhangsan', text('在的'));
			assert.equal(fake.kfSessionState(KF, 'wmB').service_state, 0);
		});

		it('servicer_status_change has the documented fields, no customer, and servicer/list follows it', async () => {
			const { token } = fake.kfEvent(KF, '', {
				event_type: 'servicer_status_change',
				servicer_userid: 'zhangsan',
				status: 2,
				stop_type: 1,
			});
			const list = (await call('/cgi-bin/kf/sync_msg', { open_kfid: KF, token })).msg_list as Array<Record<string, unknown>>;
			assert.deepEqual(list[0].event, {
				event_type: 'servicer_status_change',
				servicer_userid: 'zhangsan',
				status: 2,
				stop_type: 1,
				open_kfid: KF,
			});
			const servicers = await call(`/cgi-bin/kf/servicer/list?open_kfid=${KF}`, undefined, 'GET');
			assert.deepEqual(servicers.servicer_list, [{ userid: 'zhangsan', status: 1, stop_type: 1 }]);
		});

		it('location needs latitude and longitude, ca_link its link_url (required fields of doc 94677)', async () => {
			fake.kfCustomerSends(KF, 'wmA', text('hi'));
			const send = (msgtype: string, part: Record<string, unknown>) =>
				call('/cgi-bin/kf/send_msg', { touser: 'wmA', open_kfid: KF, msgtype, [msgtype]: part });
			assert.equal((await send('location', { name: '门店', latitude: 23.1 })).errcode, 40058);
			assert.equal((await send('location', { longitude: 113.3 })).errcode, 40058);
			assert.equal((await send('location', { latitude: 23.1, longitude: 113.3 })).errcode, 0);
			assert.equal((await send('ca_link', {})).errcode, 40058);
			assert.equal((await send('ca_link', { link_url: 'https://work.weixin.qq.com/ca/x' })).errcode, 0);
		});
	});

	describe('accounts, servicers, customers', () => {
		it('account/list: offset and limit 1–100', async () => {
			for (let i = 2; i <= 150; i++) fake.addKfAccount({ open_kfid: `wk${String(i).padStart(4, '0')}`, name: `客服${i}` });
			const first = await call('/cgi-bin/kf/account/list', {});
			assert.equal((first.account_list as unknown[]).length, 100);
			const rest = await call('/cgi-bin/kf/account/list', { offset: 100, limit: 100 });
			assert.equal((rest.account_list as unknown[]).length, 50);
			assert.deepEqual(Object.keys((first.account_list as object[])[0]).sort(), [
				'avatar',
				'manage_privilege',
				'name',
				'open_kfid',
			]);
			assert.equal((await call('/cgi-bin/kf/account/list', { limit: 101 })).errcode, 40058);
			assert.equal((await call('/cgi-bin/kf/account/list', { limit: 0 })).errcode, 40058);
		});

		it('servicer/list (GET): members with status, departments', async () => {
			fake.addKfServicer(KF, { userid: 'lisi', status: 1, stop_type: 1 });
			fake.addKfServicer(KF, { department_id: 2 });
			const answer = await call(`/cgi-bin/kf/servicer/list?open_kfid=${KF}`, undefined, 'GET');
			assert.deepEqual(answer.servicer_list, [
				{ userid: 'zhangsan', status: 0 },
				{ userid: 'lisi', status: 1, stop_type: 1 },
				{ department_id: 2 },
			]);
			assert.equal((await call('/cgi-bin/kf/servicer/list?open_kfid=wkNO', undefined, 'GET')).errcode, 95004);
			assert.equal((await call('/cgi-bin/kf/servicer/list', undefined, 'GET')).errcode, 95000);
		});

		it('customer/batchget: 1–100 ids, customers active in the last 48 hours, session context', async () => {
			fake.addKfCustomer({ external_userid: 'wmA', nickname: '张三', gender: 1, unionid: 'oUNION' });
			fake.kfEvent(KF, 'wmA', { event_type: 'enter_session', scene: 'ad', scene_param: 'spring' });
			fake.kfCustomerSends(KF, 'wmB', text('hi'));
			fake.addKfCustomer({ external_userid: 'wmIDLE', nickname: '潜水' });
			const answer = await call('/cgi-bin/kf/customer/batchget', {
				external_userid_list: ['wmA', 'wmB', 'wmIDLE', 'wmUNKNOWN'],
				need_enter_session_context: 1,
			});
			const list = answer.customer_list as Array<Record<string, unknown>>;
			assert.deepEqual(list.map((c) => c.external_userid), ['wmA', 'wmB']);
			assert.equal(list[0].nickname, '张三');
			assert.deepEqual(list[0].enter_session_context, { scene: 'ad', scene_param: 'spring' });
			assert.deepEqual(answer.invalid_external_userid, ['wmIDLE', 'wmUNKNOWN']);
			clock += 48 * HOUR;
			const later = await call('/cgi-bin/kf/customer/batchget', { external_userid_list: ['wmA'] });
			assert.deepEqual(later.invalid_external_userid, ['wmA']);
			assert.equal((await call('/cgi-bin/kf/customer/batchget', { external_userid_list: [] })).errcode, 40058);
			const tooMany = Array.from({ length: 101 }, (_, i) => `wm${i}`);
			assert.equal((await call('/cgi-bin/kf/customer/batchget', { external_userid_list: tooMany })).errcode, 40058);
		});
	});

	describe('faults per customer and the attempt log (what a failure after Pull Messages meets)', () => {
		const SEND = '/cgi-bin/kf/send_msg';
		const TRANS = '/cgi-bin/kf/service_state/trans';

		/** A fetch that may get no answer: resolves to the WeCom JSON, or rejects as fetch does. */
		async function raw(path: string, body: unknown, signal?: AbortSignal): Promise<Answer> {
			const response = await fetch(`${fake.url}${path}?access_token=${token}`, {
				method: 'POST',
				headers: { 'Content-Type': 'application/json' },
				body: JSON.stringify(body),
				...(signal ? { signal } : {}),
			});
			return (await response.json()) as Answer;
		}

		function customersWrite(...customers: string[]): void {
			for (const customer of customers) fake.kfCustomerSends(KF, customer, text(`question of ${customer}`));
		}

		it("'busy' once: -1 for that customer only, nothing sent; the retry goes through", async () => {
			customersWrite('wm1', 'wm2');
			fake.injectKfFault(SEND, 'wm2', 'busy');
			assert.equal((await call(SEND, reply('wm1', 'a1'))).errcode, 0, 'another customer is not touched');
			const busy = await call(SEND, reply('wm2', 'a2', { msgid: 'reply-wm2' }));
			assert.equal(busy.errcode, -1);
			assert.match(busy.errmsg, /^system busy/);
			assert.deepEqual(fake.kfSent.map((m) => m.external_userid), ['wm1']);
			const retry = await call(SEND, reply('wm2', 'a2', { msgid: 'reply-wm2' }));
			assert.equal(retry.errcode, 0, 'a refused msgid is not used up');
			assert.deepEqual(
				fake.kfAttempts.map((a) => [a.path, a.external_userid, a.msgid, a.errcode, a.answered, a.fault]),
				[
					[SEND, 'wm1', fake.kfSent[0].msgid, 0, true, undefined],
					[SEND, 'wm2', 'reply-wm2', -1, true, 'busy'],
					[SEND, 'wm2', 'reply-wm2', 0, true, undefined],
				],
			);
		});

		it("'always' fails every call until cleared with times 0; a given errcode is answered as is", async () => {
			customersWrite('wm1');
			fake.injectKfFault(SEND, 'wm1', { errcode: 95018 }, 'always');
			for (let i = 0; i < 3; i++) assert.equal((await call(SEND, reply('wm1', `a${i}`))).errcode, 95018);
			assert.equal(fake.kfSessionState(KF, 'wm1').service_state, 0, 'the session is left as it was');
			fake.injectKfFault(SEND, 'wm1', 'busy', 0);
			assert.equal((await call(SEND, reply('wm1', 'now'))).errcode, 0);
			assert.equal(fake.kfSent.length, 1);
			assert.equal(fake.kfAttempts.filter((a) => a.errcode === 95018).length, 3);
		});

		it('faults queue in order: once busy, then once a given errcode, then normal', async () => {
			customersWrite('wm1');
			fake.injectKfFault(SEND, 'wm1', 'busy');
			fake.injectKfFault(SEND, 'wm1', { errcode: 45009, errmsg: 'api freq out of limit' });
			const answers = [];
			for (let i = 0; i < 3; i++) answers.push(await call(SEND, reply('wm1', `a${i}`)));
			assert.deepEqual(
				answers.map((a) => a.errcode),
				[-1, 45009, 0],
			);
			assert.equal(answers[1].errmsg, 'api freq out of limit');
		});

		it("'drop': the connection ends without an answer and nothing is sent", async () => {
			customersWrite('wm1');
			fake.injectKfFault(SEND, 'wm1', 'drop');
			await assert.rejects(raw(SEND, reply('wm1', 'lost', { msgid: 'm-1' })), TypeError);
			assert.equal(fake.kfSent.length, 0);
			const [attempt] = fake.kfAttempts;
			assert.equal(attempt.answered, false);
			assert.equal(attempt.errcode, undefined, 'WeCom reached no verdict');
			assert.equal(attempt.msgid, 'm-1');
			const record = fake.requests.find((r) => r.path === SEND);
			assert.equal(record?.status, 0);
			assert.equal(record?.noAnswer, 'dropped');
			// the msgid was never used: the retry with it is sent
			assert.equal((await raw(SEND, reply('wm1', 'lost', { msgid: 'm-1' }))).errcode, 0);
			assert.equal(fake.kfSent.length, 1);
		});

		it("'drop-after': the message is sent, the answer lost; a retry with the same msgid sends nothing twice", async () => {
			customersWrite('wm1');
			fake.injectKfFault(SEND, 'wm1', 'drop-after');
			await assert.rejects(raw(SEND, reply('wm1', 'once', { msgid: 'once-1' })), TypeError);
			assert.deepEqual(fake.kfSent.map((m) => m.msgid), ['once-1'], 'it reached the customer');
			const retry = await call(SEND, reply('wm1', 'once', { msgid: 'once-1' }));
			assert.equal(retry.errcode, 40058, 'a reused msgid is refused (40058: the fake’s choice, see kf/messages.ts)');
			assert.equal(fake.kfSent.length, 1, 'exactly once at the source');
			assert.deepEqual(
				fake.kfAttempts.map((a) => [a.msgid, a.errcode, a.answered]),
				[
					['once-1', 0, false],
					['once-1', 40058, true],
				],
			);
		});

		it("'stall': the request is accepted and never answered until the client gives up", async () => {
			customersWrite('wm1');
			fake.injectKfFault(SEND, 'wm1', 'stall');
			const controller = new AbortController();
			const pending = raw(SEND, reply('wm1', 'hanging'), controller.signal);
			await fake.waitFor((api) => api.kfAttempts.length === 1);
			assert.equal(fake.requests.at(-1)?.noAnswer, 'stalled');
			controller.abort();
			await assert.rejects(pending, { name: 'AbortError' });
			assert.equal(fake.kfSent.length, 0);
			assert.equal(fake.kfAttempts[0].answered, false);
			assert.equal((await call(SEND, reply('wm1', 'next'))).errcode, 0, 'only one call stalls');
		});

		it("'stall-after': the message is sent, then no answer comes until the client gives up", async () => {
			customersWrite('wm1');
			fake.injectKfFault(SEND, 'wm1', 'stall-after');
			const controller = new AbortController();
			const pending = raw(SEND, reply('wm1', 'sent, never confirmed', { msgid: 'held-1' }), controller.signal);
			await fake.waitFor((api) => api.kfAttempts.length === 1);
			assert.deepEqual(fake.kfSent.map((m) => m.msgid), ['held-1'], 'it reached the customer');
			assert.equal(fake.requests.at(-1)?.noAnswer, 'stalled');
			controller.abort();
			await assert.rejects(pending, { name: 'AbortError' });
			assert.deepEqual(
				fake.kfAttempts.map((a) => [a.msgid, a.errcode, a.answered]),
				[['held-1', 0, false]],
			);
		});

		it('{ delayMs }: the message is sent at once, the answer comes after the delay', async () => {
			customersWrite('wm1');
			fake.injectKfFault(SEND, 'wm1', { delayMs: 300 });
			const started = Date.now();
			const pending = call(SEND, reply('wm1', 'slow link', { msgid: 'slow-1' }));
			await fake.waitFor((api) => api.kfAttempts.length === 1);
			assert.deepEqual(fake.kfSent.map((m) => m.msgid), ['slow-1'], 'it reached the customer before the answer');
			assert.equal((await pending).errcode, 0);
			assert.ok(Date.now() - started >= 290, 'the answer came before the delay');
			assert.deepEqual(
				fake.kfAttempts.map((a) => [a.msgid, a.errcode, a.answered]),
				[['slow-1', 0, true]],
			);
		});

		it('refusals by the rules are attempts too (95018 for a customer who never wrote)', async () => {
			assert.equal((await call(SEND, reply('wmNEVER', 'x', { msgid: 'never-1' }))).errcode, 95018);
			assert.deepEqual(
				fake.kfAttempts.map((a) => [a.external_userid, a.msgid, a.errcode, a.fault]),
				[['wmNEVER', 'never-1', 95018, undefined]],
			);
		});

		it('service_state/trans: busy leaves the state, drop-after moves it without an answer', async () => {
			customersWrite('wm1', 'wm2');
			const toQueue = (customer: string) => ({ open_kfid: KF, external_userid: customer, service_state: 2 });
			fake.injectKfFault(TRANS, 'wm1', 'busy');
			assert.equal((await call(TRANS, toQueue('wm1'))).errcode, -1);
			assert.equal(fake.kfSessionState(KF, 'wm1').service_state, 0);
			assert.equal((await call(TRANS, toQueue('wm1'))).errcode, 0);
			assert.equal(fake.kfSessionState(KF, 'wm1').service_state, 2);

			fake.injectKfFault(TRANS, 'wm2', 'drop-after');
			await assert.rejects(raw(TRANS, toQueue('wm2')), TypeError);
			assert.equal(fake.kfSessionState(KF, 'wm2').service_state, 2, 'the transfer took effect');
			assert.equal((await call(TRANS, toQueue('wm2'))).errcode, 95016, 'a retry meets 2 → 2');
			assert.deepEqual(
				fake.kfAttempts.map((a) => [a.path, a.external_userid, a.service_state, a.errcode, a.answered]),
				[
					[TRANS, 'wm1', 2, -1, true],
					[TRANS, 'wm1', 2, 0, true],
					[TRANS, 'wm2', 2, 0, false],
					[TRANS, 'wm2', 2, 95016, true],
				],
			);
		});

		it('send_msg_on_event: the fault follows the customer of the code', async () => {
			const { code } = fake.kfEvent(KF, 'wm1', { event_type: 'enter_session' });
			fake.injectKfFault('/cgi-bin/kf/send_msg_on_event', 'wm1', 'busy');
			const welcome = { code, msgtype: 'text', text: { content: '欢迎' } };
			assert.equal((await call('/cgi-bin/kf/send_msg_on_event', welcome)).errcode, -1);
			assert.equal((await call('/cgi-bin/kf/send_msg_on_event', welcome)).errcode, 0, 'the code was not used up');
			assert.deepEqual(
				fake.kfAttempts.map((a) => [a.external_userid, a.errcode]),
				[
					['wm1', -1],
					['wm1', 0],
				],
			);
		});

		it('a fault for one path does not touch another', async () => {
			customersWrite('wm1');
			fake.injectKfFault(TRANS, 'wm1', 'busy', 'always');
			assert.equal((await call(SEND, reply('wm1', 'hi'))).errcode, 0);
		});

		it('reset() clears faults and attempts', async () => {
			customersWrite('wm1');
			fake.injectKfFault(SEND, 'wm1', 'busy', 'always');
			await call(SEND, reply('wm1', 'x'));
			fake.reset();
			token = await freshToken();
			assert.deepEqual(fake.kfAttempts, []);
			customersWrite('wm1');
			assert.equal((await call(SEND, reply('wm1', 'x'))).errcode, 0);
		});
	});

	describe('stall per path', () => {
		it('stalls the next call of a path, logs it, and answers the one after', async () => {
			fake.kfCustomerSends(KF, 'wm1', text('hi'));
			fake.stall('/cgi-bin/kf/sync_msg');
			const controller = new AbortController();
			const pending = fetch(`${fake.url}/cgi-bin/kf/sync_msg?access_token=${token}`, {
				method: 'POST',
				body: JSON.stringify({ open_kfid: KF }),
				signal: controller.signal,
			});
			await fake.waitFor((api) => api.requests.some((r) => r.noAnswer === 'stalled'));
			const stalled = fake.requests.find((r) => r.noAnswer === 'stalled');
			assert.equal(stalled?.path, '/cgi-bin/kf/sync_msg');
			assert.deepEqual(stalled?.body, { open_kfid: KF });
			controller.abort();
			await assert.rejects(pending, { name: 'AbortError' });
			const next = await call('/cgi-bin/kf/sync_msg', { open_kfid: KF });
			assert.equal((next.msg_list as unknown[]).length, 1, 'the stalled call consumed nothing');
		});

		it("'always' stalls until cleared with times 0; reset() ends what hangs", async () => {
			fake.stall('/cgi-bin/kf/account/list', 'always');
			const first = fetch(`${fake.url}/cgi-bin/kf/account/list?access_token=${token}`, { method: 'POST', body: '{}' });
			const second = fetch(`${fake.url}/cgi-bin/kf/account/list?access_token=${token}`, { method: 'POST', body: '{}' });
			await fake.waitFor((api) => api.requests.filter((r) => r.noAnswer === 'stalled').length === 2);
			fake.stall('/cgi-bin/kf/account/list', 0);
			assert.equal((await call('/cgi-bin/kf/account/list', {})).errcode, 0);
			const ended = Promise.allSettled([first, second]);
			fake.reset();
			assert.deepEqual(
				(await ended).map((result) => result.status),
				['rejected', 'rejected'],
			);
		});
	});

	it('reset() forgets kf state and restores the accounts of the options', async () => {
		fake.addKfAccount({ open_kfid: 'wkOTHER', name: 'x' });
		fake.kfCustomerSends(KF, 'wmA', text('hi'));
		await call('/cgi-bin/kf/send_msg', reply('wmA', 'x'));
		fake.setKfSyncPaging({ emptyPagesWithHasMore: 5 });
		fake.reset();
		token = await freshToken();
		assert.deepEqual(fake.kfAccounts.map((a) => a.open_kfid), [KF]);
		assert.equal(fake.kfSent.length, 0);
		assert.deepEqual(fake.kfSessionState(KF, 'wmA'), { service_state: 4 });
		const answer = await call('/cgi-bin/kf/sync_msg', { open_kfid: KF });
		assert.deepEqual(answer.msg_list, []);
		assert.equal(answer.has_more, 0);
	});
});
