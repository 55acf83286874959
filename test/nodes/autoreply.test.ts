/* eslint-disable @n8n/community-nodes/no-restricted-imports -- test code, never shipped */
/**
 * The AutoReply node as n8n runs it (built dist/, n8n-core's WorkflowExecute): every output, the
 * operations, state across executions (static data + a fixed workflow id) and across a restart
 * (resetWorkflowStates). Needs `npm run build` first.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import type { IDataObject, INodeParameters } from 'n8n-workflow';

import { cleanupHarness, requireBuilt, runNode, type RunNodeOptions } from './harness';

type StateModule = typeof import('../../nodes/common/workflowState');

const OUT = { keyword: 0, faq: 1, handoff: 2, noMatch: 3, outOfHours: 4, silent: 5 } as const;

const FAQ = [
	{ question: '退款多久能到账？', similarQuestions: ['钱什么时候退回来'], answer: '原路退款，1-3个工作日到账。' },
	{ question: '怎么开发票？', answer: '在订单详情点击申请开票。' },
	{ question: '运费怎么算？', similarQuestions: ['包邮吗'], answer: '满99元包邮。' },
];

const RULES = {
	rule: [
		{ name: 'price', keywords: '价格, 多少钱', matchType: 'contains', reply: '={{ "价格请看商品页 " + $json.external_userid }}', priority: 0 },
		{ name: 'hello', keywords: '你好', matchType: 'exact', reply: '您好！', priority: 0 },
	],
};

let state: StateModule;
let workflowCounter = 0;

before(async () => {
	state = await requireBuilt<StateModule>('dist/nodes/common/workflowState.js');
});
after(() => cleanupHarness());

function kf(text: string, user = 'wmUser1'): IDataObject {
	return { open_kfid: 'wkKf1', external_userid: user, text, msgid: `m-${Math.random()}` };
}

async function run(parameters: INodeParameters, items: IDataObject[], options: Partial<RunNodeOptions> = {}) {
	const result = await runNode({ nodeType: 'autoReply', parameters, items, ...options });
	assert.equal(result.error, undefined, result.error?.message);
	// Route Message has one output per route; Hand Off and Release one each.
	assert.equal(result.outputs.length, parameters.operation === undefined || parameters.operation === 'route' ? 6 : 1);
	return result.outputs;
}

/** Where each item went: [output index, autoReply] in input order. */
function routes(outputs: Awaited<ReturnType<typeof run>>) {
	const all: Array<{ item: number; output: number; json: IDataObject }> = [];
	outputs.forEach((items, output) => {
		for (const item of items) {
			const paired = item.pairedItem as { item: number };
			all.push({ item: paired.item, output, json: item.json });
		}
	});
	return all.sort((a, b) => a.item - b.item);
}

