import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { AutoReply } from '../../nodes/AutoReply/AutoReply.node';
import {
	countHeldOutChecks,
	findExpectedEntry,
	heldOutChecks,
	judgeFaqTest,
	summarizeFaqCheck,
	type FaqTest,
	type FaqTestResult,
} from '../../nodes/AutoReply/engine/faqCheck';
import { FaqIndex, type FaqCandidate, type FaqEntry } from '../../nodes/AutoReply/engine/faqIndex';
import { faqCandidates } from '../../nodes/AutoReply/engine/route';
import { fieldsShown, outputsShown, subtitleShown } from '../support/node-description';

/** Candidates for entries by index and score, best first as the index gives them. */
const candidates = (...pairs: Array<[number, number]>): FaqCandidate[] =>
	pairs.map(([index, score]) => ({ index, question: `Q${index}`, answer: `A${index}`, score }));

/** Tests with their candidates, judged at `threshold`. */
function judged(threshold: number, ...tests: Array<[FaqTest, FaqCandidate[]]>): FaqTestResult[] {
	return tests.map(([test, found]) => judgeFaqTest(test, found, threshold));
}

describe('Check FAQ: the verdict for one test message', () => {
	const threshold = 0.5;

	it('answered: the expected entry is first and reaches the threshold', () => {
		const result = judgeFaqTest({ message: 'm', expected: 2 }, candidates([2, 0.8], [1, 0.3]), threshold);
		assert.equal(result.verdict, 'answered');
		assert.equal(result.answered?.index, 2);
		assert.equal(result.expectedRank, 1);
	});

	it('answered also exactly at the threshold, as Route Message answers', () => {
		assert.equal(judgeFaqTest({ message: 'm', expected: 0 }, candidates([0, 0.5]), threshold).verdict, 'answered');
	});

	it('wrong: another entry is first and reaches the threshold; the rank says where the expected one is', () => {
		const result = judgeFaqTest({ message: 'm', expected: 1 }, candidates([0, 0.9], [3, 0.4], [1, 0.35]), threshold);
		assert.equal(result.verdict, 'wrong');
		assert.equal(result.answered?.index, 0);
		assert.equal(result.expectedRank, 3);
	});

	it('missed: the expected entry is first but below the threshold, or not first and the first is below it', () => {
		const below = judgeFaqTest({ message: 'm', expected: 1 }, candidates([1, 0.49]), threshold);
		assert.equal(below.verdict, 'missed');
		assert.equal(below.answered, undefined);
		const notFirst = judgeFaqTest({ message: 'm', expected: 1 }, candidates([0, 0.3], [1, 0.2]), threshold);
		assert.equal(notFirst.verdict, 'missed');
		assert.equal(notFirst.expectedRank, 2);
		const nothing = judgeFaqTest({ message: 'm', expected: 1 }, [], threshold);
		assert.equal(nothing.verdict, 'missed');
		assert.equal(nothing.expectedRank, undefined);
	});

	it('off-topic: answered when any entry reaches the threshold, ignored otherwise', () => {
		assert.equal(judgeFaqTest({ message: 'm' }, candidates([4, 0.7]), threshold).verdict, 'offTopicAnswered');
		assert.equal(judgeFaqTest({ message: 'm' }, candidates([4, 0.2]), threshold).verdict, 'offTopicIgnored');
		assert.equal(judgeFaqTest({ message: 'm' }, [], threshold).verdict, 'offTopicIgnored');
	});
});

