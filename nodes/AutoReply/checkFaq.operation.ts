import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { failedItem, reportFailedItems } from '../common/failedItem';
import {
	countHeldOutChecks,
	findExpectedEntry,
	heldOutChecks,
	judgeFaqTest,
	summarizeFaqCheck,
	type FaqTestResult,
} from './engine/faqCheck';
import type { FaqEntry, FaqIndex } from './engine/faqIndex';
import { textForMatching } from './engine/normalize';
import { faqCandidates } from './engine/route';
import { OUTPUTS_BY_OPERATION } from './outputs';

/**
 * Check FAQ: what Route Message would answer from this FAQ, at this threshold, for test messages whose
 * right answer the operator knows, and a summary with a threshold to try. The FAQ fields are Route
 * Message's own (execute.ts reads them for both); the fields below are the test source.
 */

const [RESULTS_OUTPUT, SUMMARY_OUTPUT] = [0, 1];

/**
 * Holding out a similar question builds the index again without it. Building costs about 0.1 ms per
 * entry (bench/README.md, "faq"), and the run blocks its n8n process, so the builds are bounded: at
 * most this many checks, and at most this many entries built in all (checks × entries, about 10 s).
 */
export const MAX_HELD_OUT_CHECKS = 2000;
export const MAX_HELD_OUT_ENTRY_BUILDS = 100_000;

const showFor = (show: IDataObject) => ({ displayOptions: { show: { operation: ['checkFaq'], ...show } } });

export const description: INodeProperties[] = [
	{
		displayName: 'Test Source',
		name: 'testSource',
		type: 'options',
		default: 'testMessages',
		options: [
			{
				name: 'Test Messages',
				value: 'testMessages',
				description: 'Each input item is a message a customer might send, with the FAQ question that should answer it',
			},
			{
				name: 'Similar Questions Held Out',
				value: 'heldOut',
				description: `Each similar question of each entry in turn, asked against the FAQ without it; its own entry should answer. No input needed. At most ${MAX_HELD_OUT_CHECKS.toLocaleString('en-US')} similar questions.`,
			},
		],
		...showFor({}),
	},
	{
		displayName: 'Message Field',
		name: 'messageField',
		type: 'string',
		default: 'message',
		description: 'The input field that holds the test message',
		...showFor({ testSource: ['testMessages'] }),
	},
	{
		displayName: 'Expected Question Field',
		name: 'expectedQuestionField',
		type: 'string',
		default: 'expectedQuestion',
		description:
			'The input field that holds the FAQ question (or one of its similar questions) that should answer the message. Empty or missing: no entry should answer it (an off-topic message).',
		...showFor({ testSource: ['testMessages'] }),
	},
	{
		displayName: `One item per test message leaves by ${OUTPUTS_BY_OPERATION.checkFaq[RESULTS_OUTPUT]} (what the node would answer, with what confidence, and the verdict); one item with the counts and a suggested threshold leaves by ${OUTPUTS_BY_OPERATION.checkFaq[SUMMARY_OUTPUT]}.`,
		name: 'checkFaqNotice',
		type: 'notice',
		default: '',
		...showFor({}),
	},
];

/** `json[field]`, or the value at a dotted path (order.message) when no field has that exact name. */
function fieldOf(json: IDataObject, field: string): unknown {
	if (Object.hasOwn(json, field)) return json[field];
	return field.split('.').reduce<unknown>((value, key) => (value !== null && typeof value === 'object' ? (value as IDataObject)[key] : undefined), json);
}

const round3 = (score: number) => Math.round(score * 1000) / 1000;

function resultJson(entries: readonly FaqEntry[], result: FaqTestResult): IDataObject {
	const { test, verdict, answered, expectedRank, candidates } = result;
	const expected = expectedRank === undefined ? undefined : candidates[expectedRank - 1];
	return {
		message: test.message,
		expectedQuestion: test.expected === undefined ? null : entries[test.expected].question,
		verdict,
		answeredQuestion: answered ? answered.question : null,
		confidence: candidates.length > 0 ? round3(candidates[0].score) : 0,
		expectedRank: expectedRank ?? null,
		expectedConfidence: expected ? round3(expected.score) : null,
		candidates: candidates.map((candidate) => ({ question: candidate.question, score: round3(candidate.score) })),
	};
}

function summaryJson(testSource: string, results: readonly FaqTestResult[], threshold: number): IDataObject {
	const { highestWrong, highestWrongScore, suggestedThreshold, inCandidates, ...counts } = summarizeFaqCheck(results, threshold);
	return {
		testSource,
		...counts,
		inTop3: inCandidates,
		suggestedThreshold: suggestedThreshold ?? null,
		highestWrong: highestWrong
			? { message: highestWrong.test.message, question: highestWrong.candidates[0].question, confidence: round3(highestWrongScore!) }
			: null,
	};
}

function fail(context: IExecuteFunctions, message: string, description: string, itemIndex = 0): NodeOperationError {
	return new NodeOperationError(context.getNode(), message, { itemIndex, description });
}

/** What Check FAQ searches: any index of the node's version (version 1 nodes keep their old score). */
type FaqSearch = Pick<FaqIndex, 'entries' | 'search'>;

