import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { AhoCorasick } from '../../nodes/AutoReply/engine/ahoCorasick';
import { parseFaqEntries } from '../../nodes/AutoReply/engine/faqEntries';
import { FaqIndex, faqTerms, getFaqIndex } from '../../nodes/AutoReply/engine/faqIndex';
import {
	clearKeywordRuleCache,
	compileKeywordRules,
	getCompiledRules,
	keywordRulesKey,
	type CompiledRules,
	type KeywordRuleSpec,
} from '../../nodes/AutoReply/engine/keywordRules';
import { normalizeCommon, normalizeGeneral, normalizeText } from '../../nodes/AutoReply/engine/normalize';
import { seeded } from '../support/random';

function compiled(specs: KeywordRuleSpec[]): CompiledRules {
	const result = compileKeywordRules(specs);
	assert.ok(result.ok, JSON.stringify(!result.ok && result.problem));
	return result.rules;
}

describe('normalizeText', () => {
	it('folds full width, case and compatibility forms (NFKC)', () => {
		assert.equal(normalizeText('ＶＩＰ会员'), 'vip会员');
		assert.equal(normalizeText('Ｈｅｌｌｏ　Ｗｏｒｌｄ！'), 'hello world');
		assert.equal(normalizeText('①号'), '1号');
	});

	it('drops spaces and punctuation between Chinese characters, keeps one space between words', () => {
		assert.equal(normalizeText('转 人 工'), '转人工');
		assert.equal(normalizeText('转\u3000人工！！'), '转人工');
		assert.equal(normalizeText('  Human   Agent, please '), 'human agent please');
		assert.equal(normalizeText('我要 refund 谢谢'), '我要refund谢谢');
		assert.equal(normalizeText('order 123'), 'order 123');
	});

	it('the one-pass path gives exactly what NFKC + lower case + Unicode separators give (seeded fuzz)', () => {
		const random = seeded(7_340_033);
		// Everything the one-pass path handles, and its neighbours it must hand over.
		const pools = [
			Array.from({ length: 128 }, (_, code) => String.fromCharCode(code)),
			[...'退款发货物流快递人工客服转地址优惠券会员积分价格多少钱怎么还没到呢'],
			Array.from({ length: 0x5e }, (_, i) => String.fromCharCode(0xff01 + i)),
			Array.from({ length: 0x40 }, (_, i) => String.fromCharCode(0x3000 + i)),
			[...'éÅßİﬁ①㎏ｶﾞ〒😀👍🏽\u00a0\u2003\u2014\u2026\u00b7\uff61\uff65\u9fff\u4e00\uf900\u3400'],
		];
		let common = 0;
		for (let n = 0; n < 20_000; n++) {
			const length = 1 + Math.floor(random() * 24);
			let text = '';
			// Most cases stay inside what the one-pass path covers, so it is really exercised.
			const covered = random() < 0.7;
			for (let i = 0; i < length; i++) {
				const pool = pools[covered ? Math.floor(random() * 4) : Math.floor(random() * pools.length)];
				text += pool[Math.floor(random() * pool.length)];
			}
			const fast = normalizeCommon(text);
			if (fast !== undefined) common++;
			assert.equal(normalizeText(text), normalizeGeneral(text), JSON.stringify(text));
		}
		assert.ok(common > 2_000, `only ${common} cases took the one-pass path`);
	});
});

