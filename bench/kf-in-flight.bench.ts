// What the kf messages in flight add to every save of a workflow's static data: the size of Pull
// Messages' state (the bytes n8n writes to the workflow row, and copies into each execution it keeps)
// and the CPU of one save, with 0 to 500 messages in flight on one kf account (MAX_IN_FLIGHT).
// Build: npm run build && node_modules/.bin/tsc -p tsconfig.test.json
// Run:   node_modules/.bin/node .test-build/bench/kf-in-flight.bench.js [--out=file.json]
// Writes bench/results/kf-in-flight.json (or --out).
//
// Inputs: one kf account with a cursor and 1,000 msgids handed out (SEEN_MSGIDS, the bound that was
// there before), and N messages in flight, each a sync_msg text entry as WeCom sends it (msgid of 32
// hex characters, open_kfid, external_userid, send_time, origin, msgtype) of two sizes: a typical
// question of 20 Chinese characters, and the longest text WeCom's send limit suggests (2,048 bytes).
// All but one belong to other executions (the one that saves leaves its own out, so that filter runs).
// The row "before" is the state as it was before messages in flight existed.
//
// One save, as n8n makes it at the end of an execution: the state changed (an update), then
// JSON.stringify of the whole static data (ObservableObject, as n8n hands it to a node); the getter
// copies the state, leaves out the saving execution's messages, and n8n serialises it.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { argv } from 'node:process';

import { ObservableObject, type IDataObject } from 'n8n-workflow';

import {
	emptySyncState,
	MAX_IN_FLIGHT,
	reviveSyncState,
	savedByExecution,
	SEEN_MSGIDS,
	type InFlightMessage,
	type SyncState,
} from '../nodes/WeCom/actions/kfMessage/syncState';
import { openWorkflowState, resetWorkflowStates } from '../nodes/common/workflowState';
import { machine, machineLine, measure, median } from './support/measure';

const ACCOUNT = 'ww_bench_corp:wkBENCHKF0001';
const NAMESPACE = 'kefuKfSync';
const ROUNDS = 7;
const ROUND_MS = 400;
const SAVER = 'saver';

const hex = (i: number) => i.toString(16).toUpperCase().padStart(32, '0');
const TYPICAL = '请问你们的产品可以寄到国外吗？运费多少'; // 20 characters, 60 bytes
const LONGEST = '长'.repeat(682); // 2,046 bytes of UTF-8

function inFlight(count: number, content: string, now: number): InFlightMessage[] {
	return Array.from({ length: count }, (_, i) => ({
		message: {
			msgid: hex(i),
			open_kfid: 'wkBENCHKF0001',
			external_userid: `wmBenchCustomer${String(i).padStart(12, '0')}`,
			send_time: Math.floor(now / 1000),
			origin: 3,
			msgtype: 'text',
			text: { content },
		},
		executionId: i === 0 ? SAVER : String(100_000 + i),
		handedOutAt: now,
	}));
}

function stored(count: number, content: string, withList = true): IDataObject {
	const now = Date.now();
	const account: IDataObject = {
		cursor: '4gw7MepFLfLvKN3DvZoKKs',
		seen: Array.from({ length: SEEN_MSGIDS }, (_, i) => hex(1_000_000 + i)),
		pulledAt: now,
	};
	if (withList) account.inFlight = inFlight(count, content, now);
	return { accounts: { [ACCOUNT]: account } };
}

interface Row {
	label: string;
	inFlight: number;
	bytes: number;
	cpuUs: number[];
	run(): void;
}

