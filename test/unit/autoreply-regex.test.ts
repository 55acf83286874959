/* eslint-disable @n8n/community-nodes/no-restricted-imports -- test code, never shipped: it needs node:child_process */
/**
 * Regex keyword rules against hostile input (issue 7, hole 1): the linear-time engine, the limit per
 * rule and message, the cap on what matching reads, and the automaton's fixed hit buffer.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, it } from 'node:test';

import { AhoCorasick } from '../../nodes/AutoReply/engine/ahoCorasick';
import { pieceRanges } from '../../nodes/AutoReply/engine/codePointSets';
import { getFaqIndex } from '../../nodes/AutoReply/engine/faqIndex';
import {
	compileKeywordRules,
	type CompiledRules,
	type KeywordRuleSpec,
	type SkippedRule,
} from '../../nodes/AutoReply/engine/keywordRules';
import { LinearRegex } from '../../nodes/AutoReply/engine/linearRegex';
import { MAX_PROGRAM_SIZE } from '../../nodes/AutoReply/engine/regexProgram';
import { MATCH_TEXT_LIMIT, textForMatching } from '../../nodes/AutoReply/engine/normalize';
import { routeMessage, type RouteInput } from '../../nodes/AutoReply/engine/route';
import { seeded } from '../support/random';

const HOSTILE = '^(\\d+\\s?)+$';
/**
 * Not hostile to V8 (it finishes in milliseconds there), but past any limit for an automaton: about
 * 24 million steps on 4,000 × "a". Its first branch matches an order number at once.
 */
const SLOW = '^订单号\\d+$|a(?:[\\s\\S]|x){3000}b';

function compiled(specs: KeywordRuleSpec[]): CompiledRules {
	const result = compileKeywordRules(specs);
	assert.ok(result.ok, JSON.stringify(!result.ok && result.problem));
	return result.rules;
}

function route(text: string, input: Partial<RouteInput>) {
	return routeMessage({
		text,
		now: Date.UTC(2026, 10, 30),
		conversation: undefined,
		pauseMinutes: 240,
		faqThreshold: 0.7,
		handOffAfterMisses: 0,
		...input,
	});
}

const FAQ = getFaqIndex([{ question: '退款多久能到账？', answer: '原路退款，1-3个工作日到账。' }]);

describe('regex rules: a catastrophic pattern cannot hold the process', () => {
	it('^(\\d+\\s?)+$ against 40 digits and "x" finishes, and the message goes on to No Match and the FAQ', () => {
		// In a child process with a kill timeout: V8's backtracking takes hours here, so a regression
		// must fail this test, not hang the suite.
		const engine = path.resolve(__dirname, '..', '..', 'nodes', 'AutoReply', 'engine');
		const script = `
			const { compileKeywordRules } = require(${JSON.stringify(path.join(engine, 'keywordRules.js'))});
			const { getFaqIndex } = require(${JSON.stringify(path.join(engine, 'faqIndex.js'))});
			const { routeMessage } = require(${JSON.stringify(path.join(engine, 'route.js'))});
			const compiled = compileKeywordRules([{ keywords: ${JSON.stringify(HOSTILE)}, matchType: 'regex', priority: 0 }]);
			const faq = getFaqIndex([{ question: '退款多久能到账？', answer: '原路退款，1-3个工作日到账。' }]);
			const routed = (text) => routeMessage({ text, now: 0, conversation: undefined, pauseMinutes: 240, faqThreshold: 0.7,
				handOffAfterMisses: 0, keywordRules: compiled.rules, faq }).route;
			const digits = '1'.repeat(40);
			console.log(JSON.stringify([routed(digits + 'x'), routed(digits + ' 退款多久能到账'), routed(digits), routed('1'.repeat(3990) + 'x')]));
		`;
		const child = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 20_000 });
		assert.equal(child.signal, null, 'killed after 20 s: the regex rule still backtracks');
		assert.equal(child.status, 0, child.stderr);
		assert.deepEqual(JSON.parse(child.stdout), ['noMatch', 'faq', 'keyword', 'noMatch']);
	});

	it('a rule that reaches its limit is skipped for that message, named, and the next rules still count', () => {
		const rules = compiled([
			{ keywords: SLOW, matchType: 'regex', priority: 2 },
			{ keywords: '^a+$', matchType: 'regex', priority: 1 },
			{ keywords: 'aaa', matchType: 'contains', priority: 0 },
		]);
		const skipped: SkippedRule[] = [];
		const text = 'a'.repeat(4000);
		assert.deepEqual(
			rules.match(text, (rule) => skipped.push(rule)),
			{ ruleIndex: 1, keyword: '^a+$', matchType: 'regex' },
		);
		assert.deepEqual(skipped, [{ ruleIndex: 0, keyword: SLOW }]);
		// The same rule matches a message it can finish.
		assert.equal(rules.match('订单号20240615')?.ruleIndex, 0);
	});

	it('a skipped rule lets the message go on to the FAQ, or No Match', () => {
		const keywordRules = compiled([{ keywords: SLOW, matchType: 'regex', priority: 0 }]);
		const text = `退款多久能到账${'a'.repeat(3990)}`;
		const skipped: SkippedRule[] = [];
		const reporting = { ...keywordRules, match: (t: string) => keywordRules.match(t, (rule) => skipped.push(rule)) };
		assert.equal(route(text, { keywordRules: reporting, faq: FAQ }).route, 'faq');
		assert.equal(route(text, { keywordRules: reporting }).route, 'noMatch');
		assert.equal(skipped.length, 2);
	});
});

