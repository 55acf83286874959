// One lead for many simultaneous customer actions: which arrangement of n8n's own nodes (Webhook, Data
// Table, If, Respond to Webhook) creates exactly one customer row when the same new phone number arrives in
// several requests at once, and answers customerCreated=true to exactly one of them.
// Build: npm run build && node_modules/.bin/tsc -p tsconfig.test.json
// Run:   node_modules/.bin/node .test-build/bench/miniprogram-leads-race.bench.js
//          [--designs=get-insert,upsert,insert-compensate,upsert-claim,find-first-compensate] [--concurrency=10,50] [--rounds=20]
//          [--n8n-env=KEY=VALUE ...] [--out=file.json]
//        (or npm run bench -- miniprogram-leads-race). Writes bench/results/miniprogram-leads-race.json (or --out).
//
// One n8n (the pinned version, started by test/e2e/harness.ts with its settings: SQLite, DB_SQLITE_POOL_SIZE=2,
// all on 127.0.0.1; --n8n-env adds or overrides settings, e.g. DB_SQLITE_POOL_SIZE=3, n8n's default, or
// N8N_CONCURRENCY_PRODUCTION_LIMIT=1). Each design is one published workflow with its own Data Table
// (columns phone, openid, status, note: all text), "Webhook (POST, answer from Respond to Webhook) → … →
// Respond to Webhook" answering { customerCreated, customerId }:
//   get-insert          Get row by phone → If found: answer existing; else Insert → answer created.
//   upsert              Upsert by phone (all lead columns) → answer created when createdAt equals updatedAt
//                       (to the millisecond).
//   insert-compensate   Insert → Get rows by phone, lowest id first, limit 1 → If that row is mine: answer
//                       created; else Delete my row → answer existing with the first row's id.
//   upsert-claim        Upsert by phone (the phone only) → Update rows where phone and status is empty, set
//                       status "待定", openid and note (the claim) → created when the update changed a row.
//   find-first-compensate  Get by phone, lowest id first, limit 1 → If found: answer existing (a known
//                       customer writes nothing); else insert-compensate as above.
// Inputs per round: a fresh mainland mobile number, sent by `concurrency` POSTs at once (one fetch each,
// started together, each its own openid), the round's answers awaited before the next round; 20 rounds for
// each concurrency. Counted per round from the answers and the table read back through n8n's public API:
// rows left with that phone, answers with customerCreated=true, answers other than 200, answers whose
// customerId is not the row that is left; at the end, failed executions of the workflow.
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { argv } from 'node:process';
import { performance } from 'node:perf_hooks';

import { type N8nInstance, startN8n, type WorkflowJson } from '../test/e2e/harness';
import { machine, machineLine, median } from './support/measure';

const DESIGNS = ['get-insert', 'upsert', 'insert-compensate', 'upsert-claim', 'find-first-compensate'] as const;
type Design = (typeof DESIGNS)[number];

function option(name: string): string | undefined {
	return argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
}
const designs = (option('designs')?.split(',') ?? [...DESIGNS]) as Design[];
for (const d of designs) if (!DESIGNS.includes(d)) throw new Error(`unknown design ${d}; known: ${DESIGNS.join(', ')}`);
const concurrencies = (option('concurrency') ?? '10,50').split(',').map(Number);
const rounds = Number(option('rounds') ?? 20);
const n8nEnv = Object.fromEntries(
	argv.filter((a) => a.startsWith('--n8n-env=')).map((a) => a.slice('--n8n-env='.length).split(/=(.*)/s).slice(0, 2)),
) as Record<string, string>;
const out = option('out') ?? path.join(__dirname, '..', '..', 'bench', 'results', 'miniprogram-leads-race.json');

const COLUMNS = ['phone', 'openid', 'status', 'note'];
const BODY = "$('Webhook').first().json.body";

type Node = WorkflowJson['nodes'][number];

function table(id: string) {
	return { __rl: true, mode: 'id', value: id };
}
function byPhone() {
	return { conditions: [{ keyName: 'phone', condition: 'eq', keyValue: `={{ ${BODY}.phone }}` }] };
}
function columns(value: Record<string, string>) {
	return { mappingMode: 'defineBelow', value, matchingColumns: [], schema: [] };
}
/** The lead as the customer-action template writes it (fewer columns: enough to race on). */
const LEAD = {
	phone: `={{ ${BODY}.phone }}`,
	openid: `={{ ${BODY}.openid }}`,
	status: '待定',
	note: `={{ 'created by ' + ${BODY}.action }}`,
};

