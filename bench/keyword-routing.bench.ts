// Keyword routing of the AutoReply node at scale: 10,000 keyword rules, one 60-character Chinese
// message. Compares the compiled Aho–Corasick automaton with a naive `includes` loop over every
// keyword (same run, same text, hits cross-checked), and measures building the automaton and
// getting the compiled rules from the module cache by hash (what every execution pays).
// Build: npm run build && node_modules/.bin/tsc -p tsconfig.test.json
// Run:   node_modules/.bin/node .test-build/bench/keyword-routing.bench.js
// Writes bench/results/keyword-routing.json.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';

import { AhoCorasick } from '../nodes/AutoReply/engine/ahoCorasick';
import {
	clearKeywordRuleCache,
	compileKeywordRules,
	getCompiledRules,
	type KeywordRuleSpec,
} from '../nodes/AutoReply/engine/keywordRules';
import { normalizeText } from '../nodes/AutoReply/engine/normalize';
import { machine, machineLine, measure, median } from './support/measure';

const RULES = 10_000;
const WARMUP_MS = 1000;
const ROUNDS = 7;
const ROUND_MS = 300;

// About 150 characters common in Chinese customer-service messages, so keywords share prefixes
// and the automaton really walks states (docs/autoreply.md, "Keyword rules").
const POOL = [
	...'的了吗我你您是在有不这个么什怎样能可以要想问一下请帮查订单号物流快递发货收到退款换货运费包邮地址修改取消支付付款微信支付宝发票开具抬头税号会员积分优惠券折扣活动价格多少钱便宜尺码颜色大小库存缺货补货到货时间几天今天明天售后维修保修质量问题破损坏了少件错发客服人工转电话投诉评价好评差评登录注册密码账号绑定手机验证码门店营业上班下班工作周末节假日',
];
const PLANTED = ['查订单', '退款', '发票抬头', '运费险', '转人工'];

let seed = 20261122;
function random(): number {
	seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
	return seed / 2 ** 32;
}
const pick = () => POOL[Math.floor(random() * POOL.length)];

function makeRules(): KeywordRuleSpec[] {
	const rules: KeywordRuleSpec[] = [];
	for (let i = 0; i < RULES - PLANTED.length; i++) {
		const length = 2 + Math.floor(random() * 5);
		rules.push({ keywords: Array.from({ length }, pick).join(''), matchType: 'contains', priority: i % 3 });
	}
	for (const keyword of PLANTED) rules.push({ keywords: keyword, matchType: 'contains', priority: 0 });
	return rules;
}

// 60 characters: a realistic question around the planted keywords (运费险 is not in it).
const MESSAGE = '你好，我想查订单物流，上周买的衣服尺码不对想退款，发票抬头也要改一下，另外能不能转人工客服帮我看看收货地址对不对？谢谢啦';

let sink = 0;

interface Row {
	label: string;
	fn: () => void;
	cpu: number[];
	wall: number[];
}

/** Median ms of `fn` over `times` calls (for the slow things: build, cached lookup). */
function timeMs(fn: () => void, times: number): { median: number; min: number; max: number } {
	const samples: number[] = [];
	for (let i = 0; i < times; i++) {
		const started = performance.now();
		fn();
		samples.push(performance.now() - started);
	}
	return { median: median(samples), min: Math.min(...samples), max: Math.max(...samples) };
}

