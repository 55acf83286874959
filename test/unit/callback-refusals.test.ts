/** What a refused callback is answered, and how the reasons reach the operator through n8n's log. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { RefusalLog, refusalAnswer, type RefusalLogger, type RefusalReason } from '../../nodes/WeCom/callback/refusals';

function recorder(): RefusalLogger & { lines: Array<{ level: string; message: string; metadata?: Record<string, unknown> }> } {
	const lines: Array<{ level: string; message: string; metadata?: Record<string, unknown> }> = [];
	return {
		lines,
		warn: (message, metadata) => lines.push({ level: 'warn', message, metadata }),
		debug: (message, metadata) => lines.push({ level: 'debug', message, metadata }),
	};
}

const node = { workflowId: 'wf1', nodeId: 'n1', nodeName: 'WeCom Trigger' };

describe('refusalAnswer', () => {
	it('keeps the documented statuses and says nothing but the status line\'s words', () => {
		const expected: Array<[RefusalReason, number, string]> = [
			['invalidSignature', 403, 'Forbidden'],
			['staleTimestamp', 403, 'Forbidden'],
			['receiveIdMismatch', 403, 'Forbidden'],
			['notAnEcho', 403, 'Forbidden'],
			['missingParameter', 400, 'Bad Request'],
			['invalidAesKey', 400, 'Bad Request'],
			['invalidBase64', 400, 'Bad Request'],
			['invalidPadding', 400, 'Bad Request'],
			['invalidLength', 400, 'Bad Request'],
			['malformedXml', 400, 'Bad Request'],
			['bodyTooLarge', 413, 'Payload Too Large'],
			['retryPending', 503, 'Service Unavailable'],
		];
		for (const [reason, status, text] of expected) assert.deepEqual(refusalAnswer(reason), { status, text }, reason);
	});
});

describe('RefusalLog', () => {
	it('logs the first refusal of each reason in a period as a warning with its detail, the rest at debug level', () => {
		const log = new RefusalLog(60_000, 10, () => 0);
		const logger = recorder();
		log.record(node, 'invalidAesKey', 'The EncodingAESKey has 42 characters', logger);
		log.record(node, 'invalidAesKey', 'The EncodingAESKey has 42 characters', logger);
		log.record(node, 'invalidSignature', 'The msg_signature does not match', logger);
		assert.deepEqual(
			logger.lines.map((line) => [line.level, line.metadata?.reason]),
			[
				['warn', 'invalidAesKey'],
				['debug', 'invalidAesKey'],
				['warn', 'invalidSignature'],
			],
		);
		assert.match(logger.lines[0].message, /42 characters/);
		assert.deepEqual(logger.lines[0].metadata, { workflowId: 'wf1', node: 'WeCom Trigger', reason: 'invalidAesKey', status: 400 });
		assert.deepEqual(log.totals(node), { invalidAesKey: 2, invalidSignature: 1 });
	});

	it('a flood of refusals costs a bounded number of warnings: one per reason per period and one summary', () => {
		let now = 0;
		const log = new RefusalLog(60_000, 10, () => now);
		const logger = recorder();
		for (let i = 0; i < 10_000; i++) log.record(node, i % 2 ? 'invalidSignature' : 'staleTimestamp', 'detail', logger);
		now = 59_999;
		log.report(node, logger);
		assert.equal(logger.lines.filter((line) => line.level === 'warn').length, 2, 'no summary before the period ends');

		now = 61_000;
		log.report(node, logger);
		const warnings = logger.lines.filter((line) => line.level === 'warn');
		assert.equal(warnings.length, 3);
		const summary = warnings[2];
		assert.match(summary.message, /refused 9998 more callbacks in the last 61 s/);
		assert.match(summary.message, /staleTimestamp 4999, invalidSignature 4999/);
		assert.deepEqual(summary.metadata?.refusedSinceStart, { staleTimestamp: 5000, invalidSignature: 5000 });

		log.record(node, 'invalidSignature', 'detail', logger);
		assert.equal(logger.lines.at(-1)?.level, 'warn', 'a new period logs the first of each reason again');
		now = 200_000;
		log.report(node, logger);
		assert.equal(logger.lines.filter((line) => line.level === 'warn').length, 4, 'no summary when nothing went unlogged');
	});

	it('counts each trigger node apart, and keeps at most maxNodes of them', () => {
		const log = new RefusalLog(60_000, 2, () => 0);
		const logger = recorder();
		const other = { ...node, nodeId: 'n2' };
		log.record(node, 'invalidSignature', 'd', logger);
		log.record(other, 'invalidSignature', 'd', logger);
		assert.equal(logger.lines.filter((line) => line.level === 'warn').length, 2);
		log.record({ ...node, nodeId: 'n3' }, 'invalidSignature', 'd', logger);
		assert.deepEqual(log.totals(node), {}, 'the node refused longest ago was dropped');
		assert.deepEqual(log.totals(other), { invalidSignature: 1 });
	});
});
