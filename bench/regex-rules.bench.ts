// Regex keyword rules of the AutoReply node: time per message with 100 regex rules, for ordinary
// customer messages, for long ones (4 KB, 100 KB) and for the hostile one of issue 7: the rule
// `^(\d+\s?)+$` ("the message is only an order number") against N digits followed by "x".
// Every message goes through `routeMessage` as the node calls it: default hand-off words, the 100
// rules, the FAQ of test/fixtures/faq-eval.json. Each hostile length runs in a child process that is
// killed after --kill-seconds (default 60), so a run that would take hours is reported as killed.
// Build: npm run build && node_modules/.bin/tsc -p tsconfig.test.json
// Run:   node_modules/.bin/node .test-build/bench/regex-rules.bench.js [--label=before] [--kill-seconds=60] [--digits=16,18,...]
// Writes bench/results/regex-rules[-<label>].json.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { argv, execPath } from 'node:process';
import { performance } from 'node:perf_hooks';
import * as vm from 'node:vm';

import { DEFAULT_HAND_OFF_KEYWORDS } from '../nodes/AutoReply/description';
import { getFaqIndex, type FaqEntry } from '../nodes/AutoReply/engine/faqIndex';
import { compileKeywordRules, type KeywordRuleSpec } from '../nodes/AutoReply/engine/keywordRules';
import { routeMessage, type RouteDecision } from '../nodes/AutoReply/engine/route';
import { machine, machineLine, measure, median } from './support/measure';

const HOSTILE = '^(\\d+\\s?)+$';
const WARMUP_MS = 1000;
const ROUNDS = 7;
const ROUND_MS = 300;

/**
 * 100 regex rules of the kind operators write: order, phone, tracking and invoice numbers, dates,
 * e-mail addresses, "A … B" phrases in Chinese and English. 20 shapes × 5 variants; the hostile rule
 * comes first, so it is tried on every message that no hand-off word takes.
 */
function makeRules(): KeywordRuleSpec[] {
	const words = ['退款', '换货', '发票', '物流', '优惠券'];
	const english = ['refund', 'return', 'invoice', 'delivery', 'coupon'];
	const shapes: Array<(k: number) => string> = [
		(k) => `^${words[k]}[:：]?\\s*\\d{6,20}$`,
		(k) => `订单号?[:：]?\\s*[A-Z]{0,2}${k}\\d{9,19}`,
		(k) => `1[3-9]\\d{9}${k > 0 ? `\\D{0,${k}}转` : ''}`,
		(k) => `[\\w.+-]+@[\\w-]+\\.(com|cn|net|org|${english[k]})`,
		(k) => `(SF|YT|ZTO|JD)${k}\\d{10,13}`,
		(k) => `${words[k]}.{0,10}(多久|几天|什么时候)`,
		(k) => `\\b(${english[k]}|${english[(k + 1) % 5]})s?\\b.*\\b(status|progress|when)\\b`,
		(k) => `^(hi|hello|hey|你好|您好)${'!'.repeat(k)}$`,
		(k) => `(发票|invoice).*(抬头|税号|tax id)${k}?`,
		(k) => `\\d{4}[-/年.]\\d{1,2}[-/月.]\\d{1,2}日?.*${words[k]}`,
		(k) => `(不想要|不要了|取消).{0,${5 + k}}(订单|${words[k]})`,
		(k) => `^(请问|问一下)?.*${words[k]}(吗|呢|啊)[?？]?$`,
		(k) => `(尺码|size)\\s*[SMLX]{1,3}${k}?`,
		(k) => `[\\u4e00-\\u9fa5]{2,4}(省|市)[\\u4e00-\\u9fa5]{2,6}(区|县).{0,${10 + k}}${words[k]}`,
		(k) => `(坏了|破损|质量问题|damaged|broken).{0,${20 + k}}(${words[k]}|${english[k]})`,
		(k) => `会员(等级|积分){1,2}.{0,${k + 2}}(多少|查询)`,
		(k) => `(\\d+(\\.\\d{1,2})?)\\s*(元|块|rmb|yuan)${'?'.repeat(k > 2 ? 1 : 0)}.*${words[k]}`,
		(k) => `(?:微信|支付宝|wechat|alipay)\\s*(支付|pay).{0,${k + 3}}(失败|不了|error)`,
		(k) => `^[A-Z]{2}[0-9]{${8 + k},${16 + k}}$`,
		(k) => `(人工|真人|real person).{0,${k + 1}}(服务|客服)?${words[k]}`,
	];
	const rules: KeywordRuleSpec[] = [{ keywords: HOSTILE, matchType: 'regex', priority: 0 }];
	for (let k = 0; k < 5; k++) {
		for (const shape of shapes) rules.push({ keywords: shape(k), matchType: 'regex', priority: 0 });
	}
	return rules.slice(0, 100);
}