describe('AutoReply node: Route Message', () => {
	it('resolves replies per item, and keywords given by an expression per item too', async () => {
		const rules = {
			rule: [
				{ name: 'price', keywords: '价格', matchType: 'contains', reply: '={{ "报价给 " + $json.external_userid }}', priority: 0 },
				// Keywords from the item itself: the automaton differs per item.
				{ name: 'own word', keywords: '={{ $json.secret }}', matchType: 'contains', reply: '={{ "暗号 " + $json.secret }}', priority: 1 },
			],
		};
		const items = [
			{ ...kf('价格多少', 'wmA'), secret: '芝麻' },
			{ ...kf('价格呢', 'wmB'), secret: '芝麻' },
			{ ...kf('芝麻开门', 'wmC'), secret: '芝麻' },
			{ ...kf('芝麻开门', 'wmD'), secret: '西瓜' },
		];
		const got = routes(await run({ keywordRules: rules }, items, { workflowId: `wf-ar-${++workflowCounter}` }));
		assert.deepEqual(
			got.map((r) => (r.json.autoReply as IDataObject).reply),
			['报价给 wmA', '报价给 wmB', '暗号 芝麻', undefined],
		);
		assert.equal(got[3].output, OUT.noMatch);
	});

	it('sends each message to its output and keeps the input JSON', async () => {
		const items = [
			kf('这个多少钱'),
			kf('你好'),
			kf('退款几天到账'),
			kf('我要转 人 工', 'wmUser2'),
			kf('今天天气怎么样'),
			{ AgentID: '1000002', FromUserName: 'zhangsan', Content: '包邮吗？', MsgId: '1' },
			{ from: '8613800000000@c.us', body: 'hello', id: 'wa1' },
		];
		const outputs = await run({ keywordRules: RULES, faqEntries: JSON.stringify(FAQ) }, items, { workflowId: `wf-ar-${++workflowCounter}` });
		const got = routes(outputs);
		assert.deepEqual(
			got.map((r) => [r.output, (r.json.autoReply as IDataObject).route]),
			[
				[OUT.keyword, 'keyword'],
				[OUT.keyword, 'keyword'],
				[OUT.faq, 'faq'],
				[OUT.handoff, 'handoff'],
				[OUT.noMatch, 'noMatch'],
				[OUT.faq, 'faq'],
				[OUT.noMatch, 'noMatch'],
			],
		);
		got.forEach((r, i) => {
			const { autoReply, ...rest } = r.json;
			assert.deepEqual(rest, items[i]);
			assert.ok(autoReply);
		});
		const price = got[0].json.autoReply as IDataObject;
		assert.equal(price.reply, '价格请看商品页 wmUser1');
		assert.deepEqual(price.rule, { name: 'price', index: 0, keyword: '多少钱', matchType: 'contains' });
		assert.equal(price.conversationId, 'wkKf1:wmUser1');
		const faq = got[2].json.autoReply as IDataObject;
		assert.equal(faq.reply, FAQ[0].answer);
		assert.equal((faq.faq as IDataObject).question, FAQ[0].question);
		const handoff = got[3].json.autoReply as IDataObject;
		assert.equal(handoff.reply, '正在为您转接人工客服，请稍候。');
		assert.equal(handoff.handOffKeyword, '转人工');
		assert.ok(Date.parse(handoff.pausedUntil as string) > Date.now() + 239 * 60_000);
		const noMatch = got[4].json.autoReply as IDataObject;
		assert.ok(Array.isArray(noMatch.candidates));
		assert.equal((got[5].json.autoReply as IDataObject).conversationId, '1000002:zhangsan');
		assert.equal((got[6].json.autoReply as IDataObject).conversationId, 'chat:8613800000000@c.us');
	});

	it('keeps the FAQ score of version 1 nodes and their 0.7 default; version 2 nodes use the confidence', async () => {
		// 开票 scored 0.648 before version 2 (0 to 1.5, default threshold 0.7): No Match. A saved
		// version 1 node must keep that; a new node (version 2) answers it on the 0-1 confidence.
		const v1 = await run({ faqEntries: FAQ }, [kf('开票')], { typeVersion: 1 });
		const noMatch = v1[OUT.noMatch][0].json.autoReply as IDataObject;
		const [best] = noMatch.candidates as IDataObject[];
		assert.equal(best.question, FAQ[1].question);
		assert.equal(best.score, 0.648);
		const v1Repeat = await run({ faqEntries: FAQ }, [kf('退款多久能到账？')], { typeVersion: 1 });
		const repeated = (v1Repeat[OUT.faq][0].json.autoReply as IDataObject).faq as IDataObject;
		assert.equal(repeated.score, 1.198);

		const v2 = await run({ faqEntries: FAQ }, [kf('开票')], { typeVersion: 2 });
		assert.equal(v2[OUT.faq].length, 1);
		const answered = v2[OUT.faq][0].json.autoReply as IDataObject;
		assert.equal(answered.reply, FAQ[1].answer);
		const confidence = (answered.faq as IDataObject).score as number;
		assert.ok(confidence >= 0.4 && confidence <= 1, `${confidence}`);
		// Without a version, the harness takes the newest, as the editor does for a new node.
		assert.equal((await run({ faqEntries: FAQ }, [kf('开票')]))[OUT.faq].length, 1);
	});

	it('gives No Match the top FAQ candidates with scores', async () => {
		const outputs = await run({ faqEntries: FAQ, faqThreshold: 1 }, [kf('退款几天到账')]);
		const autoReply = outputs[OUT.noMatch][0].json.autoReply as IDataObject;
		const candidates = autoReply.candidates as IDataObject[];
		assert.ok(candidates.length >= 1 && candidates.length <= 3);
		assert.equal(candidates[0].question, FAQ[0].question);
		assert.equal(typeof candidates[0].score, 'number');
		assert.equal(candidates[0].answer, FAQ[0].answer);
	});

	it('takes FAQ entries from the node, from a JSON string and from an array', async () => {
		const faq = { entry: [{ question: '怎么开发票？', similarQuestions: '发票怎么开', answer: '点申请开票。' }] };
		for (const parameters of [{ faq }, { faqEntries: JSON.stringify(FAQ) }, { faqEntries: FAQ }] as INodeParameters[]) {
			const outputs = await run(parameters, [kf('发票怎么开')]);
			assert.equal(outputs[OUT.faq].length, 1, JSON.stringify(parameters));
		}
	});

	it('fails on bad FAQ entries, naming the entry and the field', async () => {
		const bad = await runNode({ nodeType: 'autoReply', parameters: { faqEntries: [FAQ[0], { question: 'x' }] }, items: [kf('hi')] });
		assert.match(bad.error?.message ?? '', /entry 1: "answer"/);
		const json = await runNode({ nodeType: 'autoReply', parameters: { faqEntries: '[{"question":' }, items: [kf('hi')] });
		assert.match(json.error?.message ?? '', /not valid JSON/);
	});

	it('fails on an invalid regex, naming the rule; continues on fail with the error on the first output', async () => {
		const parameters = { keywordRules: { rule: [{ name: 'order', keywords: '([0-9', matchType: 'regex', reply: 'x' }] } };
		const failed = await runNode({ nodeType: 'autoReply', parameters, items: [kf('hi')] });
		assert.match(failed.error?.message ?? '', /Keyword rule 1 "order": "\(\[0-9" is not a valid regular expression/);
		const continued = await run(parameters, [kf('hi')], { onError: 'continueRegularOutput' });
		assert.equal(continued[0].length, 1);
		assert.match(String(continued[0][0].json.error), /Keyword rule 1/);
		assert.equal(continued[0][0].json.text, 'hi');
		assert.deepEqual(continued[0][0].pairedItem, { item: 0 });
	});

	it('On Error "Continue (using error output)": a failed item leaves by the error output after the six routes', async () => {
		const parameters = { keywordRules: { rule: [{ name: 'order', keywords: '([0-9', matchType: 'regex', reply: 'x' }] } };
		const { outputs, error } = await runNode({
			nodeType: 'autoReply',
			parameters,
			items: [kf('hi')],
			onError: 'continueErrorOutput',
		});
		assert.equal(error, undefined);
		assert.equal(outputs.length, 7);
		assert.deepEqual(
			outputs.slice(0, 6).map((items) => items.length),
			[0, 0, 0, 0, 0, 0],
		);
		assert.match(String(outputs[6][0].json.error), /Keyword rule 1/);
		assert.match(String((outputs[6][0].json.details as IDataObject).description), /Fix the Keywords of rule 1/);
		assert.deepEqual(outputs[6][0].pairedItem, { item: 0 });
	});

	it('fails when there is no conversation ID, naming the parameter', async () => {
		const result = await runNode({ nodeType: 'autoReply', parameters: {}, items: [{ text: 'hi' }] });
		assert.match(result.error?.message ?? '', /Conversation ID is empty/);
	});

	it('cuts long replies to the channel limit', async () => {
		const long = '退'.repeat(1000);
		const rules = { rule: [{ keywords: '长', matchType: 'contains', reply: long }] };
		const weCom = await run({ keywordRules: rules }, [kf('长')]);
		const reply = (weCom[0][0].json.autoReply as IDataObject).reply as string;
		assert.equal(Buffer.byteLength(reply), 2046);
		assert.equal((weCom[0][0].json.autoReply as IDataObject).truncated, true);
		const none = await run({ keywordRules: rules, replyLimit: 'none' }, [kf('长')]);
		assert.equal((none[0][0].json.autoReply as IDataObject).reply, long);
	});
});

