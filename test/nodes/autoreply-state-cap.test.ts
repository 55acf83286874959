/**
 * The AutoReply node at its state cap (5,000 conversations), as n8n runs it (built dist/, n8n-core's
 * WorkflowExecute, static data saved between executions): what costs least to lose goes first, and
 * a hand-off pause is never lost to newer "unanswered" marks. Needs `npm run build` first.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import type { IDataObject, INodeParameters } from 'n8n-workflow';

import { cleanupHarness, requireBuilt, runNode, type RunNodeResult } from './harness';

type StateModule = typeof import('../../nodes/common/workflowState');

const OUT = { keyword: 0, faq: 1, handoff: 2, noMatch: 3, outOfHours: 4, silent: 5 } as const;
const CAP = 5000;

let state: StateModule;
let workflowCounter = 0;

before(async () => {
	state = await requireBuilt<StateModule>('dist/nodes/common/workflowState.js');
});
after(() => cleanupHarness());

const kf = (user: string, text: string): IDataObject => ({ open_kfid: 'wkKf1', external_userid: user, text });

function stored(conversations: Record<string, IDataObject>): IDataObject {
	return { global: { kefuAutoReply: { conversations } } };
}

function savedConversations(staticData: IDataObject): Record<string, IDataObject> {
	return ((staticData.global as IDataObject).kefuAutoReply as { conversations: Record<string, IDataObject> }).conversations;
}

function hintsOf(result: RunNodeResult): Array<{ message: string; type?: string }> {
	const task = result.run?.data.resultData.runData['Node Under Test']?.[0] as { hints?: Array<{ message: string; type?: string }> };
	return task?.hints ?? [];
}

async function run(workflowId: string, staticData: IDataObject, items: IDataObject[], parameters: INodeParameters = { handOffAfterMisses: 3 }) {
	const result = await runNode({ nodeType: 'autoReply', parameters, items, workflowId, staticData });
	assert.equal(result.error, undefined, result.error?.message);
	return result;
}

describe('AutoReply node: state at the cap', () => {
	it('keeps an older live pause when 5,000 newer unanswered marks fill the state', async () => {
		const now = Date.now();
		const conversations: Record<string, IDataObject> = {
			'wkKf1:wmWithHuman': { pausedUntil: now + 3_600_000, updatedAt: now - 2 * 3_600_000 },
		};
		for (let i = 0; i < CAP; i++) conversations[`wkKf1:wmMiss${i}`] = { misses: 1, updatedAt: now - 3_600_000 + i };
		const staticData = stored(conversations);
		const workflowId = `wf-cap-${++workflowCounter}`;

		await run(workflowId, staticData, [kf('wmNew1', 'asdf'), kf('wmNew2', 'asdf')]);
		const saved = savedConversations(staticData);
		assert.ok('wkKf1:wmWithHuman' in saved, 'the pause is in what n8n saved');
		assert.equal(Object.keys(saved).length, CAP);
		assert.ok(!('wkKf1:wmMiss0' in saved) && 'wkKf1:wmNew2' in saved, 'the oldest unanswered marks went');

		state.resetWorkflowStates(); // a restart: only what n8n saved remains
		const after = await run(workflowId, staticData, [kf('wmWithHuman', '在吗')]);
		assert.equal(after.outputs[OUT.silent].length, 1, 'the bot stays silent: the conversation is with a human');
		assert.equal((after.outputs[OUT.silent][0].json.autoReply as IDataObject).reason, 'withHuman');
	});

	it('evicts out-of-hours marks first, then unanswered counts, oldest first, and says so', async () => {
		const now = Date.now();
		const today = new Date(now).toISOString().slice(0, 10);
		// Oldest first: a pause, then 2,000 unanswered counts, then 2,999 out-of-hours marks.
		const conversations: Record<string, IDataObject> = {
			'wkKf1:wmPaused': { pausedUntil: now + 3_600_000, updatedAt: now - 3 * 3_600_000 },
		};
		for (let i = 0; i < 2000; i++) conversations[`wkKf1:wmMiss${i}`] = { misses: 2, updatedAt: now - 2 * 3_600_000 + i };
		for (let i = 0; i < CAP - 2001; i++) conversations[`wkKf1:wmNight${i}`] = { outOfHoursDay: today, updatedAt: now - 3_600_000 + i };
		const staticData = stored(conversations);
		const workflowId = `wf-cap-${++workflowCounter}`;

		const result = await run(workflowId, staticData, [kf('wmA', 'asdf'), kf('wmB', 'asdf'), kf('wmC', 'asdf')]);
		const saved = savedConversations(staticData);
		assert.equal(Object.keys(saved).length, CAP);
		const gone = Object.keys(conversations).filter((id) => !(id in saved));
		assert.deepEqual(gone, ['wkKf1:wmNight0', 'wkKf1:wmNight1', 'wkKf1:wmNight2']);
		const hint = hintsOf(result).find((h) => h.message.includes('forgot the oldest'));
		assert.ok(hint, 'the operator is told the cap was reached');
		assert.match(hint.message, /3 out-of-hours mark\(s\).*0 unanswered count\(s\)/);
	});

	it('keeps pauses beyond the cap up to 10,000, then warns about the one it loses', async () => {
		const now = Date.now();
		const conversations: Record<string, IDataObject> = {};
		for (let i = 0; i < 2 * CAP; i++) conversations[`wkKf1:wmHuman${i}`] = { pausedUntil: now + 3_600_000, updatedAt: now - 3_600_000 + i };
		const staticData = stored(conversations);
		const workflowId = `wf-cap-${++workflowCounter}`;

		const result = await run(workflowId, staticData, [kf('wmLate', 'AI failed')], { operation: 'handOff' });
		const saved = savedConversations(staticData);
		assert.equal(Object.keys(saved).length, 2 * CAP);
		assert.ok(!('wkKf1:wmHuman0' in saved) && 'wkKf1:wmHuman1' in saved && 'wkKf1:wmLate' in saved);
		const warning = hintsOf(result).find((h) => h.type === 'warning');
		assert.match(warning?.message ?? '', /forgot the hand-off pause of 1 conversation/);
	});
});
