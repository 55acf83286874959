// FAQ matching quality of the AutoReply node on the project's evaluation sets (docs/faq-evaluation.md):
// the first set (test/fixtures/faq-eval.json) and both parts of the second (faq-eval-tune.json,
// faq-eval-holdout.json), or only the set given as the first argument: top-1 / top-3 accuracy, and at
// each threshold how many queries get the right canned answer, how many get a wrong one and how many
// off-topic messages get one.
// Build: node_modules/.bin/tsc -p tsconfig.test.json
// Run:   node_modules/.bin/node .test-build/bench/faq-eval.js [path/to/set.json] [--out-suffix=-before] [--no-default-synonyms]
// Writes bench/results/faq-eval.json, faq-eval-tune.json and faq-eval-holdout.json (the project's sets
// only; --out-suffix names them faq-eval<suffix>.json and so on).
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { argv } from 'node:process';

import { DEFAULT_FAQ_THRESHOLD } from '../nodes/AutoReply/engine/route';
import { FaqIndex, type FaqEntry, type FaqIndexOptions } from '../nodes/AutoReply/engine/faqIndex';

export interface EvalSet {
	entries: Array<FaqEntry & { id: string }>;
	queries: Array<{ text: string; expected: string; tags?: string[] }>;
	offTopic: Array<{ text: string; tags?: string[] }>;
}

export interface ThresholdRow {
	threshold: number;
	/** Queries answered with the expected entry. */
	correct: number;
	/** Queries answered with another entry. */
	wrong: number;
	/** Queries sent on to No Match (the AI step). */
	noMatch: number;
	offTopicAccepted: number;
}

export interface EvalReport {
	entries: number;
	queries: number;
	offTopic: number;
	top1: number;
	top3: number;
	/** Misses at top-1: query, expected, got, score. */
	misses: Array<{ text: string; expected: string; got: string | undefined; score: number }>;
	/** Highest score of an off-topic query, and which. */
	offTopicMax: { text: string; score: number; got: string | undefined };
	/** Lowest score at which a wrong top-1 answer would have been accepted. */
	wrongMax: number;
	atDefault: ThresholdRow;
	sweep: ThresholdRow[];
}

export const projectRoot = path.resolve(__dirname, '..', '..');
export const DEFAULT_SET = path.join(projectRoot, 'test', 'fixtures', 'faq-eval.json');
/** The project's sets, each with the name of its results file. */
export const PROJECT_SETS = [
	{ file: DEFAULT_SET, results: 'faq-eval' },
	{ file: path.join(projectRoot, 'test', 'fixtures', 'faq-eval-tune.json'), results: 'faq-eval-tune' },
	{ file: path.join(projectRoot, 'test', 'fixtures', 'faq-eval-holdout.json'), results: 'faq-eval-holdout' },
];

export function loadEvalSet(file = DEFAULT_SET): EvalSet {
	return JSON.parse(readFileSync(file, 'utf8')) as EvalSet;
}