/** Settings → Retry On Fail for a Get that may meet concurrent inserts; n8n turns a wait of 0 into 1000 ms. */
const RETRY_READ = { retryOnFail: true, maxTries: 3, waitBetweenTries: 100 };

function dataTable(name: string, tableId: string, operation: string, parameters: Record<string, unknown>, extra: Partial<Node> = {}): Node {
	return {
		name,
		type: 'n8n-nodes-base.dataTable',
		typeVersion: 1.1,
		position: [0, 0],
		parameters: { resource: 'row', operation, dataTableId: table(tableId), ...parameters },
		...extra,
	};
}
function respond(name: string, created: string, customerId: string): Node {
	return {
		name,
		type: 'n8n-nodes-base.respondToWebhook',
		typeVersion: 1.1,
		position: [0, 0],
		parameters: { respondWith: 'json', responseBody: `={{ JSON.stringify({ customerCreated: ${created}, customerId: ${customerId} }) }}`, options: {} },
	};
}
function ifNode(name: string, leftValue: string, operator: Record<string, unknown>, rightValue = ''): Node {
	return {
		name,
		type: 'n8n-nodes-base.if',
		typeVersion: 2.2,
		position: [0, 0],
		parameters: {
			conditions: {
				options: { caseSensitive: true, leftValue: '', typeValidation: 'loose', version: 2 },
				conditions: [{ id: 'c1', leftValue, rightValue, operator }],
				combinator: 'and',
			},
			options: {},
		},
	};
}
/** `from → to` for a chain, and `[from, output] → to` for an If's outputs. */
function connect(links: Array<[string | [string, number], string]>): Record<string, unknown> {
	const connections: Record<string, { main: Array<Array<{ node: string; type: 'main'; index: 0 }>> }> = {};
	for (const [from, to] of links) {
		const [name, output] = typeof from === 'string' ? [from, 0] : from;
		const main = (connections[name] ??= { main: [] }).main;
		while (main.length <= output) main.push([]);
		main[output].push({ node: to, type: 'main', index: 0 });
	}
	return connections;
}

const LOWEST_ID_FIRST = { orderBy: true, orderByColumn: 'id', orderByDirection: 'ASC' };

/** Insert my lead, then the lowest id with this phone wins; a loser deletes its own row. */
function compensated(tableId: string): Node[] {
	return [
		dataTable('Insert Lead', tableId, 'insert', { columns: columns(LEAD) }),
		dataTable('First Lead', tableId, 'get', { filters: byPhone(), limit: 1, ...LOWEST_ID_FIRST }),
		ifNode('Mine?', '={{ $json.id }}', { type: 'number', operation: 'equals' }, "={{ $('Insert Lead').first().json.id }}"),
		dataTable('Delete My Row', tableId, 'deleteRows', {
			filters: { conditions: [{ keyName: 'id', condition: 'eq', keyValue: "={{ $('Insert Lead').first().json.id }}" }] },
		}),
		respond('Answer Created', 'true', '$json.id'),
		respond('Answer Existing', 'false', "$('First Lead').first().json.id"),
	];
}
const COMPENSATED_LINKS: Array<[string | [string, number], string]> = [
	['Insert Lead', 'First Lead'],
	['First Lead', 'Mine?'],
	[['Mine?', 0], 'Answer Created'],
	[['Mine?', 1], 'Delete My Row'],
	['Delete My Row', 'Answer Existing'],
];

