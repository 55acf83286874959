import type { FaqCandidate, FaqEntry } from './faqIndex';
import { normalizeText } from './normalize';
import { faqAnswerOf } from './route';

/**
 * Check FAQ without n8n: how the FAQ answers a list of test messages at a threshold, and the threshold
 * an operator could set instead. The caller searches (the node as Route Message does, the bench on its
 * evaluation set) and hands over each test's candidates, best first; the score of a candidate is opaque
 * here (whatever the index calls its confidence), so nothing below depends on its scale.
 *
 * A test names the entry that should answer it, or none: an off-topic message no entry should answer.
 */

export interface FaqTest {
	message: string;
	/** Index of the entry that should answer, or undefined for an off-topic message. */
	expected?: number;
}

export type FaqVerdict =
	/** The expected entry answers. */
	| 'answered'
	/** Another entry answers: the customer gets a wrong answer. */
	| 'wrong'
	/** Nothing answers (the expected entry is below the threshold, or not first and the first is below it). */
	| 'missed'
	/** An off-topic message gets an answer. */
	| 'offTopicAnswered'
	/** An off-topic message goes on to No Match, as it should. */
	| 'offTopicIgnored';

export interface FaqTestResult {
	test: FaqTest;
	verdict: FaqVerdict;
	/** The entry that answers at the threshold. */
	answered?: FaqCandidate;
	/** 1-based rank of the expected entry among the candidates, when it is among them. */
	expectedRank?: number;
	candidates: FaqCandidate[];
}

/** What the node would do with one test message, given its candidates (best first). */
export function judgeFaqTest(test: FaqTest, candidates: FaqCandidate[], threshold: number): FaqTestResult {
	const answered = faqAnswerOf(candidates, threshold);
	const rank = test.expected === undefined ? -1 : candidates.findIndex((candidate) => candidate.index === test.expected);
	let verdict: FaqVerdict;
	if (test.expected === undefined) verdict = answered ? 'offTopicAnswered' : 'offTopicIgnored';
	else if (!answered) verdict = 'missed';
	else verdict = answered.index === test.expected ? 'answered' : 'wrong';
	return { test, verdict, answered, ...(rank >= 0 ? { expectedRank: rank + 1 } : {}), candidates };
}

/**
 * Decimals of a suggested threshold: the FAQ Confidence Threshold field keeps two, so a suggestion is
 * one an operator can type.
 */
export const THRESHOLD_DECIMALS = 2;
const STEPS_PER_UNIT = 10 ** THRESHOLD_DECIMALS;

/** Fewer tests than these and the suggested threshold is a guess (the summary says so). */
export const FEW_ANSWERABLE_TESTS = 20;
export const FEW_OFF_TOPIC_TESTS = 10;

export interface FaqCheckSummary {
	tests: number;
	answered: number;
	wrong: number;
	missed: number;
	offTopic: number;
	offTopicAnswered: number;
	offTopicIgnored: number;
	/** Tests whose expected entry is the first candidate, and among the candidates, whatever the threshold. */
	rankedFirst: number;
	inCandidates: number;
	threshold: number;
	/**
	 * The lowest threshold (of THRESHOLD_DECIMALS decimals) at which no test gets a wrong answer and no
	 * off-topic message an answer: one step past the highest score of a first candidate that would be
	 * wrong. With no such candidate, the highest step that still answers every test whose first
	 * candidate is right. Undefined when there is nothing to go on (no first candidate at all).
	 */
	suggestedThreshold?: number;
	/** Tests the expected entry answers at the suggested threshold (none is wrong there, by its definition). */
	answeredAtSuggested: number;
	/** Highest score of a first candidate that is wrong for its test (another entry, or any for an off-topic message). */
	highestWrongScore?: number;
	/** The test that has it. */
	highestWrong?: FaqTestResult;
	/** What the figures mean for the operator, in a sentence or three. */
	advice: string;
}

/** Whole steps of the threshold field at or below `score` (the small addend absorbs float noise such as 0.71 × 100 = 70.99…). */
const stepsBelow = (score: number) => Math.floor(score * STEPS_PER_UNIT + 1e-9);

/** The first candidate of a result, if it would be a wrong answer at any threshold it passes. */
function firstIsWrong({ test, candidates }: FaqTestResult): boolean {
	return candidates.length > 0 && candidates[0].index !== test.expected;
}

