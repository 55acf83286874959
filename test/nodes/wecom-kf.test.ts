/* eslint-disable @n8n/community-nodes/no-restricted-imports -- test code, never shipped */
/**
 * The kf (微信客服) resources of the WeCom node, executed by n8n-core against the loopback fake WeCom API
 * (kf part: test/fakes/wecom/kf/). Needs `npm run build` first (the harness loads dist/ as n8n does).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, beforeEach, describe, it } from 'node:test';

import type { ExecutionError, IDataObject, INodeParameters } from 'n8n-workflow';

import { startFakeWeComApi, type FakeWeComApi } from '../fakes/wecom';
import { cleanupHarness, requireBuilt, runNode, type RunNodeOptions, type RunNodeResult } from './harness';
import { everything } from '../support/errors';

type Transport = typeof import('../../nodes/WeCom/transport');
type Rules = typeof import('../../nodes/WeCom/actions/kf/rules');
type States = typeof import('../../nodes/WeCom/actions/kf/states');

const CORP_ID = 'ww_test_corp_kf';
const AGENT_ID = 1000005;
/** Random per run, so a leak test cannot pass by luck. */
const SECRET = randomBytes(20).toString('hex');
const KF = 'wkFAKEKF0001';
const HOUR = 3600_000;

// A 1×1 PNG.
const PNG = Buffer.from(
	'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
	'base64',
);

let clock = Date.now();
let api: FakeWeComApi;
let transport: Transport;

function credentials() {
	return { weComApi: { corpId: CORP_ID, agentId: String(AGENT_ID), secret: SECRET, baseUrl: api.url } };
}

async function run(parameters: INodeParameters, options: Partial<RunNodeOptions> = {}): Promise<RunNodeResult> {
	return await runNode({
		nodeType: 'weCom',
		parameters,
		credentials: credentials(),
		// The kf fields default to $json.open_kfid / $json.external_userid, as a pulled message carries them.
		items: [{ open_kfid: KF, external_userid: 'wmCUST1' }],
		...options,
	});
}

function kfText(content: string, extra: INodeParameters = {}): INodeParameters {
	return { resource: 'kfMessage', operation: 'sendText', content, ...extra };
}

function customerWrites(externalUserId = 'wmCUST1', content = '你好') {
	return api.kfCustomerSends(KF, externalUserId, { msgtype: 'text', text: { content } });
}

function sendRequests(path = '/cgi-bin/kf/send_msg') {
	return api.requests.filter((request) => request.path === path);
}

function assertNoSecrets(error: ExecutionError | undefined) {
	assert.ok(error);
	const text = everything(error);
	assert.ok(!text.includes(SECRET), 'no secret in the error');
	const tokens = api.requests.map((request) => request.query.access_token).filter((token): token is string => !!token);
	assert.ok(tokens.length > 0);
	for (const token of tokens) assert.ok(!text.includes(token), 'no access_token in the error');
}

function hintsOf(result: RunNodeResult): string[] {
	const task = result.run?.data.resultData.runData['Node Under Test']?.[0] as { hints?: Array<{ message: string }> };
	return (task?.hints ?? []).map((hint) => hint.message);
}

before(async () => {
	api = await startFakeWeComApi({
		corpId: CORP_ID,
		apps: [{ agentId: AGENT_ID, secret: SECRET }],
		now: () => clock,
		tokenTtlSeconds: 30 * 24 * 3600,
	});
	transport = await requireBuilt<Transport>('dist/nodes/WeCom/transport/index.js');
});

beforeEach(() => {
	clock = Date.now();
	api.reset();
	transport.resetWeComCaches();
});

after(async () => {
	await api.close();
	cleanupHarness();
});

