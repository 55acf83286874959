// Throughput of opening one WeCom text-message callback, ours against @wecom/crypto, on one core.
// Build: node_modules/.bin/tsc -p tsconfig.test.json
// Run:   node_modules/.bin/node .test-build/bench/callback-crypto.bench.js
// Rows: (a) ours: verifySignature + decryptMessage + parseXml; (b) @wecom/crypto: getSignature (compared
// with ===) + decrypt, its whole API for this job, with no receive-ID check and no XML parse; (c) ours
// without parseXml; (d) = (a) plus decodeEncodingAesKey on every call, as when the key is read from the
// credential per request. Rounds interleave the rows so that clock or thermal drift hits all alike.
import assert from 'node:assert/strict';
import * as os from 'node:os';
import { version } from 'node:process';

import * as wecom from '@wecom/crypto';

import {
	computeSignature,
	decodeEncodingAesKey,
	decryptMessage,
	encryptMessage,
	verifySignature,
} from '../nodes/WeCom/callback/crypto';
import { parseXml } from '../nodes/WeCom/callback/xml';
import { measure, median } from './support/measure';

const WARMUP_MS = 1500;
const ROUNDS = 9;
const ROUND_MS = 400;

const TOKEN = 'QDG6eK';
const ENCODING_AES_KEY = 'jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C';
const CORP_ID = 'wx5823bf96d3bd56c7';
const TIMESTAMP = '1409659813';
const NONCE = '1372623149';

// A realistic decrypted text message (fields of doc 90239) with a Chinese sentence as content.
const PLAINTEXT =
	'<xml><ToUserName><![CDATA[wx5823bf96d3bd56c7]]></ToUserName>\n' +
	'<FromUserName><![CDATA[ZhangSan]]></FromUserName>\n' +
	'<CreateTime>1409659813</CreateTime>\n' +
	'<MsgType><![CDATA[text]]></MsgType>\n' +
	'<Content><![CDATA[你好，我想查询一下上周五下的订单（订单号 20240607-00318）现在的物流状态。' +
	'包裹一直显示“已揽收”，已经三天没有更新了。如果发不了货，能不能直接退款？另外发票抬头需要改成公司名称，税号我稍后发给你。麻烦帮忙看一下，谢谢！]]></Content>\n' +
	'<MsgId>4561255354251345929</MsgId>\n' +
	'<AgentID>1000002</AgentID>\n' +
	'</xml>';

const AES_KEY = decodeEncodingAesKey(ENCODING_AES_KEY);
const ENCRYPTED = encryptMessage(AES_KEY, PLAINTEXT, CORP_ID, Buffer.alloc(16, 7));
const SIGNATURE = computeSignature(TOKEN, TIMESTAMP, NONCE, ENCRYPTED);
const BODY = `<xml><ToUserName><![CDATA[${CORP_ID}]]></ToUserName><Encrypt><![CDATA[${ENCRYPTED}]]></Encrypt><AgentID><![CDATA[1000002]]></AgentID></xml>`;

let sink = 0;

function oursFull(): void {
	if (!verifySignature(TOKEN, TIMESTAMP, NONCE, ENCRYPTED, SIGNATURE)) throw new Error('signature');
	const message = parseXml(decryptMessage(AES_KEY, ENCRYPTED, CORP_ID));
	sink += (message.MsgType as string).length;
}

function oursWithKeyDecode(): void {
	const key = decodeEncodingAesKey(ENCODING_AES_KEY);
	if (!verifySignature(TOKEN, TIMESTAMP, NONCE, ENCRYPTED, SIGNATURE)) throw new Error('signature');
	const message = parseXml(decryptMessage(key, ENCRYPTED, CORP_ID));
	sink += (message.MsgType as string).length;
}

function oursNoParse(): void {
	if (!verifySignature(TOKEN, TIMESTAMP, NONCE, ENCRYPTED, SIGNATURE)) throw new Error('signature');
	sink += decryptMessage(AES_KEY, ENCRYPTED, CORP_ID).length;
}

