/**
 * The AutoReply node with Conversation State "From the Item" (queue mode), as n8n runs it: the state
 * comes in the item's kefuState, the writes go out in autoReply.stateWrites, and nothing is kept in
 * the workflow's static data. Both node versions. Needs `npm run build` first.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';

import type { IDataObject, INodeParameters } from 'n8n-workflow';

import { cleanupHarness, runNode } from './harness';

after(() => cleanupHarness());

const OUT = { keyword: 0, faq: 1, handoff: 2, noMatch: 3, outOfHours: 4, silent: 5 } as const;
const RULES = { rule: [{ name: 'price', keywords: '价格', matchType: 'contains', reply: '请看商品页', priority: 0 }] };

function message(text: string, kefuState?: IDataObject, user = 'zhangsan'): IDataObject {
	return { AgentID: 1000002, FromUserName: user, Content: text, ...(kefuState ? { kefuState } : {}) };
}

async function runFromItem(parameters: INodeParameters, items: IDataObject[], typeVersion: number, staticData: IDataObject = {}) {
	return await runNode({
		nodeType: 'autoReply',
		typeVersion,
		parameters: { conversationState: 'item', text: '={{ $json.Content }}', ...parameters },
		items,
		staticData,
		workflowId: `wf-item-state-${typeVersion}-${Math.random()}`,
	});
}

/** [output, autoReply] of each item, in input order. */
function routed(outputs: Awaited<ReturnType<typeof runFromItem>>['outputs']) {
	const all: Array<[number, number, IDataObject]> = [];
	outputs.forEach((items, output) => items.forEach((item) => all.push([(item.pairedItem as { item: number }).item, output, item.json.autoReply as IDataObject])));
	return all.sort((a, b) => a[0] - b[0]).map(([, output, autoReply]) => [output, autoReply] as const);
}