describe('WeCom node: Kf Message', () => {
	it('sendText: account and customer from the input item, output sent/msgid, paired items', async () => {
		customerWrites('wmCUST1');
		customerWrites('wmCUST2');
		const { outputs, error } = await run(kfText('=您好 {{ $json.external_userid }}'), {
			items: [
				{ open_kfid: KF, external_userid: 'wmCUST1' },
				{ open_kfid: KF, external_userid: 'wmCUST2' },
			],
		});
		assert.equal(error, undefined);
		assert.deepEqual(
			api.kfSent.map((sent) => [sent.open_kfid, sent.external_userid, sent.content]),
			[
				[KF, 'wmCUST1', '您好 wmCUST1'],
				[KF, 'wmCUST2', '您好 wmCUST2'],
			],
		);
		assert.equal(api.kfSent[0].body.touser, 'wmCUST1');
		assert.deepEqual(
			outputs[0].map((item) => item.json),
			api.kfSent.map((sent) => ({
				sent: true,
				msgid: sent.msgid,
				msgtype: 'text',
				open_kfid: KF,
				external_userid: sent.external_userid,
			})),
		);
		assert.deepEqual(
			outputs[0].map((item) => item.pairedItem),
			[{ item: 0 }, { item: 1 }],
		);
	});

	it('sendText: content over 2048 bytes is cut as for app messages, or refused', async () => {
		customerWrites();
		const long = '客服'.repeat(500); // 3000 bytes
		const { outputs, error } = await run(kfText(long));
		assert.equal(error, undefined);
		assert.equal(Buffer.byteLength(String(api.kfSent[0].content)), 2046);
		assert.equal(api.kfSent[0].truncated, false, 'the node cut it, not WeCom');
		assert.equal(outputs[0][0].json.truncated, true);
		assert.equal(outputs[0][0].json.originalBytes, 3000);
		const refused = await run(kfText(long, { truncate: false }));
		assert.match(String(refused.error?.message), /3000 bytes/);
		assert.equal(api.kfSent.length, 1);
	});

	it('95001 after 5 messages: the rule in plain words and what to do; nothing secret', async () => {
		customerWrites();
		const { outputs, error } = await run(kfText('reply'), { items: Array.from({ length: 5 }, () => ({ open_kfid: KF, external_userid: 'wmCUST1' })) });
		assert.equal(error, undefined);
		assert.equal(outputs[0].length, 5);
		const sixth = await run(kfText('one too many'));
		assert.ok(sixth.error);
		assert.equal(sixth.error.name, 'NodeApiError');
		assert.match(sixth.error.message, /^WeCom error 95001: /);
		assert.match(String(sixth.error.description), /at most 5 messages after each message from the customer/);
		assert.match(String(sixth.error.description), /Wait for the customer to reply/);
		assertNoSecrets(sixth.error);
		customerWrites();
		assert.equal((await run(kfText('now again'))).error, undefined);
	});

	it('95002 after 48 hours (fake clock): the rule in plain words', async () => {
		customerWrites();
		clock += 48 * HOUR;
		const { error } = await run(kfText('late'));
		assert.ok(error);
		assert.match(error.message, /^WeCom error 95002: more than 48 hours/);
		assert.match(String(error.description), /within 48 hours of the customer's last message/);
		assertNoSecrets(error);
	});

	it('95018 with Fail: says which state the session is in and what it means', async () => {
		customerWrites();
		api.setKfSessionState(KF, 'wmCUST1', 3, 'zhangsan');
		const { error } = await run(kfText('hello'));
		assert.ok(error);
		assert.equal(
			error.message,
			'The session is with a human servicer (state 3, servicer zhangsan): WeCom lets the API send only while the session is new (0) or with the smart assistant (1)',
		);
		assert.match(String(error.description), /Skip and Output the State/);
		assert.match(String(error.description), /WeCom: session state not allow/);
		assert.equal(sendRequests('/cgi-bin/kf/service_state/get').length, 1);
		assertNoSecrets(error);

		api.setKfSessionState(KF, 'wmCUST1', 2);
		const queued = await run(kfText('hello'));
		assert.match(String(queued.error?.message), /^The session is waiting in the queue for a servicer \(state 2\)/);
	});

	it('95018 with Skip: outputs the state and sends nothing; the other items are sent', async () => {
		customerWrites('wmCUST1');
		customerWrites('wmCUST2');
		api.setKfSessionState(KF, 'wmCUST1', 3, 'zhangsan');
		const { outputs, error } = await run(kfText('hello', { options: { ifNotSendable: 'skip' } }), {
			items: [
				{ open_kfid: KF, external_userid: 'wmCUST1' },
				{ open_kfid: KF, external_userid: 'wmCUST2' },
			],
		});
		assert.equal(error, undefined);
		assert.deepEqual(outputs[0][0].json, {
			sent: false,
			reason: 'sessionNotSendable',
			service_state: 3,
			state: 'servicer',
			servicer_userid: 'zhangsan',
			open_kfid: KF,
			external_userid: 'wmCUST1',
		});
		assert.equal(outputs[0][1].json.sent, true);
		assert.deepEqual(api.kfSent.map((sent) => sent.external_userid), ['wmCUST2']);
	});

	it('95018 while the state is sendable (a rule the node cannot name) keeps WeCom’s own error', async () => {
		customerWrites();
		api.injectError('/cgi-bin/kf/send_msg', 95018);
		const { error } = await run(kfText('hello', { options: { ifNotSendable: 'skip' } }));
		assert.match(String(error?.message), /^WeCom error 95018: /);
	});

	it('Message ID: checked before sending; a valid one is sent as msgid; a used one fails', async () => {
		customerWrites();
		for (const bad of ['x'.repeat(33), 'order 1042', '订单1042']) {
			const { error } = await run(kfText('hi', { options: { msgid: bad } }));
			assert.ok(error, bad);
			assert.equal(error.name, 'NodeOperationError');
			assert.match(error.message, /^The Message ID ".*" cannot be used: /);
		}
		assert.equal(sendRequests().length, 0, 'nothing reached WeCom');
		const ok = await run(kfText('hi', { options: { msgid: 'order-1042_reply' } }));
		assert.equal(ok.error, undefined);
		assert.equal(ok.outputs[0][0].json.msgid, 'order-1042_reply');
		assert.equal(api.kfSent[0].body.msgid, 'order-1042_reply');
		const again = await run(kfText('hi', { options: { msgid: 'order-1042_reply' } }));
		assert.match(String(again.error?.message), /^WeCom error 40058/);
		assert.equal(api.kfSent.length, 1, 'a retried execution does not send twice');
	});

	it('WeCom busy (-1) once: sent on the second attempt with the same Message ID, made by the node when none is set', async () => {
		customerWrites();
		api.injectError('/cgi-bin/kf/send_msg', -1, 'system busy', 1);
		const { outputs, error } = await run(kfText('hello'));
		assert.equal(error, undefined);
		const attempts = sendRequests();
		assert.equal(attempts.length, 2);
		const [first, second] = attempts.map((request) => (request.body as IDataObject).msgid);
		assert.match(String(first), /^[0-9a-f]{32}$/);
		assert.equal(second, first);
		assert.equal(outputs[0][0].json.sent, true);
		assert.equal(outputs[0][0].json.attempts, 2);
		assert.equal(api.kfSent.length, 1);
	});

	it('WeCom busy on every attempt: fails after 3 and says so; other errors and Retries 0 fail at once', async () => {
		customerWrites();
		api.injectError('/cgi-bin/kf/send_msg', -1, 'system busy', 3);
		const busy = await run(kfText('hello'));
		assert.match(String(busy.error?.message), /^WeCom error -1/);
		assert.match(String(busy.error?.description), /^Tried 3 times\./);
		assert.equal(sendRequests().length, 3);

		api.injectError('/cgi-bin/kf/send_msg', 95001, undefined, 1);
		await run(kfText('hello'));
		assert.equal(sendRequests().length, 4, 'a rule WeCom enforces is not retried');

		api.injectError('/cgi-bin/kf/send_msg', -1, 'system busy', 1);
		const once = await run(kfText('hello', { options: { retries: 0 } }));
		assert.match(String(once.error?.message), /^WeCom error -1/);
		assert.equal(sendRequests().length, 5);
		assert.equal(api.kfSent.length, 0);
	});

	it('sendImage: uploads the binary, then sends its media_id', async () => {
		customerWrites();
		const { outputs, error } = await run(
			{ resource: 'kfMessage', operation: 'sendImage', binaryPropertyName: 'photo' },
			{
				items: [{ json: { open_kfid: KF, external_userid: 'wmCUST1' } }],
				binary: { photo: { data: PNG, fileName: 'qr.png', mimeType: 'image/png' } },
			},
		);
		assert.equal(error, undefined);
		assert.equal(api.uploadedMedia.length, 1);
		const mediaId = api.uploadedMedia[0].media_id;
		assert.equal(api.kfSent[0].msgtype, 'image');
		assert.deepEqual(api.kfSent[0].body.image, { media_id: mediaId });
		assert.equal(outputs[0][0].json.media_id, mediaId);
		assert.equal(outputs[0][0].json.fileName, 'qr.png');

		const badId = await run(
			{ resource: 'kfMessage', operation: 'sendImage', binaryPropertyName: 'photo', options: { msgid: 'a b' } },
			{
				items: [{ json: { open_kfid: KF, external_userid: 'wmCUST1' } }],
				binary: { photo: { data: PNG, fileName: 'qr.png', mimeType: 'image/png' } },
			},
		);
		assert.ok(badId.error);
		assert.equal(api.uploadedMedia.length, 1, 'no upload for a message that cannot be sent');
	});

	it('sendLink and sendMiniProgram with an uploaded thumbnail', async () => {
		customerWrites();
		const upload = await run(
			{ resource: 'media', operation: 'upload', type: 'image', binaryPropertyName: 'data' },
			{ binary: { data: { data: PNG, fileName: 'thumb.png', mimeType: 'image/png' } } },
		);
		const thumb = String(upload.outputs[0][0].json.media_id);
		const link = await run({
			resource: 'kfMessage',
			operation: 'sendLink',
			title: '订单详情',
			desc: '点击查看',
			url: 'https://example.com/orders/1042',
			thumbMediaId: thumb,
		});
		assert.equal(link.error, undefined);
		assert.deepEqual(api.kfSent[0].body.link, {
			title: '订单详情',
			url: 'https://example.com/orders/1042',
			thumb_media_id: thumb,
			desc: '点击查看',
		});
		const mini = await run({
			resource: 'kfMessage',
			operation: 'sendMiniProgram',
			appId: 'wx123456789abcdef0',
			title: '商城',
			pagePath: 'pages/index?orderid=1042',
			thumbMediaId: thumb,
		});
		assert.equal(mini.error, undefined);
		assert.deepEqual(api.kfSent[1].body.miniprogram, {
			appid: 'wx123456789abcdef0',
			title: '商城',
			pagepath: 'pages/index?orderid=1042',
			thumb_media_id: thumb,
		});
		const noScheme = await run({
			resource: 'kfMessage',
			operation: 'sendLink',
			title: 't',
			url: 'example.com',
			thumbMediaId: thumb,
		});
		assert.match(String(noScheme.error?.message), /http:\/\/ or https:\/\//);
		const unknownThumb = await run({
			resource: 'kfMessage',
			operation: 'sendLink',
			title: 't',
			url: 'https://example.com',
			thumbMediaId: 'never-uploaded',
		});
		assert.match(String(unknownThumb.error?.message), /^WeCom error 40007: invalid media_id/);
	});

	describe('sendMenu', () => {
		const click = (i: number) => ({ type: 'click', id: `c${i}`, content: `选项${i}` });
		const text = (i: number) => ({ type: 'text', content: `说明${i}` });
		const menu = (items: Array<Record<string, string>>): INodeParameters => ({
			resource: 'kfMessage',
			operation: 'sendMenu',
			headContent: '请选择',
			menuItems: { item: items },
			tailContent: '谢谢',
		});

		it('items in their order, each with its own fields', async () => {
			customerWrites();
			const { error } = await run(
				menu([
					click(1),
					{ type: 'view', url: 'https://example.com/help', content: '帮助中心' },
					{ type: 'miniprogram', appid: 'wx123', pagepath: 'pages/index', content: '打开小程序' },
					text(1),
				]),
			);
			assert.equal(error, undefined);
			assert.deepEqual(api.kfSent[0].body.msgmenu, {
				head_content: '请选择',
				list: [
					{ type: 'click', click: { id: 'c1', content: '选项1' } },
					{ type: 'view', view: { url: 'https://example.com/help', content: '帮助中心' } },
					{ type: 'miniprogram', miniprogram: { appid: 'wx123', pagepath: 'pages/index', content: '打开小程序' } },
					{ type: 'text', text: { content: '说明1' } },
				],
				tail_content: '谢谢',
			});
		});

		it('limits: 10 clickable items, 50 in all; checked before sending', async () => {
			customerWrites();
			const ten = Array.from({ length: 10 }, (_, i) => click(i));
			assert.equal((await run(menu([...ten, ...Array.from({ length: 40 }, (_, i) => text(i))]))).error, undefined);
			const eleven = await run(menu([...ten, click(10)]));
			assert.equal(
				eleven.error?.message,
				'The menu has 11 Click, View and Mini Program items; WeCom accepts at most 10 of them (Text items do not count).',
			);
			const fiftyOne = await run(menu([...ten, ...Array.from({ length: 41 }, (_, i) => text(i))]));
			assert.ok(fiftyOne.error, 'n8n refuses more than 50 items itself');
			const empty = await run(menu([click(1), { type: 'text', content: '' }]));
			assert.equal(empty.error?.message, 'Menu item 2 has no content');
			assert.equal(sendRequests().length, 1);
		});

		it('the pure rules agree', async () => {
			const rules = await requireBuilt<Rules>('dist/nodes/WeCom/actions/kf/rules.js');
			assert.equal(rules.msgidProblem(''), undefined);
			assert.equal(rules.msgidProblem('a'.repeat(32)), undefined);
			assert.match(String(rules.msgidProblem('a'.repeat(33))), /33 bytes/);
			assert.match(String(rules.msgidProblem('a.b')), /contains "\."/);
			const entries = Array.from({ length: 11 }, () => ({ type: 'text' as const }));
			assert.match(String(rules.menuProblem(entries, rules.MAX_EVENT_MENU_ITEMS)), /11 items; WeCom accepts at most 10/);
			assert.equal(rules.menuProblem(entries, rules.MAX_MENU_ITEMS), undefined);
		});
	});

	describe('sendOnEvent', () => {
		it('a welcome_code from the enter_session event: text, once', async () => {
			const { code } = api.kfEvent(KF, 'wmCUST1', { event_type: 'enter_session', scene: 'ad' });
			assert.ok(code);
			const item = { msgtype: 'event', event: { event_type: 'enter_session', welcome_code: code } };
			const parameters = { resource: 'kfMessage', operation: 'sendOnEvent', messageType: 'text', content: '欢迎光临' };
			const { outputs, error } = await run(parameters, { items: [item] });
			assert.equal(error, undefined);
			assert.equal(api.kfSent[0].via, 'send_msg_on_event');
			assert.equal(api.kfSent[0].codeKind, 'welcome');
			assert.equal(api.kfSent[0].content, '欢迎光临');
			assert.equal(outputs[0][0].json.sent, true);
			assert.equal(outputs[0][0].json.msgid, api.kfSent[0].msgid);

			const used = await run(parameters, { items: [item] });
			assert.ok(used.error);
			assert.equal(
				used.error.message,
				'WeCom refused the event code: it was used already, has expired or is not one WeCom issued',
			);
			assert.match(String(used.error.description), /20 seconds/);
			assertNoSecrets(used.error);
		});

		it('an expired welcome_code (20 seconds on the fake clock)', async () => {
			const { code } = api.kfEvent(KF, 'wmCUST1', { event_type: 'enter_session' });
			clock += 20_000;
			const { error } = await run(
				{ resource: 'kfMessage', operation: 'sendOnEvent', code, messageType: 'text', content: '欢迎' },
				{ items: [{}] },
			);
			assert.match(String(error?.message), /used already, has expired/);
			assert.equal(api.kfSent.length, 0);
		});

		it('the closing code of Transfer → End Session: a satisfaction menu', async () => {
			customerWrites();
			const ended = await run({ resource: 'kfSession', operation: 'transfer', to: 'end' });
			assert.equal(ended.error, undefined);
			const msgCode = ended.outputs[0][0].json.msg_code;
			assert.equal(typeof msgCode, 'string');
			const { error } = await run(
				{
					resource: 'kfMessage',
					operation: 'sendOnEvent',
					messageType: 'msgmenu',
					headContent: '您对本次服务满意吗？',
					menuItems: {
						item: [
							{ type: 'click', id: 'good', content: '满意' },
							{ type: 'click', id: 'bad', content: '不满意' },
						],
					},
				},
				{ items: ended.outputs[0].map((item) => item.json) },
			);
			assert.equal(error, undefined);
			assert.equal(api.kfSent[0].codeKind, 'closing');
			assert.equal((api.kfSent[0].body.msgmenu as IDataObject).head_content, '您对本次服务满意吗？');
		});

		it('a queue code once the session has left the queue: the state rule', async () => {
			customerWrites();
			const queued = await run({ resource: 'kfSession', operation: 'transfer', to: 'queue' });
			api.setKfSessionState(KF, 'wmCUST1', 3, 'zhangsan');
			const { error } = await run(
				{ resource: 'kfMessage', operation: 'sendOnEvent', messageType: 'text', content: '排队中，请稍候' },
				{ items: queued.outputs[0].map((item) => item.json) },
			);
			assert.equal(error?.message, 'The session is no longer in the state this event code was issued for');
		});
	});
});

describe('WeCom node: Kf Session', () => {
	it('get: service_state, servicer_userid and a readable state', async () => {
		const none = await run({ resource: 'kfSession', operation: 'get' });
		assert.deepEqual(none.outputs[0][0].json, {
			open_kfid: KF,
			external_userid: 'wmCUST1',
			service_state: 4,
			state: 'ended',
		});
		api.setKfSessionState(KF, 'wmCUST1', 3, 'zhangsan');
		const human = await run({ resource: 'kfSession', operation: 'get' });
		assert.equal(human.outputs[0][0].json.state, 'servicer');
		assert.equal(human.outputs[0][0].json.servicer_userid, 'zhangsan');
		const states = await requireBuilt<States>('dist/nodes/WeCom/actions/kf/states.js');
		assert.deepEqual([0, 1, 2, 3, 4].map(states.kfStateName), ['new', 'smartAssistant', 'queued', 'servicer', 'ended']);
	});

	it('transfer to each target: msg_code where WeCom returns one', async () => {
		customerWrites();
		const transfer = async (to: string, extra: INodeParameters = {}) =>
			await run({ resource: 'kfSession', operation: 'transfer', to, ...extra });

		const bot = await transfer('smartAssistant');
		assert.equal(bot.error, undefined);
		assert.deepEqual(bot.outputs[0][0].json, {
			transferred: true,
			open_kfid: KF,
			external_userid: 'wmCUST1',
			service_state: 1,
			state: 'smartAssistant',
		});
		const queue = await transfer('queue');
		assert.equal(queue.outputs[0][0].json.service_state, 2);
		assert.equal(typeof queue.outputs[0][0].json.msg_code, 'string');
		// Asked twice: already queued, nothing to do and no failure.
		const again = await transfer('queue');
		assert.equal(again.error, undefined);
		assert.deepEqual(
			[again.outputs[0][0].json.transferred, again.outputs[0][0].json.reason, again.outputs[0][0].json.service_state],
			[false, 'alreadyInState', 2],
		);
		const servicer = await transfer('servicer', { servicerUserId: 'zhangsan' });
		assert.equal(servicer.outputs[0][0].json.servicer_userid, 'zhangsan');
		assert.equal(typeof servicer.outputs[0][0].json.msg_code, 'string');
		assert.deepEqual(api.kfSessionState(KF, 'wmCUST1'), { service_state: 3, servicer_userid: 'zhangsan' });
		// To the queue while a servicer has it: the queue only leads there.
		const withServicer = await transfer('queue');
		assert.equal(withServicer.error, undefined);
		assert.deepEqual(
			[withServicer.outputs[0][0].json.reason, withServicer.outputs[0][0].json.servicer_userid],
			['alreadyWithServicer', 'zhangsan'],
		);
		const end = await transfer('end');
		assert.equal(end.outputs[0][0].json.state, 'ended');
		assert.equal(typeof end.outputs[0][0].json.msg_code, 'string');

		// 95016: an ended session cannot be moved through the API
		const refused = await transfer('smartAssistant');
		assert.ok(refused.error);
		assert.equal(
			refused.error.message,
			'The session is ended or not started (state 4): WeCom does not allow moving it to smartAssistant (state 1)',
		);
		assert.match(String(refused.error.description), /cannot be changed through the API/);
		assertNoSecrets(refused.error);
	});

	it('transfer to a servicer: missing, unknown (95014) or not receiving (95019)', async () => {
		customerWrites();
		const missing = await run({ resource: 'kfSession', operation: 'transfer', to: 'servicer', servicerUserId: '={{ $json.nobody }}' });
		assert.equal(missing.error?.message, 'Servicer User ID is empty');
		assert.equal(sendRequests('/cgi-bin/kf/service_state/trans').length, 0);
		const stranger = await run({ resource: 'kfSession', operation: 'transfer', to: 'servicer', servicerUserId: 'stranger' });
		assert.match(String(stranger.error?.message), /^WeCom error 95014: /);
		assert.match(String(stranger.error?.description), /WeChat Customer Service Servicer → List/);
		api.setKfServicerStatus(KF, 'zhangsan', 1);
		const stopped = await run({ resource: 'kfSession', operation: 'transfer', to: 'servicer', servicerUserId: 'zhangsan' });
		assert.match(String(stopped.error?.message), /^WeCom error 95019: /);
		assert.deepEqual(api.kfSessionState(KF, 'wmCUST1'), { service_state: 0 });
	});
});

describe('WeCom node: Kf Account, Kf Servicer, Kf Customer', () => {
	function addAccounts(count: number) {
		for (let i = 2; i <= count; i++) api.addKfAccount({ open_kfid: `wk${String(i).padStart(6, '0')}`, name: `客服${i}` });
	}
	const accountCalls = () => api.requests.filter((request) => request.path === '/cgi-bin/kf/account/list').map((r) => r.body);

	it('account list, Return All: pages of 100 until a short page', async () => {
		addAccounts(150);
		const { outputs, error } = await run({ resource: 'kfAccount', operation: 'list', returnAll: true }, { items: [{}] });
		assert.equal(error, undefined);
		assert.equal(outputs[0].length, 150);
		assert.deepEqual(accountCalls(), [
			{ offset: 0, limit: 100 },
			{ offset: 100, limit: 100 },
		]);
		assert.equal(outputs[0][0].json.open_kfid, KF);
		assert.ok(outputs[0].every((item) => (item.pairedItem as { item: number }).item === 0));
	});

	it('account list, Limit: asks for no more than needed', async () => {
		addAccounts(150);
		const { outputs } = await run({ resource: 'kfAccount', operation: 'list', returnAll: false, limit: 120 }, { items: [{}] });
		assert.equal(outputs[0].length, 120);
		assert.deepEqual(accountCalls(), [
			{ offset: 0, limit: 100 },
			{ offset: 100, limit: 20 },
		]);
		api.reset();
		transport.resetWeComCaches();
		const few = await run({ resource: 'kfAccount', operation: 'list', returnAll: true }, { items: [{}] });
		assert.equal(few.outputs[0].length, 1);
		assert.equal(accountCalls().length, 1);
	});

	it('servicer list: one item per servicer', async () => {
		api.addKfServicer(KF, { userid: 'lisi', status: 1, stop_type: 0 });
		const { outputs, error } = await run({ resource: 'kfServicer', operation: 'list' });
		assert.equal(error, undefined);
		assert.deepEqual(
			outputs[0].map((item) => item.json),
			[
				{ open_kfid: KF, userid: 'zhangsan', status: 0 },
				{ open_kfid: KF, userid: 'lisi', status: 1, stop_type: 0 },
			],
		);
		const unknown = await run({ resource: 'kfServicer', operation: 'list', openKfId: 'wkNOPE' });
		assert.match(String(unknown.error?.message), /^WeCom error 95004: open_kfid does not exist/);
	});

	it('customer get: batches of 100, one item per customer, a hint and optional items for invalid IDs', async () => {
		const ids = Array.from({ length: 150 }, (_, i) => `wm${String(i).padStart(4, '0')}`);
		for (const id of ids.slice(0, 149)) {
			api.addKfCustomer({ external_userid: id, nickname: `N${id}` });
			customerWrites(id);
		}
		const result = await run(
			{ resource: 'kfCustomer', operation: 'get', externalUserIds: '={{ $json.ids }}', needEnterSessionContext: true },
			{ items: [{ ids }] },
		);
		assert.equal(result.error, undefined);
		assert.equal(result.outputs[0].length, 149);
		const calls = api.requests.filter((request) => request.path === '/cgi-bin/kf/customer/batchget');
		assert.deepEqual(
			calls.map((call) => [(call.body as IDataObject).external_userid_list, (call.body as IDataObject).need_enter_session_context]).map(([list, context]) => [(list as string[]).length, context]),
			[
				[100, 1],
				[50, 1],
			],
		);
		assert.equal(result.outputs[0][0].json.nickname, 'Nwm0000');
		assert.ok(hintsOf(result).some((hint) => hint.includes('wm0149') && hint.includes('48 hours')));

		const withInvalid = await run(
			{ resource: 'kfCustomer', operation: 'get', externalUserIds: 'wm0001 | wm0149, wm0001', outputInvalid: true },
			{ items: [{}] },
		);
		assert.deepEqual(
			withInvalid.outputs[0].map((item) => [item.json.external_userid, item.json.invalid ?? false]),
			[
				['wm0001', false],
				['wm0149', true],
			],
		);
	});
});

describe('WeCom node: list outputs and continueOnFail', () => {
	it('each input item keeps its own output items and pairing; a failed item carries its error', async () => {
		api.addKfAccount({ open_kfid: 'wkSECOND', name: '售后' });
		api.addKfServicer('wkSECOND', { userid: 'lisi' });
		api.addKfServicer('wkSECOND', { userid: 'wangwu' });
		const { outputs, error } = await run(
			{ resource: 'kfServicer', operation: 'list' },
			{
				items: [{ open_kfid: KF }, { open_kfid: 'wkNOPE' }, { open_kfid: 'wkSECOND' }],
				onError: 'continueRegularOutput',
			},
		);
		assert.equal(error, undefined);
		assert.deepEqual(
			outputs[0].map((item) => [item.json.userid ?? item.json.errcode, (item.pairedItem as { item: number }).item]),
			[
				['zhangsan', 0],
				[95004, 1],
				['lisi', 2],
				['wangwu', 2],
			],
		);
	});
});