function main(): void {
	const rules = makeRules();
	const keywords = rules.map((rule) => rule.keywords as string);
	const text = normalizeText(MESSAGE);
	assert.equal([...MESSAGE].length, 60);

	const automaton = new AhoCorasick(keywords);
	const compiled = compileKeywordRules(rules);
	assert.ok(compiled.ok);

	// Same hits: the set of keywords found by both.
	const naive = () => keywords.filter((keyword) => text.includes(keyword));
	const viaAutomaton = () => [...new Set(automaton.findAll(text).map((m) => keywords[m.pattern]))];
	const naiveHits = new Set(naive());
	const automatonHits = new Set(viaAutomaton());
	assert.deepEqual([...automatonHits].sort(), [...naiveHits].sort());
	for (const planted of PLANTED.filter((k) => MESSAGE.includes(k))) assert.ok(automatonHits.has(planted));
	const hit = compiled.rules.match(MESSAGE);
	assert.ok(hit && naiveHits.has(hit.keyword));

	const rows: Row[] = [
		{ label: '(a) naive: includes() over all 10,000 keywords', fn: () => (sink += naive().length), cpu: [], wall: [] },
		{ label: '(b) automaton: AhoCorasick.findAll (all hits)', fn: () => (sink += automaton.findAll(text).length), cpu: [], wall: [] },
		{
			label: '(c) compiled rules: match() (normalise + automaton + priority)',
			fn: () => (sink += compiled.rules.match(MESSAGE)?.ruleIndex ?? 0),
			cpu: [],
			wall: [],
		},
	];
	for (const row of rows) measure(row.fn, WARMUP_MS / rows.length);
	for (let round = 0; round < ROUNDS; round++) {
		for (let i = 0; i < rows.length; i++) {
			const row = rows[(i + round) % rows.length];
			const { cpu, wall } = measure(row.fn, ROUND_MS);
			row.cpu.push(cpu);
			row.wall.push(wall);
		}
	}

	const build = timeMs(() => (sink += compileKeywordRules(rules).ok ? 1 : 0), 5);
	clearKeywordRuleCache();
	// A fresh copy each time, as n8n hands the node a new parameter object per item.
	const copies = Array.from({ length: 30 }, () => rules.map((rule) => ({ ...rule, reply: '回复' })));
	const first = getCompiledRules(rules);
	let copy = 0;
	const cached = timeMs(() => {
		if (getCompiledRules(copies[copy++ % copies.length]) !== first) throw new Error('cache miss');
	}, 30);

	const naiveMedian = median(rows[0].cpu);
	console.log(machineLine());
	console.log(`${RULES} rules, ${automaton.size} automaton states; message ${[...MESSAGE].length} chars; hits ${naiveHits.size}: ${[...naiveHits].join(' ')}`);
	console.log('\nrow                                                          msg/CPU-s (median)   µs/msg   vs naive   msg/wall-s   min–max');
	const results = rows.map((row) => {
		const cpu = median(row.cpu);
		const out = {
			label: row.label,
			messagesPerCpuSecond: Math.round(cpu),
			microsecondsPerMessage: Math.round((1e6 / cpu) * 100) / 100,
			vsNaive: Math.round((cpu / naiveMedian) * 10) / 10,
			messagesPerWallSecond: Math.round(median(row.wall)),
			minMax: [Math.round(Math.min(...row.cpu)), Math.round(Math.max(...row.cpu))],
		};
		console.log(
			`${row.label.padEnd(62)} ${String(out.messagesPerCpuSecond).padStart(12)} ${String(out.microsecondsPerMessage).padStart(10)} ${(`×${out.vsNaive}`).padStart(9)} ${String(out.messagesPerWallSecond).padStart(12)}   ${out.minMax.join('–')}`,
		);
		return out;
	});
	console.log(`\nbuild (compileKeywordRules, 10,000 rules): median ${build.median.toFixed(1)} ms (min ${build.min.toFixed(1)}, max ${build.max.toFixed(1)}; 5 builds)`);
	console.log(`cached lookup (getCompiledRules: hash of the 10,000 rules + cache hit): median ${cached.median.toFixed(2)} ms (min ${cached.min.toFixed(2)}, max ${cached.max.toFixed(2)}; 30 lookups)`);

	const out = path.resolve(__dirname, '..', '..', 'bench', 'results', 'keyword-routing.json');
	writeFileSync(
		out,
		`${JSON.stringify(
			{
				...machine(),
				rules: RULES,
				automatonStates: automaton.size,
				message: MESSAGE,
				hits: [...naiveHits],
				method: `${WARMUP_MS} ms warm-up, ${ROUNDS} interleaved rounds of ${ROUND_MS} ms per row; median of messages per CPU-second`,
				rows: results,
				buildMs: build,
				cachedLookupMs: cached,
			},
			null,
			'\t',
		)}\n`,
	);
	console.log(`wrote ${path.relative(process.cwd(), out)} (sink ${sink > 0})`);
}

main();
