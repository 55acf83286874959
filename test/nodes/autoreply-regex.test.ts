/**
 * The AutoReply node with a regex rule that runs into its limit (issue 7, hole 1), as n8n runs it
 * (built dist/, n8n-core's WorkflowExecute): the message goes on through the pipeline and the
 * execution carries a hint that names the rule. Needs `npm run build` first.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';

import type { IDataObject } from 'n8n-workflow';

import { cleanupHarness, runNode } from './harness';

after(() => cleanupHarness());

const OUT = { keyword: 0, faq: 1, handoff: 2, noMatch: 3 } as const;
/** About 24 million automaton steps on 4,000 × "a": past the limit on any machine. Its first branch is quick. */
const SLOW = '^订单号\\d+$|a(?:[\\s\\S]|x){3000}b';
const FAQ = [{ question: '退款多久能到账？', answer: '原路退款，1-3个工作日到账。' }];

function kf(text: string, user: string): IDataObject {
	return { open_kfid: 'wkKf1', external_userid: user, text };
}

describe('AutoReply node: a regex rule past its limit', () => {
	it('skips the rule for those messages, names it in one hint, and routes them on; other messages are untouched', async () => {
		const parameters = {
			keywordRules: {
				rule: [
					{ name: 'order number', keywords: SLOW, matchType: 'regex', reply: '订单已收到', priority: 1 },
					{ name: 'hello', keywords: '你好', matchType: 'exact', reply: '您好！', priority: 0 },
				],
			},
			faqEntries: FAQ,
		};
		const items = [
			kf(`退款多久能到账${'a'.repeat(3990)}`, 'wmA'),
			kf('a'.repeat(4000), 'wmB'),
			kf('你好', 'wmC'),
			kf('订单号20240615', 'wmD'),
		];
		const result = await runNode({ nodeType: 'autoReply', parameters, items });
		assert.equal(result.error, undefined, result.error?.message);
		const routed = result.outputs.flatMap((output, index) =>
			output.map((item) => ({ output: index, item: (item.pairedItem as { item: number }).item, json: item.json })),
		);
		const where = (item: number) => routed.find((entry) => entry.item === item);
		assert.equal(where(0)?.output, OUT.faq);
		assert.equal(where(1)?.output, OUT.noMatch);
		assert.equal(where(2)?.output, OUT.keyword);
		assert.equal(where(3)?.output, OUT.keyword, 'the rule still matches a message it can finish');
		assert.equal((where(3)?.json.autoReply as IDataObject).reply, '订单已收到');
		assert.equal(where(1)?.json.text, 'a'.repeat(4000), 'the item keeps its whole text');

		const hints = result.run?.data.resultData.runData['Node Under Test']?.[0]?.hints ?? [];
		assert.equal(hints.length, 1, JSON.stringify(hints));
		assert.equal(hints[0].type, 'warning');
		assert.match(
			hints[0].message,
			/^Keyword rule 1 "order number" was skipped for 2 messages: its regular expression "\^订单号/,
		);
		assert.match(hints[0].message, /50 ms/);
	});

	it('gives no hint when every rule finishes, the hostile order-number pattern included', async () => {
		const parameters = {
			keywordRules: { rule: [{ name: 'only digits', keywords: '^(\\d+\\s?)+$', matchType: 'regex', reply: 'x' }] },
		};
		// 26 digits and "x": about 2.5 s in V8 (bench/README.md), microseconds here; 40 digits are hours in V8.
		const result = await runNode({ nodeType: 'autoReply', parameters, items: [kf(`${'1'.repeat(26)}x`, 'wmE')] });
		assert.equal(result.error, undefined, result.error?.message);
		assert.equal(result.outputs[OUT.noMatch].length, 1);
		assert.deepEqual(result.run?.data.resultData.runData['Node Under Test']?.[0]?.hints ?? [], []);
	});
});
