// What one AutoReply state write costs with 5,000 conversations in the workflow's static data (the
// cap), and what the writes of a 10-item AutoReply execution cost, through n8n-core's engine.
// Build: npm run build && node_modules/.bin/tsc -p tsconfig.test.json
// Run:   node_modules/.bin/node .test-build/bench/state-write.bench.js [--out=file.json]
// Writes bench/results/state-write.json (or --out).
//
// Rows:
// (a1) one write, an existing conversation: a message nobody answered, its unanswered count + 1,
//      as execute.ts saves it (openWorkflowState over static data wrapped by n8n-workflow's
//      ObservableObject, as n8n hands it to a node);
// (a2) one write, a new conversation at the cap (something must be evicted);
// (c)  one write, then n8n's save of that static data as at the end of an execution:
//      JSON.stringify of the whole workflow static data, as its database layer does ((c) − (a1) is
//      the save, paid once per execution, not per item);
// (b)  a 10-item AutoReply execution whose 10 items each write (new conversations, unanswered),
//      through test/nodes/harness.ts (the built node on n8n-core's WorkflowExecute; the harness
//      loads the static data with structuredClone and saves it with JSON, as n8n's database would);
// (b0) the same execution where no item writes (a keyword rule answers new conversations):
//      (b) − (b0) is what the 10 writes and their save cost.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { argv, cpuUsage } from 'node:process';
import { performance } from 'node:perf_hooks';

import { ObservableObject, type IDataObject } from 'n8n-workflow';

import { requireBuilt, runNode, cleanupHarness } from '../test/nodes/harness';
import { emptyState, MAX_CONVERSATIONS, reviveState, snapshotState, STATE_NAMESPACE, type AutoReplyState } from '../nodes/AutoReply/engine/state';
import { openWorkflowState, type WorkflowState } from '../nodes/common/workflowState';
import { machine, machineLine, measure, median } from './support/measure';

const CONVERSATIONS = MAX_CONVERSATIONS;
const WARMUP_MS = 1000;
const ROUNDS = 7;
const ROUND_MS = 400;
const EXECUTIONS_PER_ROUND = 5;
const ITEMS = 10;

/**
 * The static data n8n would load: 5,000 conversations, written over the last ~14 hours, oldest
 * first: every 10th one paused (with a human for 2 more hours), 2 in 10 with today's out-of-hours
 * mark, the rest with 1 or 2 unanswered messages.
 */
function storedState(now: number): IDataObject {
	const conversations: Record<string, IDataObject> = {};
	const today = new Date(now).toISOString().slice(0, 10);
	for (let i = 0; i < CONVERSATIONS; i++) {
		const updatedAt = now - (CONVERSATIONS - i) * 10_000;
		const kind = i % 10;
		conversations[`wkKf1:wmStored${i}`] =
			kind === 0
				? { pausedUntil: now + 2 * 3_600_000, updatedAt }
				: kind <= 2
					? { outOfHoursDay: today, updatedAt }
					: { misses: 1 + (i % 2), updatedAt };
	}
	return { conversations };
}

/** The workflow's static data as n8n hands it to a node (ObservableObject, 'global' key). */
function n8nStaticData(stored: IDataObject) {
	const root = ObservableObject.create({ global: { [STATE_NAMESPACE]: structuredClone(stored) } }, undefined, {
		ignoreEmptyOnFirstChild: true,
	}) as IDataObject;
	return { root, global: root.global as IDataObject };
}

/** What execute.ts does to read and save one conversation's state (follows execute.ts). */
function writeConversation(state: WorkflowState<AutoReplyState>, id: string, now: number): void {
	const current = state.read().get(id, now);
	const next = { ...current, updatedAt: now, misses: (current?.misses ?? 0) + 1 };
	state.update((draft) => void draft.set(id, next, now));
}

interface Row {
	label: string;
	cpuUs: number[];
	wallUs: number[];
}

function microRow(label: string, fn: () => void): Row & { run: () => void } {
	const row: Row & { run: () => void } = {
		label,
		cpuUs: [],
		wallUs: [],
		run: () => {
			const { cpu, wall } = measure(fn, ROUND_MS, 1);
			row.cpuUs.push(1e6 / cpu);
			row.wallUs.push(1e6 / wall);
		},
	};
	return row;
}

