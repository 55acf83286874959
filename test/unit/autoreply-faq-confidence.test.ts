import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { FaqIndex, getFaqIndex, type FaqEntry } from '../../nodes/AutoReply/engine/faqIndex';
import { DEFAULT_FAQ_THRESHOLD } from '../../nodes/AutoReply/engine/route';
import { parseSynonymGroups, Synonyms } from '../../nodes/AutoReply/engine/synonyms';

/** What the FAQ confidence promises the node (faqIndex.ts file comment). */
const FAQ: FaqEntry[] = [
	{ question: '日常保洁怎么收费？', answer: '日常保洁按小时计费，每小时45元，3小时起约。' },
	{ question: '新房装修完的开荒保洁多少钱？', similarQuestions: ['开荒保洁价格'], answer: '开荒保洁按建筑面积计费，每平米8元，200元起做。' },
	{ question: '怎么开发票？', answer: '在订单详情点击申请开票。' },
	{ question: '运费怎么算？', similarQuestions: ['包邮吗'], answer: '满99元包邮。' },
	{ question: '退款多久能到账？', answer: '原路退回，1-3个工作日到账。' },
	{ question: 'How do I change my delivery address?', answer: 'Open the order and tap Edit address before it ships.' },
	{ question: 'Do you ship to Australia?', answer: 'Yes, standard delivery takes 7-12 days.' },
	{ question: '会员积分怎么用？', answer: '下单时勾选积分抵扣，100积分抵1元。' },
	{ question: '营业时间是几点到几点？', answer: '每天9:00-21:00。' },
	{ question: '可以上门安装吗？', answer: '大件商品送货时免费安装。' },
];

/** 900 entries about other things: a dental clinic's questions, numbered. */
function padding(count: number): FaqEntry[] {
	const topics = ['洗牙', '补牙', '拔智齿', '种植牙', '牙齿矫正', '美白', '儿童涂氟', '根管治疗', '假牙', '牙龈出血'];
	const asks = ['要多长时间', '疼不疼', '医保能报销吗', '需要空腹吗', '术后注意什么', '几岁可以做', '要去几次', '有副作用吗', '能分期吗'];
	const entries: FaqEntry[] = [];
	for (let i = 0; entries.length < count; i++) {
		const topic = topics[i % topics.length];
		const ask = asks[Math.floor(i / topics.length) % asks.length];
		entries.push({ question: `${topic}${ask}（第${i}诊室）`, answer: `${topic}：请到第${i}诊室咨询医生。` });
	}
	return entries;
}

describe('FAQ confidence', () => {
	it('is close to 1 for a message that repeats a question, whatever the size of the FAQ', () => {
		for (const entries of [FAQ, [...FAQ, ...padding(990)]]) {
			const index = new FaqIndex(entries);
			for (const [position, entry] of FAQ.entries()) {
				const [best] = index.search(entry.question);
				assert.equal(best.index, position, entry.question);
				assert.ok(best.score >= 0.85 && best.score <= 1, `${entry.question}: ${best.score} with ${entries.length} entries`);
			}
		}
	});

	it('does not answer a short message inside a longer question of another entry (保洁价格)', () => {
		const [best] = new FaqIndex(FAQ).search('保洁价格');
		assert.ok(best.score < DEFAULT_FAQ_THRESHOLD, `${best.question}: ${best.score}`);
	});

	it('does not answer a message that covers a small part of a long question', () => {
		const index = new FaqIndex(FAQ, { useDefaultSynonyms: false });
		const [best] = index.search('装修');
		assert.equal(best.index, 1);
		assert.ok(best.score < DEFAULT_FAQ_THRESHOLD, `${best.score}`);
	});

	it('keeps the right answer\'s confidence when 900 unrelated entries are added', () => {
		const small = new FaqIndex(FAQ);
		const large = new FaqIndex([...FAQ, ...padding(900)]);
		for (const [text, expected] of [['退款几天能到', 4], ['发票怎么开', 2], ['do you ship to australia', 6], ['积分能抵钱吗', 7]] as const) {
			const [a] = small.search(text);
			const [b] = large.search(text);
			assert.equal(a.index, expected, text);
			assert.equal(b.index, expected, text);
			assert.ok(Math.abs(a.score - b.score) <= 0.1, `${text}: ${a.score} with 10 entries, ${b.score} with 910`);
		}
	});

	it('lies in [0, 1] and lists candidates best first', () => {
		const index = new FaqIndex([...FAQ, ...padding(50)]);
		for (const text of ['运费', '开荒保洁价格 发票 运费 退款 积分', 'refund', '牙', '包邮吗包邮吗包邮吗']) {
			const candidates = index.search(text, 3);
			assert.ok(candidates.every((c) => c.score >= 0 && c.score <= 1), text);
			assert.ok(candidates.every((c, i) => i === 0 || candidates[i - 1].score >= c.score), text);
		}
	});
});