function workflow(design: Design, tableId: string, webhookPath: string): WorkflowJson {
	const webhook: Node = {
		name: 'Webhook',
		type: 'n8n-nodes-base.webhook',
		typeVersion: 2.1,
		position: [0, 0],
		webhookId: webhookPath,
		parameters: { httpMethod: 'POST', path: webhookPath, responseMode: 'responseNode', options: {} },
	};
	const exists = { type: 'number', operation: 'exists', singleValue: true };
	let nodes: Node[];
	let links: Array<[string | [string, number], string]>;
	switch (design) {
		case 'get-insert':
			nodes = [
				webhook,
				dataTable('Find Customer', tableId, 'get', { filters: byPhone(), limit: 1 }, { alwaysOutputData: true }),
				ifNode('Known?', '={{ $json.id }}', exists),
				dataTable('Insert Lead', tableId, 'insert', { columns: columns(LEAD) }),
				respond('Answer Existing', 'false', '$json.id'),
				respond('Answer Created', 'true', '$json.id'),
			];
			links = [['Webhook', 'Find Customer'], ['Find Customer', 'Known?'], [['Known?', 0], 'Answer Existing'], [['Known?', 1], 'Insert Lead'], ['Insert Lead', 'Answer Created']];
			break;
		case 'upsert':
			nodes = [
				webhook,
				dataTable('Upsert Lead', tableId, 'upsert', { filters: byPhone(), columns: columns(LEAD) }),
				respond('Answer', 'new Date($json.createdAt).getTime() === new Date($json.updatedAt).getTime()', '$json.id'),
			];
			links = [['Webhook', 'Upsert Lead'], ['Upsert Lead', 'Answer']];
			break;
		case 'insert-compensate':
			nodes = [webhook, ...compensated(tableId)];
			links = [['Webhook', 'Insert Lead'], ...COMPENSATED_LINKS];
			break;
		case 'find-first-compensate':
			nodes = [
				webhook,
				// As in the template: the Get runs again when rows change under it (docs/miniprogram-leads.md).
				dataTable('Find Customer', tableId, 'get', { filters: byPhone(), limit: 1, ...LOWEST_ID_FIRST }, { alwaysOutputData: true, ...RETRY_READ }),
				ifNode('Known?', '={{ $json.id }}', exists),
				respond('Answer Known', 'false', '$json.id'),
				...compensated(tableId),
			];
			links = [['Webhook', 'Find Customer'], ['Find Customer', 'Known?'], [['Known?', 0], 'Answer Known'], [['Known?', 1], 'Insert Lead'], ...COMPENSATED_LINKS];
			break;
		case 'upsert-claim':
			nodes = [
				webhook,
				dataTable('Upsert Phone', tableId, 'upsert', { filters: byPhone(), columns: columns({ phone: LEAD.phone }) }),
				dataTable(
					'Claim Lead',
					tableId,
					'update',
					{
						matchType: 'allConditions',
						filters: { conditions: [...byPhone().conditions, { keyName: 'status', condition: 'isEmpty' }] },
						columns: columns({ openid: LEAD.openid, status: LEAD.status, note: LEAD.note }),
					},
					{ alwaysOutputData: true },
				),
				respond('Answer', '$json.id !== undefined', "$('Upsert Phone').first().json.id"),
			];
			links = [['Webhook', 'Upsert Phone'], ['Upsert Phone', 'Claim Lead'], ['Claim Lead', 'Answer']];
			break;
	}
	nodes.forEach((node, i) => (node.position = [i * 220, 300]));
	return { name: `Leads race: ${design}`, nodes, connections: connect(links), settings: { executionOrder: 'v1' } };
}

interface Answer {
	status: number;
	created?: boolean;
	customerId?: number;
	ms: number;
	text: string;
}

async function post(url: string, body: unknown): Promise<Answer> {
	const started = performance.now();
	try {
		const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
		const text = await res.text();
		const ms = performance.now() - started;
		try {
			const json = JSON.parse(text) as { customerCreated?: boolean; customerId?: number };
			return { status: res.status, created: json.customerCreated, customerId: json.customerId, ms, text };
		} catch {
			return { status: res.status, ms, text };
		}
	} catch (error) {
		return { status: 0, ms: performance.now() - started, text: String(error) };
	}
}

async function allRows(n8n: N8nInstance, tableId: string): Promise<Array<{ id: number; phone: string }>> {
	const rows: Array<{ id: number; phone: string }> = [];
	let cursor: string | undefined;
	do {
		const qs = new URLSearchParams({ limit: '250' });
		if (cursor) qs.set('cursor', cursor);
		const page = await n8n.api<{ data: Array<{ id: number; phone: string }>; nextCursor?: string | null }>('GET', `/data-tables/${tableId}/rows?${qs}`);
		rows.push(...page.data);
		cursor = page.nextCursor ?? undefined;
	} while (cursor);
	return rows;
}

interface RoundResult {
	phone: string;
	rows: number;
	createdAnswers: number;
	non200: number;
	wrongId: number;
}