export function summarizeFaqCheck(results: readonly FaqTestResult[], threshold: number): FaqCheckSummary {
	const count = (verdict: FaqVerdict) => results.filter((result) => result.verdict === verdict).length;
	const answerable = results.filter(({ test }) => test.expected !== undefined);
	const rightFirst = answerable.filter((result) => result.expectedRank === 1);

	let highestWrong: FaqTestResult | undefined;
	for (const result of results) {
		if (firstIsWrong(result) && (!highestWrong || result.candidates[0].score > highestWrong.candidates[0].score)) {
			highestWrong = result;
		}
	}
	const highestWrongScore = highestWrong?.candidates[0].score;
	let suggestedThreshold: number | undefined;
	if (highestWrongScore !== undefined) suggestedThreshold = (stepsBelow(highestWrongScore) + 1) / STEPS_PER_UNIT;
	else if (rightFirst.length > 0) suggestedThreshold = stepsBelow(Math.min(...rightFirst.map((result) => result.candidates[0].score))) / STEPS_PER_UNIT;
	const answeredAtSuggested =
		suggestedThreshold === undefined ? 0 : rightFirst.filter((result) => result.candidates[0].score >= suggestedThreshold).length;

	const summary: Omit<FaqCheckSummary, 'advice'> = {
		tests: results.length,
		answered: count('answered'),
		wrong: count('wrong'),
		missed: count('missed'),
		offTopic: results.length - answerable.length,
		offTopicAnswered: count('offTopicAnswered'),
		offTopicIgnored: count('offTopicIgnored'),
		rankedFirst: rightFirst.length,
		inCandidates: answerable.filter((result) => result.expectedRank !== undefined).length,
		threshold,
		...(suggestedThreshold !== undefined ? { suggestedThreshold } : {}),
		answeredAtSuggested,
		...(highestWrong ? { highestWrongScore, highestWrong } : {}),
	};
	return { ...summary, advice: adviceOn(summary) };
}

/** "1 test", "2 tests". */
const tests = (count: number, noun = 'test') => `${count} ${noun}${count === 1 ? '' : 's'}`;

function adviceOn(summary: Omit<FaqCheckSummary, 'advice'>): string {
	const sentences: string[] = [];
	const { suggestedThreshold, highestWrong, answeredAtSuggested } = summary;
	const answerable = summary.tests - summary.offTopic;
	if (summary.wrong + summary.offTopicAnswered > 0) {
		sentences.push(
			`At ${summary.threshold}, ${tests(summary.wrong + summary.offTopicAnswered)} got an answer they should not: raise the threshold, or add the wording to the Similar Questions of the right entry.`,
		);
	}
	if (suggestedThreshold === undefined) {
		sentences.push('No entry scored for any test message: check that the messages and the FAQ are in the same language.');
	} else if (answeredAtSuggested === 0 && highestWrong) {
		sentences.push(
			`No threshold answers a test without a wrong answer: "${highestWrong.test.message}" scores ${round3(summary.highestWrongScore!)} for "${highestWrong.candidates[0].question}". Make that entry's question more specific, or add the message to the Similar Questions of the entry it belongs to.`,
		);
	} else {
		sentences.push(
			`At ${suggestedThreshold}, ${answeredAtSuggested} of ${answerable} test messages would be answered with no wrong answer${summary.offTopic > 0 ? ' and no off-topic message answered' : ''}.`,
		);
	}
	if (answerable < FEW_ANSWERABLE_TESTS || summary.offTopic < FEW_OFF_TOPIC_TESTS) {
		sentences.push(
			`With ${tests(answerable, 'question')} and ${tests(summary.offTopic, 'off-topic message')}, the suggested threshold is a guess: add test messages (at least ${FEW_ANSWERABLE_TESTS} questions and ${FEW_OFF_TOPIC_TESTS} messages no entry should answer, leaving the expected question empty) and check again.`,
		);
	}
	return sentences.join(' ');
}

const round3 = (score: number) => Math.round(score * 1000) / 1000;

/**
 * Which entry an operator means by an expected question: the entry whose question, or one of whose
 * similar questions, reads the same (ignoring case, full/half width and spaces). Undefined when none.
 */
export function findExpectedEntry(entries: readonly FaqEntry[], expectedQuestion: string): number | undefined {
	const wanted = normalizeText(expectedQuestion);
	const byQuestion = entries.findIndex((entry) => normalizeText(entry.question) === wanted);
	if (byQuestion >= 0) return byQuestion;
	const bySimilar = entries.findIndex((entry) => (entry.similarQuestions ?? []).some((text) => normalizeText(text) === wanted));
	return bySimilar >= 0 ? bySimilar : undefined;
}

/** One held-out check: the FAQ without one similar question, and that question as the test. */
export interface HeldOutCheck {
	entries: FaqEntry[];
	test: Required<FaqTest>;
}

/** How many held-out checks `entries` make: one per similar question. */
export function countHeldOutChecks(entries: readonly FaqEntry[]): number {
	return entries.reduce((sum, entry) => sum + (entry.similarQuestions?.length ?? 0), 0);
}

/**
 * Every similar question held out in turn: the FAQ it is asked against lacks it (and only it), and the
 * expected answer is its own entry. A lazy sequence: each check holds a copy of the entry list.
 */
export function* heldOutChecks(entries: readonly FaqEntry[]): Generator<HeldOutCheck> {
	for (let index = 0; index < entries.length; index++) {
		const similar = entries[index].similarQuestions ?? [];
		for (let held = 0; held < similar.length; held++) {
			const without = entries.slice();
			without[index] = { ...entries[index], similarQuestions: similar.filter((_, other) => other !== held) };
			yield { entries: without, test: { message: similar[held], expected: index } };
		}
	}
}
