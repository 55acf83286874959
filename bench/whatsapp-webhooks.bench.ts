// Webhook delivery of the WhatsApp Web gateway: how many events per second its dispatcher (queue on disk,
// signing, keep-alive POST) hands to one loopback receiver, and how long an event takes from publish()
// to the receiver, with no event lost. The goal of issue 10 is ≥ 500 messages/s with no loss.
// Build: node_modules/.bin/tsc -p tsconfig.test.json
// Run:   node_modules/.bin/node .test-build/bench/whatsapp-webhooks.bench.js [--out=file.json]
// (or npm run bench -- whatsapp-webhooks). Writes bench/results/whatsapp-webhooks.json (or --out).
//
// Inputs: message events as the contract's `message` data (a Chinese text of 20 characters, about 420
// bytes of JSON with the envelope), one registration for all types, data folder in the OS temporary folder.
// The receiver is a separate Node process (as n8n is): it checks every signature, answers 200 with an
// empty body, and records each event's latency (its clock minus the publish time carried in the event;
// both processes read performance.timeOrigin + now(), the same system clock).
// Scenarios:
//  - burst: 5,000 events published back to back (in slices of 100 per turn of the event loop, as a busy
//    session would emit them); throughput = events / (last arrival − first publish).
//  - paced: 500 events/s for 10 s (5 every 10 ms); latency at the goal rate.
// Both with 4 requests in flight per webhook (the default) and with 1 (strict order), three rounds each.
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { argv } from 'node:process';
import { performance } from 'node:perf_hooks';

import { WebhookDispatcher } from '../gateway/src/webhooks';
import { machine, machineLine } from './support/measure';

const SECRET = 'bench-webhook-secret';
const now = () => performance.timeOrigin + performance.now();

interface ReceiverReport {
	count: number;
	unique: number;
	badSignatures: number;
	latencies: number[];
	lastArrival: number;
	/** CPU time of the receiver process since the last report, in µs (user + system). */
	cpuMicros: number;
}

// The receiver: this same file, started with --receiver.
function receiver(): void {
	// eslint-disable-next-line @typescript-eslint/no-require-imports
	const { verifySignature } = require('../gateway/src/webhooks') as typeof import('../gateway/src/webhooks');
	// eslint-disable-next-line @typescript-eslint/no-require-imports
	const http = require('node:http') as typeof import('node:http');
	const seen = new Set<string>();
	const report: ReceiverReport = { count: 0, unique: 0, badSignatures: 0, latencies: [], lastArrival: 0, cpuMicros: 0 };
	let cpuSince = process.cpuUsage();
	const server = http.createServer((req, res) => {
		const chunks: Buffer[] = [];
		req.on('data', (chunk: Buffer) => chunks.push(chunk));
		req.on('end', () => {
			const raw = Buffer.concat(chunks);
			const arrival = now();
			if (!verifySignature(SECRET, req.headers['x-gateway-timestamp'] as string, raw, req.headers['x-gateway-signature'] as string)) {
				report.badSignatures++;
			}
			const event = JSON.parse(raw.toString('utf8')) as { id: string; data: { publishedAt: number } };
			report.count++;
			if (!seen.has(event.id)) {
				seen.add(event.id);
				report.unique++;
			}
			report.latencies.push(arrival - event.data.publishedAt);
			report.lastArrival = arrival;
			res.writeHead(200).end();
		});
	});
	server.listen(0, '127.0.0.1', () => process.send?.({ port: (server.address() as { port: number }).port }));
	process.on('message', (message: string) => {
		if (message === 'report') {
			const cpu = process.cpuUsage(cpuSince);
			cpuSince = process.cpuUsage();
			process.send?.({ ...report, cpuMicros: cpu.user + cpu.system });
			seen.clear();
			Object.assign(report, { count: 0, unique: 0, badSignatures: 0, latencies: [], lastArrival: 0 });
		}
		if (message === 'exit') server.close(() => process.exit(0));
	});
}