for (const typeVersion of [1, 2]) {
	describe(`AutoReply node v${typeVersion}: Conversation State From the Item`, () => {
		it('routes on the state the item carries, lists the writes, and keeps nothing in static data', async () => {
			const staticData: IDataObject = {};
			const { outputs, error } = await runFromItem(
				{ keywordRules: RULES, handOffAfterMisses: 2 },
				[
					message('转人工', { pause: null, unanswered: null }),
					message('价格', { pause: '2099-01-01T00:00:00.000Z', unanswered: null }),
					message('价格', { pause: null, unanswered: '1' }),
					// Other customers: an item of zhangsan's carrying the same state as an earlier one sees what
					// that one decided (the next test).
					message('嗯？', { pause: null, unanswered: null }, 'lisi'),
					message('嗯？', { pause: null, unanswered: '1' }, 'wangwu'),
				],
				typeVersion,
				staticData,
			);
			assert.equal(error, undefined, error?.message);
			const got = routed(outputs);
			assert.deepEqual(
				got.map(([output]) => output),
				[OUT.handoff, OUT.silent, OUT.keyword, OUT.noMatch, OUT.handoff],
			);
			const pauseKey = 'kefu:ar:pause:1000002:zhangsan';
			const countKey = 'kefu:ar:unanswered:1000002:zhangsan';
			const [handoff, silent, answered, unanswered, handedAfterTwo] = got.map(([, autoReply]) => autoReply.stateWrites as IDataObject[]);
			assert.deepEqual(
				handoff.map(({ operation, key, ttl }) => ({ operation, key, ttl })),
				[{ operation: 'set', key: pauseKey, ttl: 240 * 60 }],
			);
			assert.equal(handoff[0].value, got[0][1].pausedUntil);
			assert.deepEqual(silent, []);
			assert.equal(got[1][1].pausedUntil, '2099-01-01T00:00:00.000Z');
			assert.deepEqual(answered, [{ operation: 'delete', key: countKey }]);
			assert.deepEqual(unanswered, [{ operation: 'increment', key: 'kefu:ar:unanswered:1000002:lisi', ttl: 86_400 }]);
			assert.equal(got[4][1].reason, 'unanswered');
			assert.deepEqual(handedAfterTwo.map(({ operation, key }) => [operation, key]), [
				['set', 'kefu:ar:pause:1000002:wangwu'],
				['delete', 'kefu:ar:unanswered:1000002:wangwu'],
			]);
			assert.deepEqual(staticData, {}, 'nothing kept in static data');
		});

		it('a later item of the same customer that carries the same state sees what an earlier one decided', async () => {
			// One kf pull brings a customer's messages together, read from Redis at the same moment.
			const same = { pause: null, unanswered: null };
			const { outputs, error } = await runFromItem(
				{ keywordRules: RULES, handOffAfterMisses: 2 },
				[
					message('转人工', same),
					message('价格', same),
					message('嗯？', same, 'lisi'),
					message('嗯？', same, 'lisi'),
					message('价格', same, 'lisi'),
				],
				typeVersion,
			);
			assert.equal(error, undefined, error?.message);
			const got = routed(outputs);
			assert.deepEqual(
				got.map(([output, autoReply]) => [output, autoReply.reason ?? null]),
				[[OUT.handoff, 'keyword'], [OUT.silent, 'withHuman'], [OUT.noMatch, null], [OUT.handoff, 'unanswered'], [OUT.silent, 'withHuman']],
			);
			// Each change is written once: the pause by the first, nothing by the silent one; lisi's count
			// once, then its hand-off.
			assert.deepEqual(
				got.map(([, autoReply]) => (autoReply.stateWrites as IDataObject[]).map(({ operation, key }) => `${operation} ${key}`)),
				[
					['set kefu:ar:pause:1000002:zhangsan'],
					[],
					['increment kefu:ar:unanswered:1000002:lisi'],
					['set kefu:ar:pause:1000002:lisi', 'delete kefu:ar:unanswered:1000002:lisi'],
					[],
				],
			);
		});

		it('fails an item without the state it needs, saying which Redis Get is missing', async () => {
			const { error } = await runFromItem({ handOffAfterMisses: 2 }, [message('你好', { pause: null })], typeVersion);
			assert.match(String(error?.message), /Conversation State is From the Item, but the item has no kefuState\.unanswered/);
			assert.match(String(error?.description), /Redis Get step/);
		});

		it('Hand Off and Release list their writes without reading the state', async () => {
			const handOff = await runFromItem({ operation: 'handOff', pauseMinutes: 30 }, [message('')], typeVersion);
			assert.equal(handOff.error, undefined, handOff.error?.message);
			const handed = handOff.outputs[0][0].json.autoReply as IDataObject;
			assert.deepEqual(
				(handed.stateWrites as IDataObject[]).map(({ operation, key, ttl }) => ({ operation, key, ttl })),
				[
					{ operation: 'set', key: 'kefu:ar:pause:1000002:zhangsan', ttl: 1800 },
					{ operation: 'delete', key: 'kefu:ar:unanswered:1000002:zhangsan', ttl: undefined },
				],
			);
			const release = await runFromItem({ operation: 'release' }, [message(''), message('', { pause: '2099-01-01T00:00:00.000Z' })], typeVersion);
			assert.equal(release.error, undefined, release.error?.message);
			const [unknown, wasPaused] = release.outputs[0].map((item) => item.json.autoReply as IDataObject);
			assert.equal(unknown.wasPaused, undefined);
			assert.equal(wasPaused.wasPaused, true);
			assert.deepEqual(
				(unknown.stateWrites as IDataObject[]).map(({ operation }) => operation),
				['delete', 'delete'],
			);
		});

		it('by default keeps the state in the process and lists no writes (unchanged)', async () => {
			const staticData: IDataObject = {};
			const { outputs, error } = await runNode({
				nodeType: 'autoReply',
				typeVersion,
				parameters: { text: '={{ $json.Content }}' },
				items: [message('转人工', { pause: null })],
				staticData,
				workflowId: `wf-item-state-default-${typeVersion}`,
			});
			assert.equal(error, undefined, error?.message);
			const autoReply = outputs[OUT.handoff][0].json.autoReply as IDataObject;
			assert.equal(autoReply.stateWrites, undefined);
			assert.ok(JSON.stringify(staticData).includes('1000002:zhangsan'));
		});
	});
}