/** Ordinary messages: most match no rule (every rule is tried), a few match one. */
const MESSAGES = [
	'你好，我上周买的衣服什么时候能到？',
	'请问可以开发票吗',
	'我的订单号是 2024061512345678，帮我看看',
	'退款多久能到账啊',
	'Hi, I want to check my refund status please',
	'快递到哪了，怎么还没收到',
	'东西坏了，能换货吗',
	'有没有优惠券',
	'这个颜色还有货吗？尺码 M',
	'好的谢谢',
	'会员积分怎么查询',
	'在吗',
	'支付宝支付失败了怎么办',
	'地址写错了，能改成上海市浦东新区吗',
	'How long does delivery take to Shenzhen?',
	'我昨天下的单，今天能发货吗？急用',
	'收到了，质量不错',
	'发票抬头写公司名称，税号 91310000MA1FL0000X',
	'能便宜点吗',
	'13800138000 这个手机号能收到短信吗',
];

interface FaqFixture {
	entries: Array<{ question: string; similarQuestions?: string[]; answer: string }>;
}

function setup() {
	const compiled = compileKeywordRules(makeRules());
	assert.ok(compiled.ok, 'the 100 rules compile');
	const handOff = compileKeywordRules([{ keywords: DEFAULT_HAND_OFF_KEYWORDS, matchType: 'contains', priority: 0 }]);
	assert.ok(handOff.ok);
	const fixture = JSON.parse(
		readFileSync(path.resolve(__dirname, '..', '..', 'test', 'fixtures', 'faq-eval.json'), 'utf8'),
	) as FaqFixture;
	const faq = getFaqIndex(fixture.entries.map((entry): FaqEntry => ({ ...entry })));
	const route = (text: string): RouteDecision =>
		routeMessage({
			text,
			now: Date.UTC(2026, 10, 30, 3),
			conversation: undefined,
			handOffWords: handOff.rules,
			pauseMinutes: 240,
			keywordRules: compiled.rules,
			faq,
			faqThreshold: 0.7,
			handOffAfterMisses: 0,
		});
	return { rules: compiled.rules, route };
}

/** `length` characters of ordinary text that no rule and no hand-off word takes. */
function longMessage(length: number): string {
	const filler = '这件衣服的面料摸起来挺舒服的，颜色和图片上差不多，朋友也说好看。';
	return filler.repeat(Math.ceil(length / filler.length)).slice(0, length);
}

/**
 * 4,000 characters none of the rules has seen before, a new set every call (the CJK block has
 * 20,992): what a customer who wants to cost the most can send, as classifying a character is
 * paid once per rule and character.
 */
let unseenOffset = 0;
function unseenMessage(): string {
	const characters: string[] = [];
	for (let i = 0; i < 4000; i++) characters.push(String.fromCodePoint(0x4e00 + ((unseenOffset + i) % 20_992)));
	unseenOffset += 4000;
	return characters.join('');
}

function hostile(digits: number): string {
	return `${'1'.repeat(digits)}x`;
}

/** Child mode: compiling the 100 rules in a fresh process, then again (what is kept per process is warm). */
function childBuild(): void {
	const rules = makeRules();
	const times: number[] = [];
	for (let i = 0; i < 3; i++) {
		const started = performance.now();
		assert.ok(compileKeywordRules(rules).ok);
		times.push(performance.now() - started);
	}
	console.log(JSON.stringify({ coldMs: times[0], warmMs: median(times.slice(1)) }));
}