describe('AutoReply node: hand-off state across executions', () => {
	it('hands off, stays silent while with a human, survives a restart, then releases', async () => {
		const workflowId = `wf-ar-${++workflowCounter}`;
		const staticData: IDataObject = {};
		const options = { workflowId, staticData };
		const first = await run({}, [kf('人工客服')], options);
		assert.equal(first[OUT.handoff].length, 1);
		assert.ok((staticData.global as IDataObject | undefined)?.kefuAutoReply, 'the pause is in the workflow static data n8n saves');

		const second = await run({}, [kf('在吗'), kf('在吗', 'wmOther')], options);
		const silent = second[OUT.silent][0].json.autoReply as IDataObject;
		assert.equal(silent.reason, 'withHuman');
		assert.ok(typeof silent.pausedUntil === 'string');
		assert.equal(second[OUT.noMatch].length, 1, 'another customer is not paused');

		state.resetWorkflowStates(); // a restart: only n8n's saved static data remains
		const afterRestart = await run({}, [kf('在吗')], options);
		assert.equal(afterRestart[OUT.silent].length, 1);

		// A second AutoReply node (same workflow, same namespace) releases the conversation.
		const released = await run({ operation: 'release' }, [kf('')], options);
		assert.deepEqual(released[0][0].json.autoReply, { route: 'released', wasPaused: true, conversationId: 'wkKf1:wmUser1' });
		const answered = await run({}, [kf('在吗')], options);
		assert.equal(answered[OUT.noMatch].length, 1);
	});

	it('hands off by operation, and ends the pause when it expires', async (t) => {
		// The node reads Date.now(): a clock that moves only when told, so the pause ends when the test says.
		t.mock.timers.enable({ apis: ['Date'], now: Date.now() });
		const workflowId = `wf-ar-${++workflowCounter}`;
		const staticData: IDataObject = {};
		const handed = await run({ operation: 'handOff', pauseMinutes: 5 }, [kf('AI failed')], { workflowId, staticData });
		const autoReply = handed[0][0].json.autoReply as IDataObject;
		assert.equal(autoReply.reason, 'operation');
		assert.equal(autoReply.pausedUntil, new Date(Date.now() + 5 * 60_000).toISOString());
		assert.equal((await run({}, [kf('在吗')], { workflowId, staticData }))[OUT.silent].length, 1);
		t.mock.timers.tick(5 * 60_000 - 1);
		assert.equal((await run({}, [kf('在吗')], { workflowId, staticData }))[OUT.silent].length, 1, 'a millisecond before the end');
		t.mock.timers.tick(1);
		assert.equal((await run({}, [kf('在吗')], { workflowId, staticData }))[OUT.noMatch].length, 1);
	});

	it('ends a pause stored in the past (loaded from n8n after a restart)', async () => {
		state.resetWorkflowStates();
		const workflowId = `wf-ar-${++workflowCounter}`;
		// Static data as n8n stores it: the node's namespace under "global".
		const staticData: IDataObject = {
			global: {
				kefuAutoReply: {
					conversations: {
						'wkKf1:wmUser1': { pausedUntil: Date.now() - 1000, updatedAt: Date.now() - 3_600_000 },
						'wkKf1:wmUser2': { pausedUntil: Date.now() + 3_600_000, updatedAt: Date.now() },
					},
				},
			},
		};
		const outputs = await run({}, [kf('在吗'), kf('在吗', 'wmUser2')], { workflowId, staticData });
		assert.equal(outputs[OUT.noMatch].length, 1);
		assert.equal(outputs[OUT.silent].length, 1);
	});

	it('hands off after unanswered messages in a row when set', async () => {
		const workflowId = `wf-ar-${++workflowCounter}`;
		const staticData: IDataObject = {};
		const parameters = { handOffAfterMisses: 2, faqEntries: FAQ };
		assert.equal((await run(parameters, [kf('asdf')], { workflowId, staticData }))[OUT.noMatch].length, 1);
		const second = await run(parameters, [kf('qwer')], { workflowId, staticData });
		assert.equal((second[OUT.handoff][0].json.autoReply as IDataObject).reason, 'unanswered');
	});
});