function row(label: string, count: number, content: string, withList = true): Row {
	resetWorkflowStates();
	const root = ObservableObject.create({ global: { [NAMESPACE]: stored(count, content, withList) } }, undefined, {
		ignoreEmptyOnFirstChild: true,
	}) as IDataObject;
	const global = root.global as IDataObject;
	const context = {
		getExecutionId: () => SAVER,
		getWorkflow: () => ({ id: `bench-${label}`, name: 'bench', active: true }),
		getWorkflowStaticData: () => global,
	} as unknown as Parameters<typeof openWorkflowState>[0];
	// A revived state has every message orphaned; the bench wants them as this process's executions'.
	const revive = (value: unknown) => {
		const state = reviveSyncState(value);
		for (const entry of state?.accounts[ACCOUNT]?.inFlight ?? []) delete entry.orphaned;
		return state;
	};
	const state = openWorkflowState<SyncState>(
		context,
		NAMESPACE,
		emptySyncState,
		revive,
		undefined,
		savedByExecution(new Set(), false),
	);
	let pulls = 0;
	const save = () => {
		state.update((draft) => void (draft.accounts[ACCOUNT].pulledAt = ++pulls));
		return JSON.stringify(root);
	};
	const saved = JSON.parse(save()) as { global: { [NAMESPACE]: SyncState } };
	const account = saved.global[NAMESPACE].accounts[ACCOUNT];
	assert.equal(account.inFlight?.length ?? 0, Math.max(0, count - 1), 'the saving execution’s own message is left out');
	const r: Row = {
		label,
		inFlight: count,
		bytes: Buffer.byteLength(JSON.stringify(saved.global[NAMESPACE])),
		cpuUs: [],
		run: () => {
			const { cpu } = measure(save, ROUND_MS, 1);
			r.cpuUs.push(1e6 / cpu);
		},
	};
	return r;
}

function main(): void {
	const outArg = argv.find((a) => a.startsWith('--out='))?.slice('--out='.length);
	const rows = [
		row('before: cursor + 1,000 msgids, no list', 0, TYPICAL, false),
		row('0 in flight', 0, TYPICAL),
		row('20 in flight, 20-character questions', 20, TYPICAL),
		row('100 in flight, 20-character questions', 100, TYPICAL),
		row(`${MAX_IN_FLIGHT} in flight, 20-character questions`, MAX_IN_FLIGHT, TYPICAL),
		row(`${MAX_IN_FLIGHT} in flight, 2,046-byte texts`, MAX_IN_FLIGHT, LONGEST),
	];
	for (const r of rows) r.run(); // warm-up
	for (const r of rows) r.cpuUs.length = 0;
	for (let round = 0; round < ROUNDS; round++) {
		for (let i = 0; i < rows.length; i++) rows[(i + round) % rows.length].run();
	}

	console.log(machineLine());
	console.log(`\nrow${' '.repeat(44)}saved state   CPU ms per save (median)   min–max`);
	const summary = rows.map((r) => {
		const out = {
			label: r.label,
			inFlight: r.inFlight,
			savedInFlight: Math.max(0, r.inFlight - 1),
			savedKiB: Math.round(r.bytes / 102.4) / 10,
			cpuMs: Math.round(median(r.cpuUs)) / 1000,
			minMaxCpuMs: [Math.round(Math.min(...r.cpuUs)) / 1000, Math.round(Math.max(...r.cpuUs)) / 1000],
		};
		console.log(
			`${r.label.padEnd(46)} ${`${out.savedKiB} KiB`.padStart(11)} ${String(out.cpuMs).padStart(24)}   ${out.minMaxCpuMs.join('–')}`,
		);
		return out;
	});
	const out = outArg ? path.resolve(outArg) : path.resolve(__dirname, '..', '..', 'bench', 'results', 'kf-in-flight.json');
	writeFileSync(
		out,
		`${JSON.stringify(
			{
				...machine(),
				method: `${ROUNDS} interleaved rounds of ${ROUND_MS} ms after a warm-up round; median CPU time (user + system) of this process per save (an update, then JSON.stringify of the whole static data)`,
				rows: summary,
			},
			null,
			'\t',
		)}\n`,
	);
	console.log(`wrote ${path.relative(process.cwd(), out)}`);
}

main();