/** The FAQ as the node reads it (execute.ts), and how this node's version builds an index of some entries. */
export interface FaqSettings {
	entries: readonly FaqEntry[];
	/** `cached`: the node's index, kept between executions; otherwise a one-off (a held-out build). */
	build(entries: readonly FaqEntry[], cached: boolean): FaqSearch;
}

/** Test Messages: each input item a test, searched as Route Message searches. */
function checkTestMessages(
	context: IExecuteFunctions,
	entries: readonly FaqEntry[],
	index: FaqSearch,
	threshold: number,
	outputs: INodeExecutionData[][],
): FaqTestResult[] {
	const messageField = String(context.getNodeParameter('messageField', 0, 'message'));
	const expectedField = String(context.getNodeParameter('expectedQuestionField', 0, 'expectedQuestion'));
	const items = context.getInputData();
	const results: FaqTestResult[] = [];
	const failed: INodeExecutionData[] = [];
	for (let itemIndex = 0; itemIndex < items.length; itemIndex++) {
		try {
			const message = fieldOf(items[itemIndex].json, messageField);
			if (typeof message !== 'string' || message.trim() === '') {
				throw fail(
					context,
					`Test message ${itemIndex + 1} has no text in the field "${messageField}"`,
					'Give every input item the test message in that field, or set Message Field to the field that holds it.',
					itemIndex,
				);
			}
			const expectedQuestion = fieldOf(items[itemIndex].json, expectedField);
			let expected: number | undefined;
			if (expectedQuestion !== undefined && expectedQuestion !== null && String(expectedQuestion).trim() !== '') {
				expected = findExpectedEntry(entries, String(expectedQuestion));
				if (expected === undefined) {
					throw fail(
						context,
						`Test message ${itemIndex + 1}: the expected question "${String(expectedQuestion)}" is not in the FAQ`,
						`Copy the Question (or a Similar Question) of the entry that should answer into "${expectedField}", or leave it empty for a message no entry should answer.`,
						itemIndex,
					);
				}
			}
			const result = judgeFaqTest({ message, expected }, faqCandidates(index, textForMatching(message)), threshold);
			results.push(result);
			outputs[RESULTS_OUTPUT].push({ json: resultJson(entries, result), pairedItem: { item: itemIndex } });
		} catch (error) {
			const failure = failedItem(context, error, itemIndex, items[itemIndex].json);
			failed.push(failure);
			outputs[RESULTS_OUTPUT].push(failure);
		}
	}
	reportFailedItems(context, failed, items.length);
	return results;
}

/** Similar Questions Held Out: one index per similar question, built without it. */
function checkHeldOut(
	context: IExecuteFunctions,
	entries: readonly FaqEntry[],
	build: FaqSettings['build'],
	threshold: number,
	outputs: INodeExecutionData[][],
): FaqTestResult[] {
	const checks = countHeldOutChecks(entries);
	if (checks === 0) {
		throw fail(
			context,
			'No FAQ entry has Similar Questions to hold out',
			'Add Similar Questions to the entries (one per line), or set Test Source to Test Messages and give test messages as input items.',
		);
	}
	if (checks > MAX_HELD_OUT_CHECKS || checks * entries.length > MAX_HELD_OUT_ENTRY_BUILDS) {
		throw fail(
			context,
			`The FAQ is too large to hold out every similar question: ${checks.toLocaleString('en-US')} similar questions × ${entries.length.toLocaleString('en-US')} entries`,
			`Check FAQ builds the FAQ once per similar question, at most ${MAX_HELD_OUT_CHECKS.toLocaleString('en-US')} times and ${MAX_HELD_OUT_ENTRY_BUILDS.toLocaleString('en-US')} entries in all. Check a part of the FAQ at a time, or set Test Source to Test Messages with a sample of messages.`,
		);
	}
	const results: FaqTestResult[] = [];
	for (const check of heldOutChecks(entries)) {
		const index = build(check.entries, false);
		const result = judgeFaqTest(check.test, faqCandidates(index, textForMatching(check.test.message)), threshold);
		results.push(result);
		outputs[RESULTS_OUTPUT].push({ json: resultJson(entries, result), pairedItem: { item: 0 } });
	}
	return results;
}

/** Runs Check FAQ once for the whole input; execute.ts reads the FAQ as Route Message reads it. */
export function execute(
	context: IExecuteFunctions,
	{ entries, build }: FaqSettings,
	threshold: number,
): INodeExecutionData[][] {
	if (entries.length === 0) {
		throw fail(context, 'The FAQ is empty', 'Add entries under FAQ or FAQ Entries (JSON): Check FAQ tests them.');
	}
	const outputs: INodeExecutionData[][] = OUTPUTS_BY_OPERATION.checkFaq.map(() => []);
	const testSource = String(context.getNodeParameter('testSource', 0, 'testMessages'));
	const results =
		testSource === 'heldOut'
			? checkHeldOut(context, entries, build, threshold, outputs)
			: checkTestMessages(context, entries, build(entries, true), threshold, outputs);
	const summary = summaryJson(testSource, results, threshold);
	context.addExecutionHints({ type: 'info', location: 'outputPane', message: `Check FAQ: ${String(summary.advice)}` });
	const inputs = context.getInputData();
	outputs[SUMMARY_OUTPUT].push({ json: summary, pairedItem: inputs.map((_, item) => ({ item })) });
	return outputs;
}
