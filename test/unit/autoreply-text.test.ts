import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { fitToLimit, truncateChars, truncateUtf8 } from '../../nodes/common/text';
import { seeded } from '../support/random';

const FAMILY = '👨‍👩‍👧'; // 3 emoji joined by ZWJ: 8 code units, 18 bytes
const FLAG = '🇨🇳'; // 2 regional indicators: 4 code units, 8 bytes

/** No lone surrogate anywhere: a cut inside a pair would leave one. */
function wellFormed(text: string): boolean {
	return !/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(text);
}

describe('truncateUtf8', () => {
	it('keeps text within the limit unchanged and cuts CJK at character boundaries', () => {
		assert.equal(truncateUtf8('退款', 6), '退款');
		assert.equal(truncateUtf8('退款多久', 8), '退款');
		assert.equal(truncateUtf8('a退款', 3), 'a');
		assert.equal(truncateUtf8('ab😀', 5), 'ab');
		assert.equal(truncateUtf8('ab😀', 6), 'ab😀');
	});

	it('does not split a ZWJ sequence or a flag', () => {
		assert.equal(truncateUtf8(`好${FAMILY}`, 3 + 17), '好');
		assert.equal(truncateUtf8(`好${FAMILY}`, 3 + 18), `好${FAMILY}`);
		assert.equal(truncateUtf8(`${FLAG}${FLAG}`, 12), FLAG);
	});

	it('never exceeds the limit nor cuts mid-character (seeded fuzz)', () => {
		const random = seeded(7);
		const pieces = ['a', '退', '😀', FAMILY, FLAG, 'é', '\u0301', ' '];
		for (let round = 0; round < 500; round++) {
			const text = Array.from({ length: Math.floor(random() * 40) }, () => pieces[Math.floor(random() * pieces.length)]).join('');
			const max = Math.floor(random() * 80);
			const cut = truncateUtf8(text, max);
			assert.ok(Buffer.byteLength(cut, 'utf8') <= max || cut === text);
			assert.ok(text.startsWith(cut));
			assert.ok(wellFormed(cut), JSON.stringify({ text, max }));
			const chars = truncateChars(text, max);
			assert.ok(chars.length <= max);
			assert.ok(text.startsWith(chars) && wellFormed(chars));
		}
	});

	it('cuts WeCom replies at 2048 bytes (682 Chinese characters)', () => {
		const cut = truncateUtf8('退'.repeat(1000), 2048);
		assert.equal(cut.length, 682);
		assert.deepEqual(fitToLimit('退'.repeat(1000), { unit: 'bytes', max: 2048 }), { text: cut, truncated: true });
		assert.deepEqual(fitToLimit('short', { unit: 'bytes', max: 2048 }), { text: 'short', truncated: false });
		assert.deepEqual(fitToLimit('x'.repeat(5000), undefined), { text: 'x'.repeat(5000), truncated: false });
	});
});

describe('truncateChars', () => {
	it('counts UTF-16 code units (WhatsApp: 4096) and keeps emoji whole', () => {
		assert.equal(truncateChars('abc', 3), 'abc');
		assert.equal(truncateChars('ab😀', 3), 'ab');
		assert.equal(truncateChars(`x${FAMILY}`, 8), 'x');
		assert.equal(truncateChars('a'.repeat(5000), 4096).length, 4096);
		assert.deepEqual(fitToLimit('😀'.repeat(3000), { unit: 'chars', max: 4096 }).text.length, 4096);
	});
});