describe('Check FAQ: the summary and the suggested threshold', () => {
	it('counts each verdict and the ranks, and suggests one step past the highest wrong first candidate', () => {
		const results = judged(
			0.5,
			[{ message: 'a', expected: 0 }, candidates([0, 0.9])],
			[{ message: 'b', expected: 1 }, candidates([1, 0.6])],
			[{ message: 'c', expected: 2 }, candidates([2, 0.45])],
			[{ message: 'd', expected: 3 }, candidates([0, 0.55], [3, 0.5])],
			[{ message: 'e', expected: 4 }, candidates([1, 0.2])],
			[{ message: 'f' }, candidates([2, 0.58])],
			[{ message: 'g' }, candidates([2, 0.1])],
		);
		const summary = summarizeFaqCheck(results, 0.5);
		assert.deepEqual(
			{
				tests: summary.tests,
				answered: summary.answered,
				wrong: summary.wrong,
				missed: summary.missed,
				offTopic: summary.offTopic,
				offTopicAnswered: summary.offTopicAnswered,
				offTopicIgnored: summary.offTopicIgnored,
				rankedFirst: summary.rankedFirst,
				inCandidates: summary.inCandidates,
			},
			{ tests: 7, answered: 2, wrong: 1, missed: 2, offTopic: 2, offTopicAnswered: 1, offTopicIgnored: 1, rankedFirst: 3, inCandidates: 4 },
		);
		// The off-topic "f" at 0.58 is the highest wrong first candidate: 0.59 answers "a" and "b", not "c".
		assert.equal(summary.highestWrong?.test.message, 'f');
		assert.equal(summary.highestWrongScore, 0.58);
		assert.equal(summary.suggestedThreshold, 0.59);
		assert.equal(summary.answeredAtSuggested, 2);
		assert.match(summary.advice, /At 0\.5, 2 tests got an answer they should not/);
		assert.match(summary.advice, /is a guess/);
	});

	it('at the suggested threshold, re-judged, no test is wrong and no off-topic message answered', () => {
		const tests: Array<[FaqTest, FaqCandidate[]]> = [
			[{ message: 'a', expected: 0 }, candidates([0, 0.72])],
			[{ message: 'b', expected: 1 }, candidates([0, 0.71], [1, 0.7])],
			[{ message: 'c' }, candidates([1, 0.705])],
		];
		const summary = summarizeFaqCheck(judged(0.3, ...tests), 0.3);
		// 0.71 × 100 is 70.99999… in floating point: the suggestion must still be past it.
		assert.equal(summary.suggestedThreshold, 0.72);
		const again = summarizeFaqCheck(judged(summary.suggestedThreshold!, ...tests), summary.suggestedThreshold!);
		assert.equal(again.wrong + again.offTopicAnswered, 0);
		assert.equal(again.answered, summary.answeredAtSuggested);
		assert.equal(again.answered, 1);
	});

	it('with no wrong first candidate, suggests the highest threshold that still answers every right one', () => {
		const summary = summarizeFaqCheck(
			judged(0.9, [{ message: 'a', expected: 0 }, candidates([0, 0.834])], [{ message: 'b', expected: 1 }, candidates([1, 0.5678])], [{ message: 'c' }, []]),
			0.9,
		);
		assert.equal(summary.suggestedThreshold, 0.56);
		assert.equal(summary.answeredAtSuggested, 2);
		assert.equal(summary.highestWrong, undefined);
	});

	it('knows no scale: scores above 1.5 give a suggestion just past the wrong one too', () => {
		const summary = summarizeFaqCheck(
			judged(2, [{ message: 'a', expected: 0 }, candidates([0, 7.5])], [{ message: 'b' }, candidates([1, 3.2])]),
			2,
		);
		assert.equal(summary.suggestedThreshold, 3.21);
		assert.equal(summary.answeredAtSuggested, 1);
	});

	it('says so when no threshold answers anything without a wrong answer, and names the test', () => {
		const summary = summarizeFaqCheck(
			judged(0.5, [{ message: '保洁价格', expected: 0 }, candidates([0, 0.6])], [{ message: '开荒保洁多少钱', expected: 2 }, candidates([1, 0.95], [2, 0.9])]),
			0.5,
		);
		assert.equal(summary.suggestedThreshold, 0.96);
		assert.equal(summary.answeredAtSuggested, 0);
		assert.match(summary.advice, /No threshold answers a test without a wrong answer: "开荒保洁多少钱" scores 0\.95 for "Q1"/);
	});

	it('suggests nothing when no test found any entry', () => {
		const summary = summarizeFaqCheck(judged(0.5, [{ message: 'a', expected: 0 }, []], [{ message: 'b' }, []]), 0.5);
		assert.equal(summary.suggestedThreshold, undefined);
		assert.equal(summary.answeredAtSuggested, 0);
		assert.match(summary.advice, /No entry scored for any test message/);
	});

	it('does not call the suggestion a guess with enough questions and off-topic messages', () => {
		const tests: Array<[FaqTest, FaqCandidate[]]> = [];
		for (let index = 0; index < 20; index++) tests.push([{ message: `q${index}`, expected: index }, candidates([index, 0.6 + index / 100])]);
		for (let index = 0; index < 10; index++) tests.push([{ message: `o${index}` }, candidates([index, 0.3])]);
		const summary = summarizeFaqCheck(judged(0.5, ...tests), 0.5);
		assert.equal(summary.suggestedThreshold, 0.31);
		assert.equal(summary.answeredAtSuggested, 20);
		assert.doesNotMatch(summary.advice, /guess/);
		assert.match(summary.advice, /At 0\.31, 20 of 20 test messages would be answered with no wrong answer and no off-topic message answered/);
	});
});