function wecomCrypto(): void {
	if (wecom.getSignature(TOKEN, TIMESTAMP, NONCE, ENCRYPTED) !== SIGNATURE) throw new Error('signature');
	sink += wecom.decrypt(ENCODING_AES_KEY, ENCRYPTED).message.length;
}

interface Row {
	label: string;
	fn: () => void;
	cpu: number[];
	wall: number[];
}

const ROWS: Row[] = [
	{ label: '(a) ours: verifySignature + decryptMessage + parseXml', fn: oursFull, cpu: [], wall: [] },
	{ label: '(b) @wecom/crypto 1.0.1: getSignature + decrypt', fn: wecomCrypto, cpu: [], wall: [] },
	{ label: '(c) ours: verifySignature + decryptMessage', fn: oursNoParse, cpu: [], wall: [] },
	{ label: '(d) ours: (a) + decodeEncodingAesKey per call', fn: oursWithKeyDecode, cpu: [], wall: [] },
];

function main(): void {
	// Same input, same output: both libraries must decrypt to the same plaintext.
	const ours = decryptMessage(AES_KEY, ENCRYPTED, CORP_ID);
	const theirs = wecom.decrypt(ENCODING_AES_KEY, ENCRYPTED);
	assert.equal(ours, PLAINTEXT);
	assert.equal(theirs.message, ours);
	assert.equal(theirs.id, CORP_ID);
	assert.equal(wecom.getSignature(TOKEN, TIMESTAMP, NONCE, ENCRYPTED), SIGNATURE);
	assert.equal(parseXml(ours).MsgId, '4561255354251345929');

	const cpus = os.cpus();
	console.log('# WeCom callback open: ours vs @wecom/crypto (single thread)');
	console.log(`machine: ${cpus[0]?.model ?? 'unknown CPU'}, nproc ${os.availableParallelism()}, ${os.platform()} ${os.arch()}`);
	console.log(`runtime: node ${version}; load average at start ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
	console.log(
		`input: plaintext ${Buffer.byteLength(PLAINTEXT)} bytes (text message, 7 fields), Encrypt ${ENCRYPTED.length} base64 chars, POST body ${BODY.length} bytes`,
	);
	console.log(
		`method: ${WARMUP_MS} ms warm-up per row, then ${ROUNDS} interleaved rounds of ${ROUND_MS} ms per row; medians of ops per CPU-second and per wall-second`,
	);

	for (const row of ROWS) measure(row.fn, WARMUP_MS, 500);
	for (let round = 0; round < ROUNDS; round++) {
		for (let k = 0; k < ROWS.length; k++) {
			const row = ROWS[(round + k) % ROWS.length];
			const { cpu, wall } = measure(row.fn, ROUND_MS, 500);
			row.cpu.push(cpu);
			row.wall.push(wall);
		}
	}

	const baseline = median(ROWS[1].cpu);
	console.log('');
	console.log(`${'row'.padEnd(56)} ${'ops/CPU-s'.padStart(10)} ${'µs CPU/op'.padStart(10)} ${'vs (b)'.padStart(7)} ${'ops/wall-s'.padStart(11)}  CPU-s rounds min–max`);
	for (const row of ROWS) {
		const ops = median(row.cpu);
		const spread = `${Math.round(Math.min(...row.cpu))}–${Math.round(Math.max(...row.cpu))}`;
		console.log(
			`${row.label.padEnd(56)} ${Math.round(ops).toString().padStart(10)} ${(1e6 / ops).toFixed(2).padStart(10)} ${('×' + (ops / baseline).toFixed(2)).padStart(7)} ${Math.round(median(row.wall)).toString().padStart(11)}  ${spread}`,
		);
	}
	console.log(`load average at end ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}${sink === 42 ? ' ' : ''}`);
}

main();