describe('AhoCorasick', () => {
	it('finds overlapping and nested patterns with their offsets', () => {
		const ac = new AhoCorasick(['he', 'she', 'his', 'hers', '人工', '转人工', '人工客服']);
		const hits = ac.findAll('ushers 转人工客服').map((m) => `${ac.patterns[m.pattern]}@${m.start}`);
		assert.deepEqual(hits.sort(), ['he@2', 'hers@2', 'she@1', '人工@8', '人工客服@8', '转人工@7'].sort());
	});

	it('reports the same hits as a naive includes loop on random dictionaries (seeded fuzz)', () => {
		const random = seeded(20261122);
		const alphabet = [...'退款发货物流快递人工客服转地址优惠券会员积分ab😀'];
		const pick = () => alphabet[Math.floor(random() * alphabet.length)];
		for (let round = 0; round < 300; round++) {
			const patterns = Array.from({ length: 1 + Math.floor(random() * 40) }, () =>
				Array.from({ length: 1 + Math.floor(random() * 4) }, pick).join(''),
			);
			const text = Array.from({ length: Math.floor(random() * 60) }, pick).join('');
			const ac = new AhoCorasick(patterns);
			const found = new Set<string>();
			for (const m of ac.findAll(text)) found.add(`${patterns[m.pattern]}@${m.start}`);
			const expected = new Set<string>();
			for (const pattern of new Set(patterns)) {
				for (let at = text.indexOf(pattern); at >= 0; at = text.indexOf(pattern, at + 1)) expected.add(`${pattern}@${at}`);
			}
			assert.deepEqual([...found].sort(), [...expected].sort(), `round ${round}: ${JSON.stringify({ patterns, text })}`);
		}
	});
});

describe('keyword rules', () => {
	it('applies match types: contains, exact, starts with, regex', () => {
		const rules = compiled([
			{ keywords: '价格, 多少钱', matchType: 'contains', priority: 0 },
			{ keywords: '你好', matchType: 'exact', priority: 0 },
			{ keywords: '查询', matchType: 'startsWith', priority: 0 },
			{ keywords: '\\d{6,}', matchType: 'regex', priority: 0 },
		]);
		assert.equal(rules.match('这个多少钱啊')?.ruleIndex, 0);
		assert.equal(rules.match('你好！')?.ruleIndex, 1);
		assert.equal(rules.match('你好，我想问一下'), undefined);
		assert.equal(rules.match('查询 订单')?.ruleIndex, 2);
		assert.equal(rules.match('我想查询订单'), undefined);
		const regex = rules.match('订单号２０２４０６０７');
		assert.deepEqual(regex, { ruleIndex: 3, keyword: '\\d{6,}', matchType: 'regex' });
	});

	it('matches English keywords as whole words only', () => {
		const rules = compiled([{ keywords: 'hi, refund', matchType: 'contains', priority: 0 }]);
		assert.equal(rules.match('Hi there')?.keyword, 'hi');
		assert.equal(rules.match('I want a REFUND!')?.keyword, 'refund');
		assert.equal(rules.match('this ship'), undefined);
		assert.equal(rules.match('refunds'), undefined);
		assert.equal(rules.match('我要refund')?.keyword, 'refund');
	});

	it('picks the highest priority, then the first rule', () => {
		const specs: KeywordRuleSpec[] = [
			{ keywords: '退款', matchType: 'contains', priority: 0 },
			{ keywords: '退款进度', matchType: 'contains', priority: 5 },
			{ keywords: '进度', matchType: 'contains', priority: 5 },
			{ keywords: '退.*进度', matchType: 'regex', priority: 9 },
		];
		assert.equal(compiled(specs).match('我的退款进度怎么样')?.ruleIndex, 3);
		assert.equal(compiled(specs.slice(0, 3)).match('我的退款进度怎么样')?.ruleIndex, 1);
		assert.equal(compiled(specs.slice(0, 3)).match('进度')?.ruleIndex, 2);
		assert.equal(compiled(specs.slice(0, 1)).match('退款')?.ruleIndex, 0);
	});

	it('names the rule of an invalid regex or an empty keyword list', () => {
		const bad = compileKeywordRules([
			{ keywords: 'ok', matchType: 'contains', priority: 0 },
			{ keywords: '([a-z', matchType: 'regex', priority: 0 },
		]);
		assert.equal(bad.ok, false);
		if (!bad.ok) {
			assert.equal(bad.problem.ruleIndex, 1);
			assert.equal(bad.problem.field, 'keywords');
			assert.match(bad.problem.message, /"\(\[a-z" is not a valid regular expression/);
		}
		const empty = compileKeywordRules([{ keywords: ' , ', matchType: 'contains', priority: 0 }]);
		assert.deepEqual(!empty.ok && empty.problem.ruleIndex, 0);
	});

	it('caches by what matching uses: same rules → same compiled object, even with other replies', () => {
		clearKeywordRuleCache();
		const specs = (reply: string) =>
			[{ keywords: '价格', matchType: 'contains', priority: 1, reply }] as Array<KeywordRuleSpec & { reply: string }>;
		const first = getCompiledRules(specs('A'));
		const second = getCompiledRules(specs('B'));
		assert.ok(first.ok && second.ok);
		assert.equal(first, second);
		assert.equal(keywordRulesKey(specs('A')), keywordRulesKey(specs('B')));
		const changed = getCompiledRules([{ keywords: '价格', matchType: 'contains', priority: 2 }]);
		assert.notEqual(changed, first);
		const reordered = getCompiledRules([
			{ keywords: 'b', matchType: 'contains', priority: 0 },
			{ keywords: 'a', matchType: 'contains', priority: 0 },
		]);
		assert.notEqual(
			reordered,
			getCompiledRules([
				{ keywords: 'a', matchType: 'contains', priority: 0 },
				{ keywords: 'b', matchType: 'contains', priority: 0 },
			]),
		);
	});
});