const FAQ: FaqEntry[] = [
	{ question: '退款多久能到账？', similarQuestions: ['钱什么时候退回来', '退款几天到'], answer: '原路退款，1-3个工作日到账。' },
	{ question: 'How do I get an invoice?', answer: 'Open the order and tap Request invoice.' },
	{ question: '运费怎么算？', similarQuestions: ['包邮吗'], answer: '满99元包邮。' },
];

describe('Check FAQ: which entry a test expects', () => {
	it('finds the entry by its question, ignoring case, full/half width and spaces', () => {
		assert.equal(findExpectedEntry(FAQ, '运费怎么算？'), 2);
		assert.equal(findExpectedEntry(FAQ, '  how do i GET an invoice?'), 1);
		assert.equal(findExpectedEntry(FAQ, '运费怎么算?'), 2, 'half-width question mark');
	});

	it('finds it by one of its similar questions too, and nothing for another text', () => {
		assert.equal(findExpectedEntry(FAQ, '包邮吗'), 2);
		assert.equal(findExpectedEntry(FAQ, '发票怎么开'), undefined);
	});
});

describe('Check FAQ: similar questions held out one at a time', () => {
	it('makes one check per similar question, each against the FAQ without it (and only it)', () => {
		const checks = [...heldOutChecks(FAQ)];
		assert.equal(checks.length, 3);
		assert.equal(countHeldOutChecks(FAQ), 3);
		assert.deepEqual(
			checks.map(({ test }) => test),
			[
				{ message: '钱什么时候退回来', expected: 0 },
				{ message: '退款几天到', expected: 0 },
				{ message: '包邮吗', expected: 2 },
			],
		);
		assert.deepEqual(checks[0].entries[0].similarQuestions, ['退款几天到']);
		assert.deepEqual(checks[1].entries[0].similarQuestions, ['钱什么时候退回来']);
		assert.deepEqual(checks[2].entries[2].similarQuestions, []);
		for (const check of checks) assert.equal(check.entries.length, FAQ.length);
		assert.deepEqual(checks[2].entries[0], FAQ[0], 'other entries unchanged');
		assert.deepEqual(FAQ[0].similarQuestions, ['钱什么时候退回来', '退款几天到'], 'the FAQ itself unchanged');
	});

	it('asks the index the held-out question: it no longer finds it word for word', () => {
		const whole = new FaqIndex(FAQ);
		const [first] = heldOutChecks(FAQ);
		const exact = faqCandidates(whole, first.test.message)[0];
		const heldOut = faqCandidates(new FaqIndex(first.entries), first.test.message)[0];
		assert.equal(exact.index, 0);
		assert.ok(heldOut === undefined || heldOut.score < exact.score, `${heldOut?.score} < ${exact.score}`);
	});
});

describe('Check FAQ in the node panel', () => {
	const node = new AutoReply();

	it('has its own two outputs, and its name as the subtitle', () => {
		assert.deepEqual(outputsShown(node, { operation: 'checkFaq' }), ['main:Test Results', 'main:Summary']);
		assert.equal(subtitleShown(node, { operation: 'checkFaq' }), 'Check FAQ');
	});

	it('shows the test source and Route Message\'s FAQ fields, and nothing about conversations', () => {
		const names = (parameters: Record<string, string>) => fieldsShown(node, { operation: 'checkFaq', ...parameters }).map(({ name }) => name);
		assert.deepEqual(names({}), ['operation', 'testSource', 'messageField', 'expectedQuestionField', 'checkFaqNotice', 'faq', 'faqEntries', 'faqThreshold']);
		assert.deepEqual(names({ testSource: 'heldOut' }), ['operation', 'testSource', 'checkFaqNotice', 'faq', 'faqEntries', 'faqThreshold']);
	});
});