function percentile(sorted: number[], p: number): number {
	return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

const text = '请问你们的营业时间是几点到几点呢谢谢啦';
let sequence = 0;
function publishOne(dispatcher: WebhookDispatcher): void {
	const i = sequence++;
	dispatcher.publish(
		'message',
		{
			messageId: `false_8613800000000@c.us_3EB0BENCH${i}`,
			chatId: '8613800000000@c.us',
			from: '8613800000000@c.us',
			fromPhone: '8613800000000',
			fromLid: null,
			senderName: 'Li Lei',
			isGroup: false,
			author: null,
			type: 'chat',
			body: text,
			hasMedia: false,
			timestamp: 1764500000,
			fromMe: false,
			sentByGateway: false,
			publishedAt: now(),
		},
		`bench-${i}`,
	);
}

async function main(): Promise<void> {
	console.log(machineLine());
	const child = fork(__filename, ['--receiver'], { stdio: 'inherit' });
	const port = await new Promise<number>((resolve) => child.once('message', (m: { port: number }) => resolve(m.port)));
	const askReport = () =>
		new Promise<ReceiverReport>((resolve) => {
			child.once('message', (m: ReceiverReport) => resolve(m));
			child.send('report');
		});
	const folder = mkdtempSync(path.join(tmpdir(), 'bench-webhooks-'));
	const results: Record<string, unknown> = {};
	for (const inFlightPerWebhook of [4, 1]) {
		const dispatcher = new WebhookDispatcher({
			dataFolder: folder,
			secret: SECRET,
			queueCapacity: 100_000,
			dedupCapacity: 100_000,
			inFlightPerWebhook,
		});
		dispatcher.register(`http://127.0.0.1:${port}/webhook/bench/webhook`);

		// Warm-up: connections, JIT.
		for (let i = 0; i < 500; i++) publishOne(dispatcher);
		await dispatcher.idle();
		await askReport();

		let cpuSince = process.cpuUsage();
		const summarise = (name: string, events: number, started: number, report: ReceiverReport) => {
			const cpu = process.cpuUsage(cpuSince);
			const sorted = report.latencies.sort((a, b) => a - b);
			const row = {
				events,
				received: report.count,
				unique: report.unique,
				lost: events - report.unique,
				duplicates: report.count - report.unique,
				badSignatures: report.badSignatures,
				eventsPerSecond: Math.round(events / ((report.lastArrival - started) / 1000)),
				// CPU per event, far less sensitive than events/s to other programs on a shared machine.
				gatewayCpuMicrosPerEvent: Math.round((cpu.user + cpu.system) / events),
				receiverCpuMicrosPerEvent: Math.round(report.cpuMicros / events),
				latencyMs: {
					p50: +percentile(sorted, 50).toFixed(2),
					p99: +percentile(sorted, 99).toFixed(2),
					max: +sorted[sorted.length - 1].toFixed(2),
				},
			};
			results[name] = row;
			console.log(
				`${name.padEnd(17)} ${row.events} events: ${row.eventsPerSecond} events/s, p50 ${row.latencyMs.p50} ms, p99 ${row.latencyMs.p99} ms, max ${row.latencyMs.max} ms; CPU/event gateway ${row.gatewayCpuMicrosPerEvent} µs, receiver ${row.receiverCpuMicrosPerEvent} µs; lost ${row.lost}, twice ${row.duplicates}, bad signatures ${row.badSignatures}`,
			);
		};

		for (let round = 1; round <= 3; round++) {
			const burst = 5_000;
			let started = now();
			cpuSince = process.cpuUsage();
			for (let published = 0; published < burst; ) {
				for (let n = 0; n < 100; n++, published++) publishOne(dispatcher);
				await new Promise((resolve) => setImmediate(resolve));
			}
			await dispatcher.idle();
			summarise(`inFlight${inFlightPerWebhook}-burst${round}`, burst, started, await askReport());

			started = now();
			cpuSince = process.cpuUsage();
			for (let tick = 0; tick < 1_000; tick++) {
				for (let n = 0; n < 5; n++) publishOne(dispatcher);
				await new Promise((resolve) => setTimeout(resolve, Math.max(0, started + (tick + 1) * 10 - now())));
			}
			await dispatcher.idle();
			summarise(`inFlight${inFlightPerWebhook}-paced${round}`, 5_000, started, await askReport());
		}

		dispatcher.close();
	}
	child.send('exit');
	rmSync(folder, { recursive: true, force: true });
	const outArg = argv.find((a) => a.startsWith('--out='))?.slice('--out='.length);
	const out = outArg ? path.resolve(outArg) : path.resolve(__dirname, '..', '..', 'bench', 'results', 'whatsapp-webhooks.json');
	writeFileSync(out, JSON.stringify({ machine: machine(), dataFolder: tmpdir(), results }, null, '\t') + '\n');
	console.log(`Wrote ${out}`);
}

if (argv.includes('--receiver')) receiver();
else void main();