describe('FAQ index', () => {
	const entries = [
		{ question: '退款多久能到账？', similarQuestions: ['钱什么时候退回来'], answer: '原路退款，1-3个工作日到账。' },
		{ question: '怎么开发票？', answer: '在订单详情点击申请开票。' },
		{ question: '运费怎么算？', similarQuestions: ['包邮吗'], answer: '满99元包邮。' },
		{ question: 'How long does a refund take?', answer: 'Refunds arrive within 3 business days.' },
	];

	it('makes unigrams and bigrams of CJK runs and whole tokens of Latin runs', () => {
		assert.deepEqual(faqTerms('退款 refunds!'), ['退', '款', '退款', 'refund']);
		assert.deepEqual(faqTerms('ＶＩＰ会员'), ['vip', '会', '员', '会员']);
	});

	it('ranks the entry that answers the question first, Chinese and English', () => {
		const index = new FaqIndex(entries);
		assert.equal(index.search('退款几天到账')[0].index, 0);
		assert.equal(index.search('钱啥时候退给我')[0].index, 0);
		assert.equal(index.search('包邮不')[0].index, 2);
		assert.equal(index.search('发票怎么开')[0].index, 1);
		assert.equal(index.search('how long for a refund')[0].index, 3);
		const exact = index.search('运费怎么算？');
		assert.ok(exact[0].score >= 0.9 && exact[0].score <= 1, `an exact question scores close to 1, got ${exact[0].score}`);
		assert.ok(exact.length <= 3);
		assert.ok(exact.every((c, i) => i === 0 || exact[i - 1].score >= c.score));
		assert.deepEqual(index.search('今天天气'), []);
	});

	it('is cached by the entries', () => {
		assert.equal(getFaqIndex(entries), getFaqIndex(entries.map((e) => ({ ...e }))));
		assert.notEqual(getFaqIndex(entries), getFaqIndex(entries.slice(1)));
	});

	it('parses faqEntries from JSON or an array and names the bad entry and field', () => {
		const ok = parseFaqEntries('[{"question":"q","answer":"a","similarQuestions":["x"]}]');
		assert.deepEqual(ok, { ok: true, entries: [{ question: 'q', similarQuestions: ['x'], answer: 'a' }] });
		const lines = parseFaqEntries([{ question: 'q', similarQuestions: 'x\n\ny', answer: 'a' }]);
		assert.deepEqual(lines.ok && lines.entries[0].similarQuestions, ['x', 'y']);
		assert.deepEqual(parseFaqEntries(''), { ok: true, entries: [] });
		const missing = parseFaqEntries([{ question: 'q', answer: 'a' }, { question: 'q2' }]);
		assert.deepEqual(!missing.ok && missing.problem, { index: 1, field: 'answer', message: 'is missing or empty: it must be a non-empty string' });
		const similar = parseFaqEntries([{ question: 'q', answer: 'a', similarQuestions: ['x', 3] }]);
		assert.equal(!similar.ok && similar.problem.field, 'similarQuestions[1]');
		const json = parseFaqEntries('[{');
		assert.equal(!json.ok && json.problem.index, -1);
		assert.equal(parseFaqEntries({ question: 'q' }).ok, false);
	});
});
