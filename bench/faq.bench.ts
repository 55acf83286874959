// FAQ index of the AutoReply node at 1,000 entries: build time, and query time (median, p99) for
// Chinese and English messages.
// Entries: the 57 entries of test/fixtures/faq-eval.json crossed with 18 product lines (Chinese
// and English names) put into question, similar questions and answer: 1,000 entries that share
// most of their wording, which is the hard case for a lexical index. Queries: the set's queries,
// each with a product name, split into Chinese and English (Latin-only) ones.
// Build: node_modules/.bin/tsc -p tsconfig.test.json
// Run:   node_modules/.bin/node .test-build/bench/faq.bench.js
// Writes bench/results/faq.json.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';

import { FaqIndex, type FaqEntry } from '../nodes/AutoReply/engine/faqIndex';
import { loadEvalSet } from './faq-eval';
import { machine, machineLine, median } from './support/measure';

const ENTRIES = 1000;
const PRODUCTS: Array<[string, string]> = [
	['手机', 'phone'], ['耳机', 'headphones'], ['平板', 'tablet'], ['笔记本电脑', 'laptop'], ['手表', 'watch'],
	['连衣裙', 'dress'], ['运动鞋', 'sneakers'], ['羽绒服', 'down jacket'], ['背包', 'backpack'], ['咖啡机', 'coffee maker'],
	['空气炸锅', 'air fryer'], ['扫地机器人', 'robot vacuum'], ['面霜', 'face cream'], ['奶粉', 'baby formula'],
	['猫粮', 'cat food'], ['自行车', 'bicycle'], ['行李箱', 'suitcase'], ['台灯', 'desk lamp'],
];

const isLatin = (text: string) => !/[\p{Script=Han}]/u.test(text);

function percentile(values: number[], p: number): number {
	const sorted = [...values].sort((a, b) => a - b);
	return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function main(): void {
	const set = loadEvalSet();
	const entries: FaqEntry[] = [];
	for (let i = 0; entries.length < ENTRIES; i++) {
		const base = set.entries[i % set.entries.length];
		const [zh, en] = PRODUCTS[Math.floor(i / set.entries.length) % PRODUCTS.length];
		const product = isLatin(base.question) ? `${en} ` : zh;
		entries.push({
			question: `${product}${base.question}`,
			similarQuestions: (base.similarQuestions ?? []).map((q) => `${product}${q}`),
			answer: `${product}: ${base.answer}`,
		});
	}
	const queries = set.queries.map((q, i) => {
		const [zh, en] = PRODUCTS[i % PRODUCTS.length];
		return isLatin(q.text) ? { text: `${en} ${q.text}`, lang: 'en' } : { text: `${zh}${q.text}`, lang: 'zh' };
	});

	// Build: a fresh index each time (the node caches it by a hash of the entries).
	const builds: number[] = [];
	let index = new FaqIndex(entries);
	for (let i = 0; i < 7; i++) {
		const started = performance.now();
		index = new FaqIndex(entries);
		builds.push(performance.now() - started);
	}

	// Warm-up, then every query timed alone, 20 times over.
	let sink = 0;
	const warmUntil = performance.now() + 1000;
	while (performance.now() < warmUntil) for (const q of queries) sink += index.search(q.text, 3).length;
	const times: Record<string, number[]> = { zh: [], en: [] };
	for (let round = 0; round < 20; round++) {
		for (const q of queries) {
			const started = performance.now();
			sink += index.search(q.text, 3).length;
			times[q.lang].push((performance.now() - started) * 1000);
		}
	}

	const summary = (values: number[]) => ({
		queries: values.length / 20,
		medianMicroseconds: Math.round(median(values) * 10) / 10,
		p99Microseconds: Math.round(percentile(values, 99) * 10) / 10,
	});
	const result = {
		...machine(),
		entries: entries.length,
		buildMs: { median: Math.round(median(builds) * 10) / 10, min: Math.round(Math.min(...builds) * 10) / 10, max: Math.round(Math.max(...builds) * 10) / 10 },
		chinese: summary(times.zh),
		english: summary(times.en),
	};
	console.log(machineLine());
	console.log(`${entries.length} entries: build median ${result.buildMs.median} ms (min ${result.buildMs.min}, max ${result.buildMs.max}; 7 builds)`);
	console.log(`Chinese queries (${result.chinese.queries}): median ${result.chinese.medianMicroseconds} µs, p99 ${result.chinese.p99Microseconds} µs`);
	console.log(`English queries (${result.english.queries}): median ${result.english.medianMicroseconds} µs, p99 ${result.english.p99Microseconds} µs`);
	const out = path.resolve(__dirname, '..', '..', 'bench', 'results', 'faq.json');
	writeFileSync(out, `${JSON.stringify(result, null, '\t')}\n`);
	console.log(`wrote ${path.relative(process.cwd(), out)} (sink ${sink > 0})`);
}

main();