describe('regex rules: what the engine accepts and refuses', () => {
	it('keeps lookahead, lookbehind, \\b, classes, \\p{…}, flags in groups and case folding', () => {
		const cases: Array<[string, string, boolean]> = [
			['^(?!.*退款).*订单', '我的订单到哪了', true],
			['^(?!.*退款).*订单', '订单退款进度', false],
			['(?<=订单号[:：]?)\\d{10}', '订单号:2024061512', true],
			['(?<!不)满意', '不满意', false],
			['\\bhi\\b', 'oh hi there', true],
			['\\bhi\\b', 'this', false],
			['\\p{Script=Han}{2,}', 'ok 中文', true],
			['^VIP\\d+$', 'vip123', true],
			['(?-i:VIP)', 'vip', false],
			['^.$', '😀', true],
			['[^]', '', false],
		];
		for (const [pattern, text, expected] of cases) {
			assert.equal(new LinearRegex(pattern).test(text), expected ? 'match' : 'noMatch', `${pattern} on ${text}`);
		}
	});

	it('refuses back-references, huge repetitions and deep nesting with a message that says why', () => {
		const problem = (keywords: string) => {
			const result = compileKeywordRules([{ keywords, matchType: 'regex', priority: 0 }]);
			assert.equal(result.ok, false, keywords.slice(0, 40));
			return !result.ok ? result.problem.message : '';
		};
		assert.match(problem('(\\d)\\1'), /"\(\\d\)\\1" cannot be used: it uses a back-reference/);
		assert.match(problem('(?<d>\\d)\\k<d>'), /back-reference/);
		assert.match(problem('(?:\\d{1000}){1000}'), /too large/);
		assert.match(problem(`${'('.repeat(150)}a${')'.repeat(150)}`), /nests groups more than 100 deep/);
		const wordList = Array.from({ length: 600 }, (_, i) => String.fromCodePoint(0x4e00 + i)).join('|');
		assert.match(problem(wordList), /more than 500 different characters .* Contains rule/);
		const long = problem('a'.repeat(10_001));
		assert.match(long, /^"a{80}…" cannot be used: it is longer than 10,000 characters$/, 'quoted, but not whole');
		assert.match(problem('([a-z'), /is not a valid regular expression \(Invalid regular expression/);
		// The size bound is a bound, not a wish: just under it compiles.
		assert.ok(new LinearRegex(`a{${MAX_PROGRAM_SIZE - 10}}`));
	});

	it('knows what a single-character piece matches exactly as V8 does, for every code point of planes 0, 1 and 2', () => {
		const holds = (ranges: Int32Array, offset: number) => {
			for (let i = 0; i < ranges.length; i += 2) if (ranges[i] <= offset && offset < ranges[i + 1]) return true;
			return false;
		};
		const pieces: Array<[string, string]> = [
			['k', 'iu'], // also K (U+212A, Kelvin)
			['退', 'iu'],
			['.', 'iu'],
			['\\W', 'iu'], // ſ and K are word characters under i
			['[^\\d\\s]', 'iu'],
			['\\p{Lu}', 'iu'],
			['\\u{10428}', 'iu'], // a Deseret letter and its capital
			['\\uD83D', 'u'], // a lone surrogate
			['\\0', 'u'],
			['.', 'su'],
		];
		for (const [piece, flags] of pieces) {
			const single = new RegExp(`^(?:${piece})$`, flags);
			for (const plane of [0, 1, 2]) {
				const ranges = pieceRanges(piece, flags, plane);
				for (let offset = 0; offset < 0x10000; offset++) {
					const character = String.fromCodePoint(plane * 0x10000 + offset);
					if (single.test(character) !== holds(ranges, offset)) {
						assert.fail(`${piece} /${flags} on U+${(plane * 0x10000 + offset).toString(16)}`);
					}
				}
			}
		}
	});

	it('matches exactly when V8 does, on random patterns and texts (seeded fuzz)', () => {
		const random = seeded(20_261_130);
		const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
		const atoms = [
			'a',
			'b',
			'A',
			'.',
			'\\d',
			'\\w',
			'\\W',
			'\\s',
			'[ab]',
			'[^a]',
			'\\p{Script=Han}',
			'中',
			'ſ',
			'\u212a',
			'😀',
			'\\u{1F600}',
			'\\uD83D',
			'\\n',
			'[\\]a]',
			'\\cJ',
			'\\0',
			'\\P{L}',
			'\\uD83D\\uDE00',
			'[^\\W\\d]',
			'[\\b]',
			'\\x41',
			'\\u{10428}',
			'[\\u{20000}-\\u{20010}]',
			'\\p{Lu}',
		];
		const quantifiers = ['*', '+', '?', '{0,2}', '{2}', '{1,}', '*?', '{2,3}?', ''];
		// (?-i:…) is left out: after such a group, V8's \W behaves as without the i flag (docs/autoreply.md).
		const pattern = (depth: number): string => {
			const r = random();
			if (depth > 3 || r < 0.35) return pick(atoms);
			if (r < 0.45) return pick(['\\b', '\\B', '^', '$']);
			if (r < 0.6) return pattern(depth + 1) + pattern(depth + 1);
			if (r < 0.68) return `${pattern(depth + 1)}|${pattern(depth + 1)}`;
			if (r < 0.85)
				return `${pick(['(', '(?:', '(?i:', '(?m:', '(?s:', '(?<g>'])}${pattern(depth + 1)})${pick(quantifiers)}`;
			if (r < 0.95) return `${pick(['(?=', '(?!', '(?<=', '(?<!'])}${pattern(depth + 1)})`;
			return pick(atoms) + pick(quantifiers);
		};
		// Planes 0, 1 (😀, and 𐐀 / 𐐨: a letter and its lower case) and 2 (𠀀).
		const characters = [
			'a',
			'b',
			'A',
			' ',
			'1',
			'中',
			'\n',
			'ſ',
			'\u212a',
			'k',
			'😀',
			'\ud83d',
			'x',
			'\r',
			']',
			'\b',
			'\u{10400}',
			'\u{10428}',
			'\u{20000}',
		];
		let compared = 0;
		for (let round = 0; round < 3000; round++) {
			const source = pattern(0);
			let native: RegExp;
			try {
				native = new RegExp(source, 'iu');
			} catch {
				continue; // not a pattern: V8's error is what the rule reports
			}
			const linear = new LinearRegex(source);
			for (let t = 0; t < 8; t++) {
				const text = Array.from({ length: Math.floor(random() * 9) }, () => pick(characters)).join('');
				const found = native.exec(text);
				// V8 also tries positions inside a surrogate pair for empty matches (\B between the two
				// halves of 😀); a match never starts there in this engine, as the specification says.
				const index = found?.index ?? 0;
				if (found && /[\ud800-\udbff]/.test(text[index - 1] ?? '') && /[\udc00-\udfff]/.test(text[index] ?? ''))
					continue;
				assert.equal(
					linear.test(text),
					found ? 'match' : 'noMatch',
					`${JSON.stringify(source)} on ${JSON.stringify(text)}`,
				);
				compared++;
			}
		}
		assert.ok(compared > 15_000, `compared ${compared}`);
	});
});

describe('what matching reads', () => {
	it('stops at 4,000 characters of the message: a keyword further on is not seen, the rest is', () => {
		const keywordRules = compiled([{ keywords: '退款', matchType: 'contains', priority: 0 }]);
		const filler = '这件衣服挺好看的'.repeat(1000);
		assert.equal(route(`${filler.slice(0, 3000)}退款`, { keywordRules }).route, 'keyword');
		assert.equal(route(`${filler.slice(0, 4500)}退款`, { keywordRules }).route, 'noMatch');
		const handOffWords = compiled([{ keywords: '人工', matchType: 'contains', priority: 0 }]);
		assert.equal(route(`${filler.slice(0, 4500)}人工`, { handOffWords }).route, 'noMatch');
	});

	it('cuts at the limit, but never between the two halves of a character outside the BMP', () => {
		assert.equal(MATCH_TEXT_LIMIT, 4000);
		const short = 'a'.repeat(4000);
		assert.equal(textForMatching(short), short);
		assert.equal(textForMatching(`${short}b`).length, 4000);
		const emojiAcross = `${'a'.repeat(3999)}😀b`;
		assert.equal(textForMatching(emojiAcross), 'a'.repeat(3999));
	});
});

describe('the keyword automaton keeps a fixed hit buffer', () => {
	it('a text with more hits than the buffer holds gives them in batches, all of them, and the buffer does not grow', () => {
		const patterns = Array.from({ length: 10 }, (_, i) => 'a'.repeat(i + 1));
		const automaton = new AhoCorasick(patterns);
		const size = automaton.hits.length;
		const text = 'a'.repeat(4000);
		const matches = automaton.findAll(text);
		// Every pattern at every position where it fits: 4000 + 3999 + … + 3991.
		assert.equal(
			matches.length,
			patterns.reduce((sum, pattern) => sum + text.length - pattern.length + 1, 0),
		);
		assert.equal(automaton.hits.length, size);
		assert.ok(size <= 2 * 512, `buffer of ${size}`);
		assert.deepEqual(matches.slice(0, 3), [
			{ pattern: 0, start: 0, end: 1 },
			{ pattern: 1, start: 0, end: 2 },
			{ pattern: 0, start: 1, end: 2 },
		]);
	});

	it('the best rule is found across batches', () => {
		// Chinese, so that every occurrence counts (a Latin keyword must not sit inside a word).
		const specs: KeywordRuleSpec[] = Array.from({ length: 10 }, (_, i) => ({
			keywords: '哈'.repeat(i + 1),
			matchType: 'contains',
			priority: 0,
		}));
		specs.push({ keywords: '哈嘿', matchType: 'contains', priority: 5 });
		const rules = compiled(specs);
		assert.equal(rules.match(`${'哈'.repeat(3990)}嘿`)?.ruleIndex, 10);
		assert.equal(rules.match('哈'.repeat(3990))?.ruleIndex, 0);
	});
});
