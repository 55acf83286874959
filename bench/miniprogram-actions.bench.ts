// Customer actions per second through the seed-002 customer-action template (workflows/miniprogram-customer-action.json)
// in a real n8n (the pinned version, SQLite, started by the e2e harness with this package installed), with the
// lead check against the n8n Data Table and the advisor's subscribe message against the fake mini-program API.
// Build: npm run build && node_modules/.bin/tsc -p tsconfig.test.json
// Run:   node_modules/.bin/node .test-build/bench/miniprogram-actions.bench.js [--actions=200] [--concurrency=10]
//          [--phones=50] [--n8n-env=KEY=VALUE ...] [--out=file.json]      (or npm run bench -- miniprogram-actions)
// Writes bench/results/miniprogram-actions.json (or --out).
//
// Inputs: 20 customers, each with a session token from the login template (made before the clock starts); one
// advisor whose row in "Mini program advisors" has as many acceptances as there are actions, accepted as often on
// the fake, so every action with the advisor notified sends one subscribe message. Actions cycle through
// view_resume, contact_advisor and book_service; every 10th has an invalid phone (only the action is recorded);
// the rest take phones from a pool of --phones new numbers in a shuffled order (fixed seed), so each phone comes
// several times and the first ones of a phone may arrive together. 10 warm-up actions (invalid phone) run first.
// Counted: wall time from the first request to the last answer, each request's latency (p50, p99, max), answers
// other than 200, leads in the table for the pool's phones (must equal the distinct phones sent), answers with
// customerCreated true (the same), answers with the advisor notified and messages the fake received, and the CPU
// time of the n8n process tree (n8n and its task runner) per action, which moves far less than wall time when
// other jobs share the machine.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { argv } from 'node:process';
import { performance } from 'node:perf_hooks';

import { ADVISORS, CUSTOMERS, startMiniProgramCrm, TEMPLATE_ID } from '../test/e2e/miniprogram-crm';
import { machine, machineLine, median } from './support/measure';
import { cpuDelta, cpuSnapshot } from './support/proc';

const arg = (name: string, fallback: number) => Number(argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? fallback);
const ACTIONS = arg('actions', 200);
const CONCURRENCY = arg('concurrency', 10);
const PHONES = arg('phones', 50);
const outArg = argv.find((a) => a.startsWith('--out='))?.slice('--out='.length);
// e.g. --n8n-env=N8N_EXPRESSION_ENGINE_LAZY_ACQUIRE=true (bench/README.md, trigger-load: what expressions cost)
const n8nEnv = Object.fromEntries(
	argv.filter((a) => a.startsWith('--n8n-env=')).map((a) => {
		const [key, ...value] = a.slice('--n8n-env='.length).split('=');
		return [key, value.join('=')];
	}),
);
const TYPES = ['view_resume', 'contact_advisor', 'book_service'];

/** A small seeded generator (mulberry32), so every run sends the same order. */
function random(seed: number): () => number {
	return () => {
		seed = (seed + 0x6d2b79f5) | 0;
		let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
		t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
}

function percentile(sorted: number[], p: number): number {
	return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

async function main(): Promise<void> {
	console.log(machineLine());
	const crm = await startMiniProgramCrm({ n8n: { env: n8nEnv } });
	try {
		await crm.n8n.api('POST', `/data-tables/${crm.tableIds[ADVISORS]}/rows`, {
			data: [{ advisorId: 'advisor_bench', openid: 'oAdvisorBench', templateId: TEMPLATE_ID, subscribed: true, subscribeTime: new Date().toISOString(), acceptances: ACTIONS + 100 }],
		});
		crm.fake.accept('oAdvisorBench', TEMPLATE_ID, ACTIONS + 100);
		const customers = await Promise.all(Array.from({ length: 20 }, async (_, i) => ({ openid: `oBench${i}`, token: await crm.login(`oBench${i}`) })));
		const rand = random(20261130);
		const pool = Array.from({ length: PHONES }, (_, i) => `139${String(10_000_000 + i * 7919).slice(-8)}`);
		const phones = Array.from({ length: ACTIONS }, (_, i) => (i % 10 === 9 ? '12345' : pool[Math.floor(rand() * PHONES)]));
		const body = (i: number, phone: string) => ({
			customerId: customers[i % customers.length].openid,
			advisorId: 'advisor_bench',
			actionType: TYPES[i % TYPES.length],
			actionData: { resumeId: `resume_${i}` },
			customerName: `客户${i}`,
			customerPhone: phone,
		});
		const send = async (i: number, phone: string) => await crm.post('api/customer/action', body(i, phone), customers[i % customers.length].token);

		for (let i = 0; i < 10; i++) await send(i, '12345');
		const sentBefore = crm.fake.sent.length;

		const latencies: number[] = [];
		const answers: Array<Awaited<ReturnType<typeof send>>> = [];
		let next = 0;
		const pid = crm.n8n.pid as number;
		const cpuStart = cpuSnapshot(pid);
		const started = performance.now();
		await Promise.all(
			Array.from({ length: CONCURRENCY }, async () => {
				while (next < ACTIONS) {
					const i = next++;
					const t0 = performance.now();
					answers[i] = await send(i, phones[i]);
					latencies.push(performance.now() - t0);
				}
			}),
		);
		const wallMs = performance.now() - started;
		const cpu = cpuDelta(cpuStart, cpuSnapshot(pid));
		const cpuMs = cpu.mainMs + cpu.childrenMs;

		const sent = new Set(phones.filter((p) => p !== '12345'));
		const leads = (await crm.rows(CUSTOMERS)).filter((row) => sent.has(String(row.phone)));
		const data = answers.map((a) => (a.body.data ?? {}) as { customerCreated?: boolean; action?: { notified?: boolean } });
		const sorted = [...latencies].sort((x, y) => x - y);
		const result = {
			actions: ACTIONS,
			concurrency: CONCURRENCY,
			n8nEnv,
			phonePool: PHONES,
			distinctPhonesSent: sent.size,
			leadsCreated: leads.length,
			customerCreatedAnswers: data.filter((d) => d.customerCreated === true).length,
			notOk: answers.filter((a) => a.status !== 200).length,
			notifiedAnswers: data.filter((d) => d.action?.notified === true).length,
			messagesSent: crm.fake.sent.length - sentBefore,
			wallSeconds: Number((wallMs / 1000).toFixed(2)),
			actionsPerSecond: Number((ACTIONS / (wallMs / 1000)).toFixed(2)),
			n8nCpuMsPerAction: Math.round(cpuMs / ACTIONS),
			actionsPerN8nCpuSecond: Number((ACTIONS / (cpuMs / 1000)).toFixed(2)),
			latencyMs: { p50: Math.round(percentile(sorted, 50)), p99: Math.round(percentile(sorted, 99)), max: Math.round(sorted[sorted.length - 1]), median: Math.round(median(sorted)) },
		};
		console.log(JSON.stringify(result, null, 2));
		if (result.leadsCreated !== result.distinctPhonesSent || result.customerCreatedAnswers !== result.distinctPhonesSent) {
			console.error(`leads created (${result.leadsCreated}, answered ${result.customerCreatedAnswers}) differ from distinct phones sent (${result.distinctPhonesSent})`);
			process.exitCode = 1;
		}
		const out = outArg ? path.resolve(outArg) : path.resolve(__dirname, '..', '..', 'bench', 'results', 'miniprogram-actions.json');
		writeFileSync(out, JSON.stringify({ machine: machine(), result }, null, '\t') + '\n');
	} finally {
		await crm.close();
	}
}

main().catch((error: unknown) => {
	console.error(error);
	process.exitCode = 1;
});