function percentile(values: number[], p: number): number {
	const sorted = [...values].sort((x, y) => x - y);
	return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

async function main(): Promise<void> {
	console.log(machineLine());
	console.log(`designs ${designs.join(', ')}; concurrency ${concurrencies.join(', ')}; ${rounds} rounds; n8n env ${JSON.stringify(n8nEnv)}`);
	const n8n = await startN8n({ env: n8nEnv });
	const results: Record<string, unknown>[] = [];
	try {
		for (const design of designs) {
			const { id: tableId } = await n8n.api<{ id: string }>('POST', '/data-tables', {
				name: `leads ${design}`,
				columns: COLUMNS.map((name) => ({ name, type: 'string' })),
			});
			const webhookPath = randomUUID();
			const { id: workflowId } = await n8n.importWorkflow(workflow(design, tableId, webhookPath));
			await n8n.publish(workflowId);
			const url = `${n8n.baseUrl}/webhook/${webhookPath}`;
			// Registered once it answers; the warm-up phone is left out of the counts.
			for (let tries = 0; (await post(url, { phone: '10000000000', openid: 'warm-up', action: 'view_resume' })).status !== 200; tries++) {
				if (tries > 50) throw new Error(`the ${design} webhook does not answer 200`);
				await new Promise((r) => setTimeout(r, 200));
			}
			for (const concurrency of concurrencies) {
				const perRound: RoundResult[] = [];
				const latencies: number[] = [];
				const samples: string[] = [];
				const started = performance.now();
				for (let round = 0; round < rounds; round++) {
					const phone = `13${String(Math.floor(Math.random() * 1e9)).padStart(9, '0')}`;
					const answers = await Promise.all(
						Array.from({ length: concurrency }, async (_, i) => await post(url, { phone, openid: `o-${phone}-${i}`, action: 'contact_advisor' })),
					);
					latencies.push(...answers.map((a) => a.ms));
					for (const a of answers) if (a.status !== 200 && samples.length < 3) samples.push(`${a.status} ${a.text.slice(0, 300)}`);
					const left = (await allRows(n8n, tableId)).filter((r) => r.phone === phone);
					perRound.push({
						phone,
						rows: left.length,
						createdAnswers: answers.filter((a) => a.created === true).length,
						non200: answers.filter((a) => a.status !== 200).length,
						wrongId: answers.filter((a) => a.status === 200 && (left.length !== 1 || a.customerId !== left[0].id)).length,
					});
				}
				const seconds = (performance.now() - started) / 1000;
				const executions = await n8n.settledExecutions(workflowId, 1_500, 300_000);
				const failed = executions.filter((e) => e.status !== 'success').length;
				const summary = {
					design,
					concurrency,
					rounds,
					roundsWithOneRow: perRound.filter((r) => r.rows === 1).length,
					rowsPerPhone: { min: Math.min(...perRound.map((r) => r.rows)), median: median(perRound.map((r) => r.rows)), max: Math.max(...perRound.map((r) => r.rows)) },
					roundsWithOneCreatedAnswer: perRound.filter((r) => r.createdAnswers === 1).length,
					createdAnswersPerPhone: {
						min: Math.min(...perRound.map((r) => r.createdAnswers)),
						median: median(perRound.map((r) => r.createdAnswers)),
						max: Math.max(...perRound.map((r) => r.createdAnswers)),
					},
					non200Answers: perRound.reduce((s, r) => s + r.non200, 0),
					answersWithWrongCustomerId: perRound.reduce((s, r) => s + r.wrongId, 0),
					failedExecutionsSoFar: failed,
					latencyMs: { p50: Math.round(percentile(latencies, 50)), p99: Math.round(percentile(latencies, 99)) },
					requestsPerSecond: Number(((rounds * concurrency) / seconds).toFixed(1)),
					samplesOfFailures: samples,
					perRound: perRound.map((r) => [r.rows, r.createdAnswers, r.non200, r.wrongId]),
				};
				results.push(summary);
				console.log(
					`${design.padEnd(18)} c=${String(concurrency).padEnd(3)} one row ${summary.roundsWithOneRow}/${rounds}, rows/phone ${summary.rowsPerPhone.min}–${summary.rowsPerPhone.max} (median ${summary.rowsPerPhone.median}); ` +
						`one "created" ${summary.roundsWithOneCreatedAnswer}/${rounds}, created/phone ${summary.createdAnswersPerPhone.min}–${summary.createdAnswersPerPhone.max}; ` +
						`non-200 ${summary.non200Answers}, wrong id ${summary.answersWithWrongCustomerId}, failed executions ${failed}; p50 ${summary.latencyMs.p50} ms p99 ${summary.latencyMs.p99} ms, ${summary.requestsPerSecond} req/s`,
				);
				for (const s of samples) console.log(`   e.g. ${s}`);
			}
		}
	} finally {
		await n8n.stop({ keepUserFolder: process.env.KEFU_E2E_KEEP === '1' });
	}
	writeFileSync(out, JSON.stringify({ machine: machine(), n8nEnv, harnessEnv: 'test/e2e/harness.ts n8nEnv (DB_SQLITE_POOL_SIZE=2 unless overridden)', results }, null, 2) + '\n');
	console.log(`written ${out}`);
}

main().catch((error: unknown) => {
	console.error(error);
	process.exit(1);
});
