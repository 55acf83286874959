/**
 * AutoReply's Check FAQ operation as n8n runs it (built dist/): test messages from input items and similar
 * questions held out, what it says per message and in the summary, and the errors a person reads. Needs
 * `npm run build` first.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';

import type { IDataObject, INodeParameters } from 'n8n-workflow';

import { cleanupHarness, runNode, type RunNodeOptions } from './harness';

after(() => cleanupHarness());

const FAQ = {
	entry: [
		{ question: '退款多久能到账？', similarQuestions: '钱什么时候退回来\n退款几天能到账', answer: '原路退款，1-3个工作日到账。' },
		{ question: '怎么开发票？', similarQuestions: '发票在哪里开', answer: '在订单详情点击申请开票。' },
		{ question: '运费怎么算？', similarQuestions: '包邮吗', answer: '满99元包邮。' },
	],
};

async function check(parameters: INodeParameters, items: IDataObject[], options: Partial<RunNodeOptions> = {}) {
	return await runNode({ nodeType: 'autoReply', parameters: { operation: 'checkFaq', faq: FAQ, ...parameters }, items, ...options });
}

async function checked(parameters: INodeParameters, items: IDataObject[]) {
	const result = await check(parameters, items);
	assert.equal(result.error, undefined, result.error?.message);
	assert.equal(result.outputs.length, 2, 'Test Results and Summary');
	const [results, summaries] = result.outputs;
	assert.equal(summaries.length, 1);
	return { results: results.map((item) => item.json), summary: summaries[0].json, items: results };
}

describe('AutoReply node: Check FAQ with test messages', () => {
	it('says per message what Route Message would answer, with what confidence, and whether that is right', async () => {
		const { results, items } = await checked({ faqThreshold: 0.5 }, [
			{ message: '退款多久能到账', expectedQuestion: '退款多久能到账？' },
			{ message: '包邮吗', expectedQuestion: '怎么开发票？' },
			{ message: '票', expectedQuestion: '怎么开发票？' },
			{ message: '今天天气怎么样' },
			{ message: '运费怎么算', expectedQuestion: '' },
		]);
		assert.deepEqual(
			results.map(({ verdict, answeredQuestion }) => [verdict, answeredQuestion]),
			[
				['answered', '退款多久能到账？'],
				['wrong', '运费怎么算？'],
				['missed', null],
				['offTopicIgnored', null],
				['offTopicAnswered', '运费怎么算？'],
			],
		);
		const [right, wrong, missed, ignored] = results;
		assert.equal(right.expectedRank, 1);
		assert.equal(right.expectedQuestion, '退款多久能到账？');
		assert.ok((right.confidence as number) >= 0.5);
		assert.equal(right.expectedConfidence, right.confidence);
		assert.deepEqual((right.candidates as IDataObject[])[0], { question: '退款多久能到账？', score: right.confidence });
		assert.equal(wrong.expectedRank, null, 'the invoice entry shares nothing with 包邮吗');
		assert.ok((missed.confidence as number) < 0.5 && missed.expectedRank === 1, JSON.stringify(missed));
		assert.equal(ignored.expectedQuestion, null);
		assert.deepEqual(
			items.map((item) => item.pairedItem),
			[0, 1, 2, 3, 4].map((item) => ({ item })),
		);
	});

	for (const typeVersion of [1, 2]) {
		it(`answers exactly as Route Message does for the same FAQ, threshold and messages (node version ${typeVersion})`, async () => {
			const messages = ['退款多久能到账', '包邮吗', '开发票', '钱啥时候退回来', '运费', '票', '今天天气怎么样'];
			const checkedRun = await check({}, messages.map((message) => ({ message })), { typeVersion });
			assert.equal(checkedRun.error, undefined, checkedRun.error?.message);
			const results = checkedRun.outputs[0].map((item) => item.json);
			const routed = await runNode({
				nodeType: 'autoReply',
				typeVersion,
				parameters: { operation: 'route', faq: FAQ, handOffKeywords: '' },
				items: messages.map((text, index) => ({ text, conversationId: `c${index}` })),
			});
			assert.equal(routed.error, undefined);
			const answers: Array<string | null> = messages.map(() => null);
			for (const item of routed.outputs[1]) {
				answers[(item.pairedItem as { item: number }).item] = ((item.json.autoReply as IDataObject).faq as IDataObject).question as string;
			}
			assert.ok(answers.some((answer) => answer !== null) && answers.some((answer) => answer === null), JSON.stringify(answers));
			assert.deepEqual(results.map((result) => result.answeredQuestion), answers);
		});
	}

	it('sums up the verdicts and suggests the lowest threshold with no wrong answer and no off-topic answer', async () => {
		const { summary, results } = await checked({ faqThreshold: 0.2 }, [
			{ message: '退款多久能到账', expectedQuestion: '退款多久能到账？' },
			{ message: '运费', expectedQuestion: '怎么开发票？' },
			{ message: '开票', expectedQuestion: '发票在哪里开' },
			{ message: '今天天气怎么样' },
		]);
		const wrongScore = results[1].confidence as number;
		assert.deepEqual(
			{ ...summary, advice: undefined, suggestedThreshold: undefined, highestWrong: undefined },
			{
				testSource: 'testMessages',
				tests: 4,
				answered: 2,
				wrong: 1,
				missed: 0,
				offTopic: 1,
				offTopicAnswered: 0,
				offTopicIgnored: 1,
				rankedFirst: 2,
				inTop3: 2,
				threshold: 0.2,
				answeredAtSuggested: 1,
				advice: undefined,
				suggestedThreshold: undefined,
				highestWrong: undefined,
			},
		);
		assert.deepEqual(summary.highestWrong, { message: '运费', question: '运费怎么算？', confidence: wrongScore });
		assert.ok((summary.suggestedThreshold as number) > wrongScore && (summary.suggestedThreshold as number) <= wrongScore + 0.01);
		assert.match(summary.advice as string, /guess/);
	});

	it('reads other field names, and fails an item whose message is missing or whose expected question is not in the FAQ', async () => {
		const parameters = { messageField: 'text', expectedQuestionField: 'answerTo' };
		const result = await check(parameters, [{ text: '包邮吗', answerTo: '运费怎么算' }, { body: 'x' }]);
		assert.match(result.error?.message ?? '', /Test message 2 has no text in the field "text"/);

		const wrongExpected = await check(parameters, [{ text: '包邮吗', answerTo: '发票怎么开' }]);
		assert.match(wrongExpected.error?.message ?? '', /Test message 1: the expected question "发票怎么开" is not in the FAQ/);
		assert.match(String((wrongExpected.error as { description?: string }).description), /Copy the Question/);

		const going = await check(parameters, [{ text: '包邮吗', answerTo: '运费怎么算？' }, { body: 'x' }], { onError: 'continueRegularOutput' });
		assert.equal(going.error, undefined);
		assert.equal(going.outputs[0][0].json.verdict, 'answered');
		assert.match(String(going.outputs[0][1].json.error), /no text in the field "text"/);
		assert.equal(going.outputs[1][0].json.tests, 1, 'the summary counts the checked messages');
	});
});

describe('AutoReply node: Check FAQ with similar questions held out', () => {
	it('asks every similar question against the FAQ without it and expects its own entry', async () => {
		const { results, summary } = await checked({ testSource: 'heldOut', faqThreshold: 0.3 }, [{}]);
		assert.deepEqual(
			results.map(({ message, expectedQuestion }) => [message, expectedQuestion]),
			[
				['钱什么时候退回来', '退款多久能到账？'],
				['退款几天能到账', '退款多久能到账？'],
				['发票在哪里开', '怎么开发票？'],
				['包邮吗', '运费怎么算？'],
			],
		);
		// Held out, 包邮吗 shares no word with 运费怎么算 (the answer 满99元包邮 still does).
		for (const result of results) assert.ok((result.confidence as number) < 1, `${String(result.message)} is not found word for word`);
		assert.equal(summary.testSource, 'heldOut');
		assert.equal(summary.tests, 4);
		assert.equal(summary.offTopic, 0);
	});

	it('says what to do when no entry has a similar question, or the FAQ is empty', async () => {
		const bare = await check({ testSource: 'heldOut', faq: { entry: [{ question: '运费怎么算？', answer: '满99元包邮。' }] } }, [{}]);
		assert.match(bare.error?.message ?? '', /No FAQ entry has Similar Questions to hold out/);
		const empty = await check({ faq: {} }, [{ message: '包邮吗' }]);
		assert.match(empty.error?.message ?? '', /The FAQ is empty/);
	});

	it('refuses a FAQ too large to hold out in one run, with the figures', async () => {
		const entries = Array.from({ length: 120 }, (_, index) => ({
			question: `问题${index}`,
			similarQuestions: Array.from({ length: 9 }, (_, similar) => `问法${index}-${similar}`),
			answer: `答案${index}`,
		}));
		const result = await check({ testSource: 'heldOut', faq: {}, faqEntries: JSON.stringify(entries) }, [{}]);
		assert.match(result.error?.message ?? '', /too large to hold out every similar question: 1,080 similar questions × 120 entries/);
	});
});