async function main(): Promise<void> {
	const outArg = argv.find((a) => a.startsWith('--out='))?.slice('--out='.length);
	const workflowState = await requireBuilt<typeof import('../nodes/common/workflowState')>('dist/nodes/common/workflowState.js');
	const now0 = Date.now();
	const stored = storedState(now0);

	// (a1), (a2), (c): one execution's static data, its state opened once, written many times.
	const direct = n8nStaticData(stored);
	const context = {
		getWorkflow: () => ({ id: 'bench-direct', name: 'bench', active: true }),
		getWorkflowStaticData: () => direct.global,
	} as unknown as Parameters<typeof openWorkflowState>[0];
	const state = openWorkflowState<AutoReplyState>(context, STATE_NAMESPACE, emptyState, reviveState, snapshotState);
	assert.equal(state.read().size, CONVERSATIONS);
	let existing = 0;
	let fresh = 0;
	let sink = 0;
	const rows = [
		microRow('(a1) one write: existing conversation, unanswered + 1', () => {
			writeConversation(state, `wkKf1:wmStored${CONVERSATIONS - 1 - (existing++ % 1000)}`, Date.now());
		}),
		microRow('(a2) one write: new conversation at the cap', () => {
			writeConversation(state, `wkKf1:wmFresh${fresh++}`, Date.now());
		}),
		microRow("(c) one write + n8n's save (JSON.stringify of the static data)", () => {
			writeConversation(state, `wkKf1:wmStored${CONVERSATIONS - 1 - (existing++ % 1000)}`, Date.now());
			sink += JSON.stringify(direct.root).length;
		}),
	];
	assert.equal(direct.root.__dataChanged, false);
	for (const row of rows) row.run();
	assert.equal(direct.root.__dataChanged, true, 'n8n sees the change');
	for (const row of rows) {
		row.cpuUs.length = 0;
		row.wallUs.length = 0;
	}
	for (let round = 0; round < ROUNDS; round++) {
		for (let i = 0; i < rows.length; i++) rows[(i + round) % rows.length].run();
	}
	const saved = JSON.parse(JSON.stringify(direct.global)) as IDataObject;
	const savedCount = Object.keys((saved[STATE_NAMESPACE] as { conversations: object }).conversations).length;
	assert.ok(savedCount <= CONVERSATIONS && savedCount >= CONVERSATIONS - 1, `saved ${savedCount} conversations`);

	// (b), (b0): whole executions through n8n-core.
	workflowState.resetWorkflowStates();
	const staticData: IDataObject = { global: { [STATE_NAMESPACE]: storedState(Date.now()) } };
	const parameters = {
		handOffAfterMisses: 3,
		keywordRules: { rule: [{ name: 'hello', keywords: '你好', matchType: 'contains', reply: '您好！', priority: 0 }] },
	};
	let user = 0;
	const execution = (text: string, output: number) => async () => {
		const items = Array.from({ length: ITEMS }, () => ({ open_kfid: 'wkKf1', external_userid: `wmRun${user++}`, text }));
		const result = await runNode({ nodeType: 'autoReply', parameters, items, workflowId: 'bench-node', staticData });
		assert.equal(result.error, undefined, result.error?.message);
		assert.equal(result.outputs[output].length, ITEMS);
	};
	const executionRows = [
		{ label: `(b) ${ITEMS}-item execution, every item writes`, fn: execution('asdf', 3), cpuUs: [] as number[], wallUs: [] as number[] },
		{ label: `(b0) ${ITEMS}-item execution, no item writes`, fn: execution('你好', 0), cpuUs: [] as number[], wallUs: [] as number[] },
	];
	const runExecutions = async (row: (typeof executionRows)[number], record: boolean) => {
		const cpuStart = cpuUsage();
		const started = performance.now();
		for (let i = 0; i < EXECUTIONS_PER_ROUND; i++) await row.fn();
		const cpu = cpuUsage(cpuStart);
		if (!record) return;
		row.cpuUs.push((cpu.user + cpu.system) / EXECUTIONS_PER_ROUND);
		row.wallUs.push(((performance.now() - started) * 1000) / EXECUTIONS_PER_ROUND);
	};
	const warmUntil = performance.now() + WARMUP_MS;
	while (performance.now() < warmUntil) for (const row of executionRows) await runExecutions(row, false);
	for (let round = 0; round < ROUNDS; round++) {
		for (let i = 0; i < executionRows.length; i++) await runExecutions(executionRows[(i + round) % executionRows.length], true);
	}
	const nodeCount = Object.keys(((staticData.global as IDataObject)[STATE_NAMESPACE] as { conversations: object }).conversations).length;
	assert.ok(nodeCount <= CONVERSATIONS, `the node keeps at most the cap (${nodeCount})`);

	console.log(machineLine());
	console.log(`${CONVERSATIONS} conversations (1 in 10 paused, 2 in 10 out-of-hours marks, the rest unanswered counts)`);
	console.log(`\nrow${' '.repeat(60)}CPU ms (median)   wall ms   min–max CPU ms`);
	const summary = [...rows, ...executionRows].map((row) => {
		const out = {
			label: row.label,
			cpuMs: Math.round(median(row.cpuUs)) / 1000,
			wallMs: Math.round(median(row.wallUs)) / 1000,
			minMaxCpuMs: [Math.round(Math.min(...row.cpuUs)) / 1000, Math.round(Math.max(...row.cpuUs)) / 1000],
		};
		console.log(`${row.label.padEnd(62)} ${String(out.cpuMs).padStart(12)} ${String(out.wallMs).padStart(10)}   ${out.minMaxCpuMs.join('–')}`);
		return out;
	});
	const writesOf10 = Math.round((summary[3].cpuMs - summary[4].cpuMs) * 1000) / 1000;
	console.log(`\n(b) − (b0): ${writesOf10} ms of CPU for ${ITEMS} writes and their save, ${Math.round((writesOf10 / ITEMS) * 1000) / 1000} ms per item`);

	const out = outArg ? path.resolve(outArg) : path.resolve(__dirname, '..', '..', 'bench', 'results', 'state-write.json');
	writeFileSync(
		out,
		`${JSON.stringify(
			{
				...machine(),
				conversations: CONVERSATIONS,
				method: `micro rows: ${ROUNDS} interleaved rounds of ${ROUND_MS} ms after a warm-up round; execution rows: ${WARMUP_MS} ms warm-up, ${ROUNDS} interleaved rounds of ${EXECUTIONS_PER_ROUND} executions; median CPU time (user + system) of this process per call or execution`,
				rows: summary,
				writesOf10ItemExecutionCpuMs: writesOf10,
			},
			null,
			'\t',
		)}\n`,
	);
	console.log(`wrote ${path.relative(process.cwd(), out)} (sink ${sink > 0})`);
	cleanupHarness();
}

void main();