export function evaluate(set: EvalSet, threshold = DEFAULT_FAQ_THRESHOLD, options: FaqIndexOptions = {}): EvalReport {
	const index = new FaqIndex(set.entries, options);
	const idOf = (candidateIndex: number | undefined) =>
		candidateIndex === undefined ? undefined : set.entries[candidateIndex].id;
	const answered = set.queries.map((query) => {
		const top = index.search(query.text, 3);
		return { query, top, got: idOf(top[0]?.index), score: top[0]?.score ?? 0 };
	});
	const offTopic = set.offTopic.map((query) => {
		const top = index.search(query.text, 1);
		return { text: query.text, got: idOf(top[0]?.index), score: top[0]?.score ?? 0 };
	});
	const row = (t: number): ThresholdRow => ({
		threshold: Math.round(t * 1000) / 1000,
		correct: answered.filter((a) => a.score >= t && a.got === a.query.expected).length,
		wrong: answered.filter((a) => a.score >= t && a.got !== a.query.expected).length,
		noMatch: answered.filter((a) => a.score < t).length,
		offTopicAccepted: offTopic.filter((o) => o.score >= t).length,
	});
	const sweep: ThresholdRow[] = [];
	for (let t = 0.15; t <= 0.801; t += 0.05) sweep.push(row(t));
	const offTopicMax = offTopic.reduce((a, b) => (b.score > a.score ? b : a), { text: '', score: 0, got: undefined });
	const wrong = answered.filter((a) => a.got !== a.query.expected);
	return {
		entries: set.entries.length,
		queries: set.queries.length,
		offTopic: set.offTopic.length,
		top1: answered.filter((a) => a.got === a.query.expected).length / answered.length,
		top3: answered.filter((a) => a.top.some((c) => idOf(c.index) === a.query.expected)).length / answered.length,
		misses: wrong.map((a) => ({
			text: a.query.text,
			expected: a.query.expected,
			got: a.got,
			score: Math.round(a.score * 1000) / 1000,
		})),
		offTopicMax: { ...offTopicMax, score: Math.round(offTopicMax.score * 1000) / 1000 },
		wrongMax: Math.round(Math.max(0, ...wrong.map((a) => a.score)) * 1000) / 1000,
		atDefault: row(threshold),
		sweep,
	};
}

function percent(value: number): string {
	return `${(value * 100).toFixed(1)} %`;
}

function report(file: string, options: FaqIndexOptions, resultsName: string | undefined): void {
	const report = evaluate(loadEvalSet(file), DEFAULT_FAQ_THRESHOLD, options);
	console.log(`set: ${path.relative(projectRoot, file)}: ${report.entries} entries, ${report.queries} queries, ${report.offTopic} off-topic`);
	console.log(`top-1 ${percent(report.top1)}   top-3 ${percent(report.top3)}`);
	console.log(`highest wrong top-1 score ${report.wrongMax}; highest off-topic score ${report.offTopicMax.score} ("${report.offTopicMax.text}" → ${report.offTopicMax.got})`);
	const d = report.atDefault;
	console.log(
		`at the default threshold ${d.threshold}: correct ${d.correct}/${report.queries} (${percent(d.correct / report.queries)}), wrong ${d.wrong}, no match ${d.noMatch}, off-topic accepted ${d.offTopicAccepted}/${report.offTopic}`,
	);
	console.log('\nthreshold  correct  wrong  noMatch  offTopicAccepted');
	for (const r of report.sweep) {
		console.log(
			`${r.threshold.toFixed(2).padStart(9)}  ${String(r.correct).padStart(7)}  ${String(r.wrong).padStart(5)}  ${String(r.noMatch).padStart(7)}  ${String(r.offTopicAccepted).padStart(16)}`,
		);
	}
	console.log('\ntop-1 misses (query → got, score; expected):');
	for (const miss of report.misses) console.log(`  ${miss.text} → ${miss.got} ${miss.score}; expected ${miss.expected}`);
	if (resultsName !== undefined) {
		const out = path.join(projectRoot, 'bench', 'results', `${resultsName}.json`);
		writeFileSync(out, `${JSON.stringify({ date: new Date().toISOString(), threshold: d.threshold, options, ...report }, null, '\t')}\n`);
		console.log(`\nwrote ${path.relative(projectRoot, out)}`);
	}
	console.log('');
}

function main(): void {
	const args = argv.slice(2);
	const suffix = args.find((a) => a.startsWith('--out-suffix='))?.slice('--out-suffix='.length) ?? '';
	// --no-default-synonyms: what the shipped synonym set adds (docs/faq-evaluation.md).
	const options: FaqIndexOptions = args.includes('--no-default-synonyms') ? { useDefaultSynonyms: false } : {};
	const given = args.find((a) => !a.startsWith('--'));
	const sets = given ? [{ file: path.resolve(given), results: undefined }] : PROJECT_SETS;
	for (const set of sets) report(set.file, options, set.results === undefined ? undefined : `${set.results}${suffix}`);
}

if (require.main === module) main();