/**
 * Child mode: one hostile message after a warm-up on ordinary ones, timed up to 5 times (once if
 * it takes over a second): the median, and the first run.
 */
function child(digits: number): void {
	const { route } = setup();
	for (let i = 0; i < 200; i++) route(MESSAGES[i % MESSAGES.length]);
	const text = hostile(digits);
	const times: number[] = [];
	let decision: RouteDecision | undefined;
	do {
		const started = performance.now();
		decision = route(text);
		times.push(performance.now() - started);
	} while (times.length < 5 && times[0] < 1000);
	console.log(JSON.stringify({ digits, ms: median(times), firstMs: times[0], runs: times.length, route: decision.route }));
}

interface HostileResult {
	digits: number;
	ms?: number;
	firstMs?: number;
	runs?: number;
	route?: string;
	killedAfterSeconds?: number;
}

function runHostile(digits: number, killSeconds: number): HostileResult {
	const result = spawnSync(execPath, [__filename, `--child=${digits}`], {
		timeout: killSeconds * 1000,
		encoding: 'utf8',
	});
	if (result.error || result.status !== 0) {
		if (result.signal) return { digits, killedAfterSeconds: killSeconds };
		throw new Error(`child for ${digits} digits failed: ${result.stderr}`);
	}
	return JSON.parse(result.stdout.trim().split('\n').pop() ?? '{}') as HostileResult;
}

interface Row {
	label: string;
	fn: () => void;
	cpu: number[];
	wall: number[];
}

/**
 * The candidate the project cannot ship (n8n's lint forbids node:vm in a community node), measured
 * for docs/autoreply.md: V8's own RegExp for every rule, all of a message's rules in one
 * `runInContext` call with a 50 ms timeout.
 */
function vmCandidate(): (text: string) => number {
	const context = vm.createContext({ patterns: makeRules().map((rule) => String(rule.keywords)) });
	vm.runInContext('var rules = patterns.map((p) => new RegExp(p, "iu"));', context);
	const script = new vm.Script(
		'(function () { for (let i = 0; i < rules.length; i++) if (rules[i].test(text)) return i; return -1; })()',
	);
	return (text: string) => {
		context.text = text.normalize('NFKC');
		try {
			return script.runInContext(context, { timeout: 50 }) as number;
		} catch (error) {
			if ((error as { code?: string }).code !== 'ERR_SCRIPT_EXECUTION_TIMEOUT') throw error;
			vmTimeouts++;
			return -2;
		}
	};
}

/** Guarded calls of the vm candidate that hit their 50 ms timeout on an ordinary message (a loaded machine). */
let vmTimeouts = 0;

function option(name: string): string | undefined {
	return argv.find((arg) => arg.startsWith(`--${name}=`))?.split('=')[1];
}