describe('FAQ synonyms', () => {
	const refund: FaqEntry[] = [
		{ question: '退钱要几天？', answer: '1-3个工作日。' },
		{ question: '怎么开发票？', answer: '在订单详情点击申请开票。' },
	];

	it('maps every word of a group to its first word, in messages and in entries alike', () => {
		const synonyms = new Synonyms(parseSynonymGroups('退款 = 退钱，退费\nparcel, package'));
		assert.equal(synonyms.rewrite('退钱'), ' 退款 ');
		assert.equal(synonyms.rewrite('where is my packages'), 'where is my  parcel ');
		assert.equal(synonyms.rewrite('prepackaged'), 'prepackaged');
		const index = new FaqIndex(refund, { synonyms: [['退款', '退钱', '退费']], useDefaultSynonyms: false });
		// The entry says 退钱; a message with 退款 or 退费 reaches it, and the other way round.
		for (const text of ['退款要几天', '退费要几天']) assert.ok(index.search(text)[0].score >= 0.9, text);
		const reverse = new FaqIndex([{ question: '退款要几天？', answer: '1-3天' }, refund[1]], { synonyms: [['退款', '退钱']], useDefaultSynonyms: false });
		assert.ok(reverse.search('退钱要几天')[0].score >= 0.9);
	});

	it('ships a default set that reaches across wording and language, and can be turned off', () => {
		const withDefaults = new FaqIndex(refund);
		const without = new FaqIndex(refund, { useDefaultSynonyms: false });
		assert.ok(withDefaults.search('退费要几天')[0].score >= 0.9);
		assert.ok(without.search('退费要几天')[0].score < 0.9);
		assert.equal(withDefaults.search('how many days for a refund')[0].index, 0);
		assert.deepEqual(without.search('how many days for a refund'), []);
	});

	it('turning the default set off changes nothing else: the operator\'s groups still apply', () => {
		const own = { synonyms: [['退钱', '退费']] };
		const index = new FaqIndex(refund, { ...own, useDefaultSynonyms: false });
		assert.ok(index.search('退费要几天')[0].score >= 0.9);
		// Text without any synonym scores the same with or without the default set.
		const plain = [{ question: '阿姨几点到', answer: '9点' }, { question: '能带宠物吗', answer: '不能' }];
		assert.deepEqual(new FaqIndex(plain).search('阿姨几点到'), new FaqIndex(plain, { useDefaultSynonyms: false }).search('阿姨几点到'));
	});

	it('builds a new index when the synonyms change', () => {
		assert.equal(getFaqIndex(refund, { synonyms: [['a', 'b']] }), getFaqIndex(refund, { synonyms: [['a', 'b']] }));
		assert.notEqual(getFaqIndex(refund), getFaqIndex(refund, { useDefaultSynonyms: false }));
		assert.notEqual(getFaqIndex(refund), getFaqIndex(refund, { synonyms: [['退钱', '退还']] }));
	});
});
