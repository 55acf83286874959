import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { evaluate, loadEvalSet, PROJECT_SETS } from '../../bench/faq-eval';
import { DEFAULT_FAQ_THRESHOLD } from '../../nodes/AutoReply/engine/route';

/**
 * The FAQ matcher on the project's evaluation set (test/fixtures/faq-eval.json, bench/faq-eval.ts).
 * Floors are the measured values rounded down a little, so a change that makes matching worse fails.
 */
describe('FAQ evaluation set', () => {
	const set = loadEvalSet();
	const report = evaluate(set);

	it('is the size the bench says (≥ 50 entries, ≥ 100 queries, ≥ 20 off-topic)', () => {
		assert.ok(set.entries.length >= 50 && set.queries.length >= 100 && set.offTopic.length >= 20);
	});

	it('gives no wrong answer and accepts no off-topic message at the default threshold', () => {
		assert.equal(report.atDefault.threshold, DEFAULT_FAQ_THRESHOLD);
		assert.equal(report.atDefault.wrong, 0, JSON.stringify(report.misses));
		assert.equal(report.atDefault.offTopicAccepted, 0, JSON.stringify(report.offTopicMax));
	});

	it('ranks the expected entry first for at least 78 % of queries and in the top 3 for at least 93 %', () => {
		assert.ok(report.top1 >= 0.78, `top-1 ${report.top1}`);
		assert.ok(report.top3 >= 0.93, `top-3 ${report.top3}`);
	});

	it('answers at least 30 queries at the default threshold (the rest go to the AI step)', () => {
		assert.ok(report.atDefault.correct >= 30, `correct ${report.atDefault.correct}`);
	});
});

/** The tuning part of the second set (the held-out part is for reports only: docs/faq-evaluation.md). */
describe('FAQ evaluation set, second set, tuning part', () => {
	const report = evaluate(loadEvalSet(PROJECT_SETS[1].file));

	it('gives no wrong answer and accepts no off-topic message at the default threshold', () => {
		assert.equal(report.atDefault.wrong, 0, JSON.stringify(report.misses));
		assert.equal(report.atDefault.offTopicAccepted, 0, JSON.stringify(report.offTopicMax));
	});
});