function main(): void {
	const childDigits = option('child');
	if (childDigits === 'build') return childBuild();
	if (childDigits) return child(Number(childDigits));
	const label = option('label');
	const killSeconds = Number(option('kill-seconds') ?? 60);
	const digitList = (option('digits') ?? '16,18,20,22,24,26,40').split(',').map(Number);

	const { rules, route } = setup();
	const hits = MESSAGES.map((message) => route(message));
	const long4k = longMessage(4_000);
	const long100k = longMessage(100_000);
	assert.equal(route(long4k).route, 'noMatch');
	const viaVm = vmCandidate();

	let sink = 0;
	let next = 0;
	const ordinary = () => MESSAGES[next++ % MESSAGES.length];
	const rows: Row[] = [
		{ label: 'ordinary messages: routeMessage', fn: () => (sink += route(ordinary()).route.length), cpu: [], wall: [] },
		{
			label: 'ordinary messages: keyword rules match() only',
			fn: () => (sink += rules.match(ordinary())?.ruleIndex ?? 1),
			cpu: [],
			wall: [],
		},
		{
			label: 'ordinary messages: V8 RegExp in one node:vm call (candidate)',
			fn: () => (sink += viaVm(ordinary())),
			cpu: [],
			wall: [],
		},
		{
			label: '4,000-character message: routeMessage',
			fn: () => (sink += route(long4k).route.length),
			cpu: [],
			wall: [],
		},
		{
			label: '100,000-character message: routeMessage',
			fn: () => (sink += route(long100k).route.length),
			cpu: [],
			wall: [],
		},
		{
			label: '4,000 characters never seen before: routeMessage',
			fn: () => (sink += route(unseenMessage()).route.length),
			cpu: [],
			wall: [],
		},
	];
	for (const row of rows) measure(row.fn, WARMUP_MS / rows.length, 1);
	for (let round = 0; round < ROUNDS; round++) {
		for (let i = 0; i < rows.length; i++) {
			const row = rows[(i + round) % rows.length];
			const { cpu, wall } = measure(row.fn, ROUND_MS, 1);
			row.cpu.push(cpu);
			row.wall.push(wall);
		}
	}

	console.log(machineLine());
	console.log(`${rules.ruleCount} regex rules; ordinary messages routed: ${hits.map((d) => d.route).join(' ')}`);
	console.log('\nrow                                                              µs/msg (CPU, median)   msg/wall-s');
	const results = rows.map((row) => {
		const cpu = median(row.cpu);
		const out = {
			label: row.label,
			microsecondsPerMessage: Math.round((1e6 / cpu) * 10) / 10,
			messagesPerWallSecond: Math.round(median(row.wall)),
			microsecondsMinMax: [
				Math.round((1e6 / Math.max(...row.cpu)) * 10) / 10,
				Math.round((1e6 / Math.min(...row.cpu)) * 10) / 10,
			],
		};
		console.log(
			`${row.label.padEnd(66)} ${String(out.microsecondsPerMessage).padStart(12)} ${String(out.messagesPerWallSecond).padStart(14)}`,
		);
		return out;
	});

	if (vmTimeouts > 0) console.log(`(the vm candidate timed out on ${vmTimeouts} ordinary messages)`);
	const buildRun = spawnSync(execPath, [__filename, '--child=build'], { encoding: 'utf8', timeout: 120_000 });
	const build = JSON.parse(buildRun.stdout.trim().split('\n').pop() ?? '{}') as { coldMs: number; warmMs: number };
	console.log(`compile the 100 rules: ${build.coldMs.toFixed(1)} ms in a fresh process, then ${build.warmMs.toFixed(1)} ms`);

	console.log(
		`\nhostile: ${HOSTILE} against N digits + "x", one message per child process (killed after ${killSeconds} s)`,
	);
	const hostileResults: HostileResult[] = [];
	for (const digits of digitList) {
		const result = runHostile(digits, killSeconds);
		hostileResults.push(result);
		console.log(
			`  ${String(digits).padStart(5)} digits: ${result.ms !== undefined ? `${result.ms.toFixed(2)} ms (first ${result.firstMs?.toFixed(2)}, ${result.runs} runs) → ${result.route}` : `killed after ${killSeconds} s`}`,
		);
	}

	const out = path.resolve(__dirname, '..', '..', 'bench', 'results', `regex-rules${label ? `-${label}` : ''}.json`);
	writeFileSync(
		out,
		`${JSON.stringify(
			{
				...machine(),
				label: label ?? 'after',
				rules: rules.ruleCount,
				hostileRule: HOSTILE,
				messages: MESSAGES,
				method: `${WARMUP_MS} ms warm-up, ${ROUNDS} interleaved rounds of ${ROUND_MS} ms per row; median of µs of CPU per message. Hostile: routeMessage in a child process after 200 ordinary messages, median of 5 runs (1 if over 1 s), killed after ${killSeconds} s`,
				rows: results,
				vmCandidateTimeouts: vmTimeouts,
				compileMs: build,
				hostile: hostileResults,
			},
			null,
			'\t',
		)}\n`,
	);
	console.log(`wrote ${path.relative(process.cwd(), out)} (sink ${sink > 0})`);
}

main();
