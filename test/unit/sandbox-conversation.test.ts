// What the simulator shows for one customer (sandbox/simulator/conversation.ts): the customer's actions, what
// the fake platform received from the bot, hand-offs, and which execution each action started.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { FakeKfAttempt, FakeKfSentMessage, FakeSentMessage } from '../fakes/wecom';
import { SANDBOX_WHATSAPP_TEAM } from '../../sandbox/world';
import { conversation, WHATSAPP_SILENT, type ConversationInput, type CustomerAction } from '../../sandbox/simulator/conversation';

const KF = 'wkSANDBOX';
const action = (user: string, time: number, text = 'hi'): CustomerAction => ({
	workflowId: 'w',
	user,
	time,
	kind: 'message',
	text,
	delivery: 'success',
});
const appMessage = (touser: string, time: number, content: string) =>
	({ msgid: `m${time}`, agentId: 1, msgtype: 'text', body: { touser }, content, truncated: false, time }) as unknown as FakeSentMessage;
const kfMessage = (external_userid: string, time: number, content: string, via: 'send_msg' | 'send_msg_on_event' = 'send_msg') =>
	({ msgid: `k${time}`, via, open_kfid: KF, external_userid, msgtype: 'text', body: {}, content, truncated: false, time, codeKind: via === 'send_msg' ? undefined : 'welcome' }) as FakeKfSentMessage;

function input(over: Partial<ConversationInput>): ConversationInput {
	return {
		kind: 'app',
		user: 'zhangsan',
		openKfId: KF,
		actions: [],
		executions: [],
		executionUrl: (id) => `http://n8n/workflow/w/executions/${id}`,
		appMessages: [],
		kfMessages: [],
		kfAttempts: [],
		whatsAppSent: [],
		...over,
	};
}

describe('simulator conversation', () => {
	it('links each execution to the latest action before it, also when another customer wrote in between', () => {
		const actions = [action('zhangsan', 1000, 'first'), action('lisi', 2000), action('zhangsan', 3000, 'second')];
		const executions = [
			{ id: '7', status: 'success', startedAt: 1010 },
			{ id: '8', status: 'success', startedAt: 2010 },
			{ id: '9', status: 'error', startedAt: 3005 },
			{ id: '6', status: 'success', startedAt: 500 },
		];
		const entries = conversation(input({ actions, executions }));
		assert.deepEqual(
			entries.map((e) => [e.text, e.executions?.map((x) => x.id)]),
			[
				['first', ['7']],
				['second', ['9']],
			],
		);
		assert.equal(entries[1].executions?.[0].url, 'http://n8n/workflow/w/executions/9');
	});

	it('an app bot: replies to this user in time order, and messages to colleagues while the user talked', () => {
		const entries = conversation(
			input({
				actions: [action('zhangsan', 1000, '转人工')],
				appMessages: [appMessage('lisi', 500, 'before'), appMessage('zhangsan', 1200, '好的'), appMessage('manager', 1300, '请联系 zhangsan')],
			}),
		);
		assert.deepEqual(
			entries.map((e) => [e.from, e.text]),
			[
				['customer', '转人工'],
				['bot', '好的'],
				['event', 'To manager: 请联系 zhangsan'],
			],
		);
	});

	it('a 微信客服 bot: its sends to this customer and an accepted transfer; refused transfers and others are left out', () => {
		const transfer = (external_userid: string, time: number, errcode: number): FakeKfAttempt => ({
			path: '/cgi-bin/kf/service_state/trans',
			open_kfid: KF,
			external_userid,
			service_state: 2,
			errcode,
			answered: true,
			time,
		});
		const entries = conversation(
			input({
				kind: 'kf',
				user: 'wm_a',
				actions: [action('wm_a', 1000, '转人工')],
				kfMessages: [kfMessage('wm_a', 1100, '正在为您转接'), kfMessage('wm_b', 1100, 'other'), kfMessage('wm_a', 900, '欢迎', 'send_msg_on_event')],
				kfAttempts: [transfer('wm_a', 1150, 95016), transfer('wm_a', 1200, 0), transfer('wm_b', 1200, 0)],
			}),
		);
		assert.deepEqual(
			entries.map((e) => [e.from, e.via, e.text.slice(0, 20)]),
			[
				['bot', 'welcome (send_msg_on_event)', '欢迎'],
				['customer', 'kf/sync_msg', '转人工'],
				['bot', 'kf/send_msg', '正在为您转接'],
				['event', 'kf/service_state/trans', 'Transferred: the ses'],
			],
		);
		assert.match(entries[3].text, /待接入池/);
	});

	it('a WhatsApp bot: its sends to this chat (not to other customers), the hand-off to the team, and a colleague on the phone silences the bot', () => {
		const sent = (chatId: string, time: number, text: string) => ({ id: `true_${chatId}_${time}`, chatId, text, at: new Date(time).toISOString() });
		const colleague: CustomerAction = { ...action('8613800000001', 3000, 'Anna here'), kind: 'colleagueTypes' };
		const entries = conversation(
			input({
				kind: 'whatsapp',
				user: '8613800000001',
				actions: [action('8613800000001', 1000, 'human'), action('8613800000002', 1500, 'price'), colleague],
				whatsAppSent: [
					sent(`${SANDBOX_WHATSAPP_TEAM}@c.us`, 1100, '[Hand-off] wants a person'),
					sent('8613800000001@c.us', 1200, 'A colleague will answer'),
					sent('8613800000002@c.us', 1600, 'Prices depend'),
				],
			}),
		);
		assert.deepEqual(
			entries.map((e) => [e.from, e.text]),
			[
				['customer', 'human'],
				['event', `To the team (+${SANDBOX_WHATSAPP_TEAM}): [Hand-off] wants a person`],
				['bot', 'A colleague will answer'],
				['colleague', 'Anna here'],
				['event', WHATSAPP_SILENT],
			],
		);
		// A phone message the gateway refused silences nothing: the page says why instead.
		const refused = conversation(input({ kind: 'whatsapp', user: '8613800000001', actions: [{ ...colleague, delivery: 'not linked' }] }));
		assert.deepEqual(refused.map((e) => [e.from, e.problem]), [['colleague', 'not linked']]);
	});

	it('shows why a message did not reach the bot', () => {
		const failed = { ...action('zhangsan', 1000), delivery: 'n8n has no webhook: publish it' };
		const [entry] = conversation(input({ actions: [failed] }));
		assert.equal(entry.problem, 'n8n has no webhook: publish it');
	});
});