describe('AutoReply node: business hours', () => {
	it('sends the first message outside hours to Out of Hours, later ones that day to Silent', async (t) => {
		// A fixed clock: on a real one, a UTC midnight between two runs below starts a new day (a second
		// out-of-hours reply) and can open the hours.
		t.mock.timers.enable({ apis: ['Date'], now: Date.parse('2026-03-04T12:00:00Z') });
		const today = 'wednesday';
		const workflowId = `wf-ar-${++workflowCounter}`;
		const staticData: IDataObject = {};
		// Closed today and yesterday (a range past midnight would belong to the day it starts on).
		const parameters: INodeParameters = {
			useBusinessHours: true,
			timezone: 'UTC',
			businessDays: ['monday', 'thursday', 'friday', 'saturday', 'sunday'],
			openFrom: '09:00',
			openUntil: '18:00',
			keywordRules: RULES,
		};
		const first = await run(parameters, [kf('你好')], { workflowId, staticData });
		const ooo = first[OUT.outOfHours][0].json.autoReply as IDataObject;
		assert.equal(ooo.route, 'outOfHours');
		assert.match(String(ooo.reply), /非工作时间/);
		const second = await run(parameters, [kf('你好'), kf('你好', 'wmNew')], { workflowId, staticData });
		assert.equal((second[OUT.silent][0].json.autoReply as IDataObject).reason, 'outOfHoursAlreadyReplied');
		assert.equal(second[OUT.outOfHours].length, 1, 'another conversation gets its own reply');
		// Nobody is there to take a hand-off: "人工" gets the out-of-hours reply (once that day) too.
		const handOff = await run(parameters, [kf('人工'), kf('转人工', 'wmNight')], { workflowId, staticData });
		assert.equal(handOff[OUT.handoff].length, 0);
		assert.equal((handOff[OUT.silent][0].json.autoReply as IDataObject).reason, 'outOfHoursAlreadyReplied');
		assert.equal((handOff[OUT.outOfHours][0].json as IDataObject).external_userid, 'wmNight');
		const allDay = await run({ ...parameters, businessDays: [today], openFrom: '00:00', openUntil: '00:00' }, [kf('你好', 'wmThird')], { workflowId, staticData });
		assert.equal(allDay[OUT.keyword].length, 1);
		// The next local day, before opening time: its first message gets the out-of-hours text again.
		t.mock.timers.tick(20 * 3_600_000);
		const nextDay = await run(parameters, [kf('你好')], { workflowId, staticData });
		assert.equal(nextDay[OUT.outOfHours].length, 1, 'Thursday 08:00');
	});

	it('refuses an unknown time zone and a bad time', async () => {
		const tz = await runNode({ nodeType: 'autoReply', parameters: { useBusinessHours: true, timezone: 'Mars/Olympus' }, items: [kf('hi')] });
		assert.match(tz.error?.message ?? '', /Unknown time zone "Mars\/Olympus"/);
		const time = await runNode({ nodeType: 'autoReply', parameters: { useBusinessHours: true, timezone: 'UTC', openFrom: '9am' }, items: [kf('hi')] });
		assert.match(time.error?.message ?? '', /Open From "9am"/);
	});
});

describe('AutoReply: the default Conversation ID', () => {
	it('is the item\'s conversationId when it has one (WhatsApp Web Trigger), and stays open_kfid:external_userid / AgentID:FromUserName otherwise', async () => {
		const items = [
			// A customer's message and the business's reply typed on the phone: one chat, two senders.
			{ conversationId: '8613800000000@c.us', from: '8613800000000@c.us', text: '你好' },
			{ conversationId: '8613800000000@c.us', from: '8613900000000@c.us', fromMe: true, text: '我来处理' },
			kf('你好'),
			{ AgentID: '1000002', FromUserName: 'zhangsan', Content: '你好', MsgId: '1' },
		];
		const outputs = await run({ keywordRules: RULES }, items, { workflowId: `wf-ar-${++workflowCounter}` });
		assert.deepEqual(
			routes(outputs).map((r) => (r.json.autoReply as IDataObject).conversationId),
			['8613800000000@c.us', '8613800000000@c.us', 'wkKf1:wmUser1', '1000002:zhangsan'],
		);
	});
});
