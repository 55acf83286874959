import assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import { describe, it } from 'node:test';

import * as wecomCrypto from '@wecom/crypto';

import {
	buildEncryptedReply,
	computeSignature,
	decodeEncodingAesKey,
	decryptMessage,
	encryptMessage,
	encodingAesKeyProblem,
	openCallback,
	urlCheckEcho,
	verifyCallback,
	verifySignature,
	WeComCallbackError,
	type WeComCallbackErrorReason,
} from '../../nodes/WeCom/callback/crypto';
import { extractEncrypt, parseXml } from '../../nodes/WeCom/callback/xml';
import { callbackErrorOf } from '../support/wecom-callback';

// The worked example of doc 90968 (加解密方案说明), also in Tencent's sample code (weworkapi_* Sample files).
const TOKEN = 'QDG6eK';
const ENCODING_AES_KEY = 'jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C';
const CORP_ID = 'wx5823bf96d3bd56c7';
const AES_KEY = decodeEncodingAesKey(ENCODING_AES_KEY);

const GET_VECTOR = {
	signature: '5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3',
	timestamp: '1409659589',
	nonce: '263014780',
	echostr: 'P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ==',
	plaintext: '1616140317555161061',
};

const POST_VECTOR = {
	signature: '477715d11cdb4164915debcba66cb864d751f3e6',
	timestamp: '1409659813',
	nonce: '1372623149',
	encrypted:
		'RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5L5X/0lWfrf0QADHHhGd3QczcdCUpj911L3vg3W/sYYvuJTs3TUUkSUXxaccAS0qhxchrRYt66wiSpGLYL42aM6A8dTT+6k4aSknmPj48kzJs8qLjvd4Xgpue06DOdnLxAUHzM6+kDZ+HMZfJYuR+LtwGc2hgf5gsijff0ekUNXZiqATP7PF5mZxZ3Izoun1s4zG4LUMnvw2r+KqCKIw+3IQH03v+BCA9nMELNqbSf6tiWSrXJB3LAVGUcallcrw8V2t9EL4EhzJWrQUax5wLVMNS0+rUPA3k22Ncx4XXZS9o0MBH27Bo6BpNelZpS+/uh9KsNlY6bHCmJU9p8g7m3fVKn28H3KDYA5Pl/T8Z1ptDAVe0lXdQ2YoyyH2uyPIGHBZZIs2pDBS8R07+qN+E7Q==',
};

const RANDOM16 = Buffer.from('000102030405060708090a0b0c0d0e0f', 'hex');

function rejects(fn: () => unknown, reason: WeComCallbackErrorReason): WeComCallbackError {
	const caught = callbackErrorOf(fn, reason);
	assert.ok(!caught.message.includes(TOKEN), 'message must not contain the token');
	assert.ok(!caught.message.includes(ENCODING_AES_KEY), 'message must not contain the AES key');
	return caught;
}

// Encrypts raw bytes the way WeCom does (AES-256-CBC, IV = key[0..16], no automatic padding), so tests
// can build plaintexts that encryptMessage would never produce.
function encryptRaw(plain: Buffer, key = AES_KEY): string {
	const cipher = crypto.createCipheriv('aes-256-cbc', key, key.subarray(0, 16));
	cipher.setAutoPadding(false);
	return Buffer.concat([cipher.update(plain), cipher.final()]).toString('base64');
}

function decryptRaw(encrypted: string, key = AES_KEY): Buffer {
	const decipher = crypto.createDecipheriv('aes-256-cbc', key, key.subarray(0, 16));
	decipher.setAutoPadding(false);
	return Buffer.concat([decipher.update(Buffer.from(encrypted, 'base64')), decipher.final()]);
}

function rawPlaintext(msg: Buffer, receiveId: string, padBytes: Buffer, msgLength = msg.length): Buffer {
	const length = Buffer.alloc(4);
	length.writeUInt32BE(msgLength, 0);
	return Buffer.concat([RANDOM16, length, msg, Buffer.from(receiveId), padBytes]);
}

describe('decodeEncodingAesKey', () => {
	it('decodes the 43-character key to 32 bytes', () => {
		const key = decodeEncodingAesKey(ENCODING_AES_KEY);
		assert.equal(key.length, 32);
		assert.deepEqual(key, Buffer.from(ENCODING_AES_KEY + '=', 'base64'));
	});

	it('refuses keys of the wrong length or alphabet without echoing them', () => {
		for (const bad of [
			'',
			ENCODING_AES_KEY.slice(0, 42),
			ENCODING_AES_KEY + 'A',
			ENCODING_AES_KEY + '=',
			ENCODING_AES_KEY.slice(0, 42) + '+',
			ENCODING_AES_KEY.slice(0, 42) + '/',
			ENCODING_AES_KEY.slice(0, 42) + '-',
			' ' + ENCODING_AES_KEY.slice(1),
		]) {
			const error = rejects(() => decodeEncodingAesKey(bad), 'invalidAesKey');
			if (bad.length > 0) assert.ok(!error.message.includes(bad));
		}
		rejects(() => decodeEncodingAesKey(undefined as unknown as string), 'invalidAesKey');
	});
});

describe('signature', () => {
	it('matches both official vectors', () => {
		assert.equal(computeSignature(TOKEN, GET_VECTOR.timestamp, GET_VECTOR.nonce, GET_VECTOR.echostr), GET_VECTOR.signature);
		assert.equal(
			computeSignature(TOKEN, POST_VECTOR.timestamp, POST_VECTOR.nonce, POST_VECTOR.encrypted),
			POST_VECTOR.signature,
		);
	});

	it('sorts the values, so the argument order does not matter', () => {
		const a = computeSignature('b', 'a', 'd', 'c');
		assert.equal(a, crypto.createHash('sha1').update('abcd').digest('hex'));
		assert.equal(a, wecomCrypto.getSignature('b', 'a', 'd', 'c'));
	});

	it('verifies the right signature and refuses tampered or mis-sized ones', () => {
		const { timestamp, nonce, echostr, signature } = GET_VECTOR;
		assert.equal(verifySignature(TOKEN, timestamp, nonce, echostr, signature), true);
		const flipped = (signature[0] === 'a' ? 'b' : 'a') + signature.slice(1);
		assert.equal(verifySignature(TOKEN, timestamp, nonce, echostr, flipped), false);
		assert.equal(verifySignature(TOKEN, timestamp, nonce, echostr, signature.slice(0, 39)), false);
		assert.equal(verifySignature(TOKEN, timestamp, nonce, echostr, signature + '0'), false);
		assert.equal(verifySignature(TOKEN, timestamp, nonce, echostr, ''), false);
		assert.equal(verifySignature(TOKEN, timestamp, nonce, echostr, '中'.repeat(40)), false);
		assert.equal(verifySignature('QDG6eL', timestamp, nonce, echostr, signature), false);
		assert.equal(verifySignature(TOKEN, '1409659590', nonce, echostr, signature), false);
	});
});

describe('official doc-90968 vectors', () => {
	it('GET URL verification: verifies and decrypts echostr', () => {
		assert.equal(
			openCallback({
				token: TOKEN,
				aesKey: AES_KEY,
				receiveId: CORP_ID,
				signature: GET_VECTOR.signature,
				timestamp: GET_VECTOR.timestamp,
				nonce: GET_VECTOR.nonce,
				encrypted: GET_VECTOR.echostr,
			}),
			GET_VECTOR.plaintext,
		);
	});

	it('GET: echostr arrives URL-encoded and must be decoded exactly once', () => {
		const query = new URLSearchParams(
			'msg_signature=5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3&timestamp=1409659589&nonce=263014780' +
				'&echostr=P9nAzCzyDtyTWESHep1vC5X9xho%2FqYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp%2B4RPcs8TgAE7OaBO%2BFZXvnaqQ%3D%3D',
		);
		const params = {
			token: TOKEN,
			aesKey: AES_KEY,
			receiveId: CORP_ID,
			signature: query.get('msg_signature') ?? undefined,
			timestamp: query.get('timestamp') ?? undefined,
			nonce: query.get('nonce') ?? undefined,
		};
		assert.equal(openCallback({ ...params, encrypted: query.get('echostr') ?? undefined }), GET_VECTOR.plaintext);
		// Still encoded: the signature was computed over the decoded value.
		rejects(() => openCallback({ ...params, encrypted: encodeURIComponent(GET_VECTOR.echostr) }), 'invalidSignature');
		// Decoded as a form value by mistake ('+' → ' '): not base64 any more.
		rejects(() => decryptMessage(AES_KEY, GET_VECTOR.echostr.replace(/\+/g, ' '), CORP_ID), 'invalidBase64');
	});

	it('POST message: envelope, signature and decrypt (pad byte 30)', () => {
		const body =
			'<xml>\n<ToUserName><![CDATA[wx5823bf96d3bd56c7]]></ToUserName><Encrypt><![CDATA[' +
			POST_VECTOR.encrypted +
			']]></Encrypt>\n<AgentID><![CDATA[218]]></AgentID>\n</xml>';
		const envelope = extractEncrypt(body);
		assert.deepEqual(envelope, { encrypted: POST_VECTOR.encrypted, toUserName: CORP_ID, agentId: '218' });

		const plaintext = openCallback({
			token: TOKEN,
			aesKey: AES_KEY,
			receiveId: CORP_ID,
			signature: POST_VECTOR.signature,
			timestamp: POST_VECTOR.timestamp,
			nonce: POST_VECTOR.nonce,
			encrypted: envelope.encrypted,
		});
		assert.deepEqual(parseXml(plaintext), {
			ToUserName: 'wx5823bf96d3bd56c7',
			FromUserName: 'mycreate',
			CreateTime: '1409659813',
			MsgType: 'text',
			Content: 'hello',
			MsgId: '4561255354251345929',
			AgentID: '218',
		});

		const raw = decryptRaw(POST_VECTOR.encrypted);
		assert.equal(raw[raw.length - 1], 30);
		// Why the manual unpadding exists: Node's default 16-byte PKCS#7 check refuses pad value 30.
		assert.throws(() => {
			const decipher = crypto.createDecipheriv('aes-256-cbc', AES_KEY, AES_KEY.subarray(0, 16));
			Buffer.concat([decipher.update(Buffer.from(POST_VECTOR.encrypted, 'base64')), decipher.final()]);
		});
	});
});

describe('urlCheckEcho', () => {
	const open = (signature: string, timestamp: string, nonce: string, encrypted: string) =>
		openCallback({ token: TOKEN, aesKey: AES_KEY, receiveId: CORP_ID, signature, timestamp, nonce, encrypted });

	it('passes the echo of the published URL check and refuses the published message', () => {
		const echo = open(GET_VECTOR.signature, GET_VECTOR.timestamp, GET_VECTOR.nonce, GET_VECTOR.echostr);
		assert.equal(urlCheckEcho(echo), GET_VECTOR.plaintext);
		const message = open(POST_VECTOR.signature, POST_VECTOR.timestamp, POST_VECTOR.nonce, POST_VECTOR.encrypted);
		const refusal = rejects(() => urlCheckEcho(message), 'notAnEcho');
		assert.doesNotMatch(refusal.message, /hello|mycreate/);
	});

	it('passes short tokens of URL-unreserved characters, nothing else', () => {
		for (const echo of ['1', '18446744073709551615', 'warm-up', 'A.b_c~d-9', '9'.repeat(128)]) assert.equal(urlCheckEcho(echo), echo);
		for (const echo of ['', '<xml/>', '{"encrypt":"x"}', '1 2', '1\n', '\uFEFF1', '"1"', '9'.repeat(129), '一二三']) {
			rejects(() => urlCheckEcho(echo), 'notAnEcho');
		}
	});
});

describe('verifyCallback', () => {
	it('returns the signed payload and needs no key', () => {
		const params = {
			token: TOKEN,
			signature: POST_VECTOR.signature,
			timestamp: POST_VECTOR.timestamp,
			nonce: POST_VECTOR.nonce,
			encrypted: POST_VECTOR.encrypted,
		};
		assert.equal(verifyCallback(params), POST_VECTOR.encrypted);
		rejects(() => verifyCallback({ ...params, token: 'QDG6eL' }), 'invalidSignature');
	});
});

describe('encodingAesKeyProblem', () => {
	it('is undefined for a well-formed key and names the length otherwise, without the key', () => {
		assert.equal(encodingAesKeyProblem(ENCODING_AES_KEY), undefined);
		const problem = encodingAesKeyProblem(ENCODING_AES_KEY.slice(0, 42));
		assert.equal(problem?.reason, 'invalidAesKey');
		assert.match(String(problem?.message), /42 characters/);
		assert.ok(!String(problem?.message).includes(ENCODING_AES_KEY.slice(0, 42)));
	});
});

describe('encryptMessage / decryptMessage', () => {
	it('round-trips every pad value 1..32 and agrees with @wecom/crypto both ways', () => {
		const seen = new Set<number>();
		for (let pad = 1; pad <= 32; pad++) {
			// content = 20 + msg + receiveid; WeCom pads it to a multiple of 32.
			const fixed = 20 + Buffer.byteLength(CORP_ID);
			const msgLength = (((32 - pad - fixed) % 32) + 32) % 32 + 32 * (pad % 3);
			const msg = 'x'.repeat(msgLength);
			const encrypted = encryptMessage(AES_KEY, msg, CORP_ID, RANDOM16);
			const raw = decryptRaw(encrypted);
			assert.equal(raw[raw.length - 1], pad, `pad for message length ${msgLength}`);
			assert.equal(raw.length % 32, 0);
			seen.add(pad);
			assert.equal(decryptMessage(AES_KEY, encrypted, CORP_ID), msg);
			assert.equal(wecomCrypto.decrypt(ENCODING_AES_KEY, encrypted).message, msg);
			assert.equal(decryptMessage(AES_KEY, wecomCrypto.encrypt(ENCODING_AES_KEY, msg, CORP_ID), CORP_ID), msg);
		}
		assert.equal(seen.size, 32);
	});

	it('round-trips UTF-8 text of many lengths, the empty message and the empty receive ID (AI bots)', () => {
		for (let length = 0; length < 80; length++) {
			const msg = Array.from('企业微信 ✓ 😀 <xml>'.repeat(6)).slice(0, length).join('');
			assert.equal(decryptMessage(AES_KEY, encryptMessage(AES_KEY, msg, CORP_ID), CORP_ID), msg);
			assert.equal(decryptMessage(AES_KEY, encryptMessage(AES_KEY, msg, ''), ''), msg);
		}
	});

	it('is deterministic with a given random16 and random without one', () => {
		assert.equal(encryptMessage(AES_KEY, 'hi', CORP_ID, RANDOM16), encryptMessage(AES_KEY, 'hi', CORP_ID, RANDOM16));
		assert.notEqual(encryptMessage(AES_KEY, 'hi', CORP_ID), encryptMessage(AES_KEY, 'hi', CORP_ID));
		assert.throws(() => encryptMessage(AES_KEY, 'hi', CORP_ID, Buffer.alloc(15)), RangeError);
	});

	it('refuses a different receive ID without printing either ID', () => {
		const encrypted = encryptMessage(AES_KEY, 'hello', CORP_ID);
		for (const other of ['wx5823bf96d3bd56c8', 'wx5823bf96d3bd56c', '', 'ww_suite_id']) {
			const error = rejects(() => decryptMessage(AES_KEY, encrypted, other), 'receiveIdMismatch');
			assert.ok(!error.message.includes(CORP_ID));
			if (other) assert.ok(!error.message.includes(other));
		}
		rejects(() => decryptMessage(AES_KEY, GET_VECTOR.echostr, 'wx0000000000000000'), 'receiveIdMismatch');
	});

	it('refuses text that is not strict base64', () => {
		for (const bad of [
			'abc',
			'ab*d',
			'ab=d',
			'a===',
			'AAAA AAA',
			GET_VECTOR.echostr.replace(/\+/g, '-').replace(/\//g, '_'),
			GET_VECTOR.echostr.slice(0, -2),
			GET_VECTOR.echostr + '\n',
		]) {
			rejects(() => decryptMessage(AES_KEY, bad, CORP_ID), 'invalidBase64');
		}
	});

	it('refuses truncated or empty ciphertext', () => {
		rejects(() => decryptMessage(AES_KEY, '', CORP_ID), 'invalidLength');
		// 60 bytes: not a multiple of the AES block.
		rejects(() => decryptMessage(AES_KEY, GET_VECTOR.echostr.slice(0, 80), CORP_ID), 'invalidLength');
		// Whole blocks missing at the end: the last byte is no longer the pad.
		const cipher = Buffer.from(POST_VECTOR.encrypted, 'base64');
		rejects(() => decryptMessage(AES_KEY, cipher.subarray(0, cipher.length - 16).toString('base64'), CORP_ID), 'invalidPadding');
		// Only the first block: CBC decrypts it, but nothing after random(16) remains.
		const firstTwo = cipher.subarray(0, 32).toString('base64');
		assert.throws(() => decryptMessage(AES_KEY, firstTwo, CORP_ID), WeComCallbackError);
	});

	it('refuses a msg_len beyond the data and a content shorter than its header', () => {
		const msg = Buffer.from('hello');
		const pad = (content: number) => {
			const p = 32 - (content % 32);
			return Buffer.alloc(p, p);
		};
		const content = 20 + msg.length + CORP_ID.length;
		for (const msgLength of [24, 1000, 0xffffffff]) {
			rejects(
				() => decryptMessage(AES_KEY, encryptRaw(rawPlaintext(msg, CORP_ID, pad(content), msgLength)), CORP_ID),
				'invalidLength',
			);
		}
		// msg_len 23 = msg + receive ID exactly: the receive ID is then empty, which is a mismatch.
		rejects(
			() => decryptMessage(AES_KEY, encryptRaw(rawPlaintext(msg, CORP_ID, pad(content), 23)), CORP_ID),
			'receiveIdMismatch',
		);
		// 12 content bytes + pad 20: shorter than random(16) + msg_len(4).
		rejects(() => decryptMessage(AES_KEY, encryptRaw(Buffer.concat([Buffer.alloc(12), Buffer.alloc(20, 20)])), ''), 'invalidLength');
		// Only padding: one 32-byte block of value 32.
		rejects(() => decryptMessage(AES_KEY, encryptRaw(Buffer.alloc(32, 32)), ''), 'invalidLength');
	});

	it('refuses keys that are not 32 bytes, and the wrong key', () => {
		for (const key of [Buffer.alloc(16), Buffer.alloc(31), Buffer.alloc(33), 'x' as unknown as Buffer]) {
			rejects(() => decryptMessage(key, GET_VECTOR.echostr, CORP_ID), 'invalidAesKey');
			rejects(() => encryptMessage(key, 'x', CORP_ID), 'invalidAesKey');
		}
		const otherKey = decodeEncodingAesKey('abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG');
		const error = (() => {
			try {
				decryptMessage(otherKey, POST_VECTOR.encrypted, CORP_ID);
			} catch (e) {
				return e;
			}
			return undefined;
		})();
		assert.ok(error instanceof WeComCallbackError);
		assert.ok(['invalidPadding', 'invalidLength', 'receiveIdMismatch'].includes(error.reason));
	});
});

describe('kept cipher contexts', () => {
	// decryptMessage and encryptMessage keep one CBC context per key and correct the first block of
	// each message; these runs interleave keys, directions and failures, checked against fresh contexts.
	const keys = Array.from({ length: 20 }, (_, k) =>
		decodeEncodingAesKey(crypto.createHash('sha256').update(String(k)).digest('base64').replace(/[^A-Za-z0-9]/g, 'A').slice(0, 43)),
	);

	it('stays correct across interleaved keys, directions, message sizes and failed messages', () => {
		for (let n = 0; n < 400; n++) {
			const key = keys[(n * 7) % keys.length];
			const msg = 'm'.repeat((n * 13) % 97) + n;
			const encrypted = encryptMessage(key, msg, CORP_ID);
			// Fresh-context reference: the kept encrypt context produced a standard CBC ciphertext.
			const raw = decryptRaw(encrypted, key);
			assert.equal(raw.toString('utf8', 20, 20 + raw.readUInt32BE(16)), msg);
			assert.equal(decryptMessage(key, encrypted, CORP_ID), msg);
			if (n % 5 === 0) {
				// A failure in between (wrong key, so garbage plaintext) must not disturb later messages.
				assert.throws(() => decryptMessage(keys[(n + 1) % keys.length], encrypted, CORP_ID), WeComCallbackError);
			}
			if (n % 11 === 0) {
				assert.equal(decryptMessage(AES_KEY, POST_VECTOR.encrypted, CORP_ID).slice(0, 5), '<xml>');
				assert.equal(decryptMessage(AES_KEY, GET_VECTOR.echostr, CORP_ID), GET_VECTOR.plaintext);
			}
		}
	});

	it('keeps its own copy of the caller\'s key', () => {
		const key = Buffer.from(AES_KEY);
		assert.equal(decryptMessage(key, GET_VECTOR.echostr, CORP_ID), GET_VECTOR.plaintext);
		key.fill(0);
		assert.throws(() => decryptMessage(key, GET_VECTOR.echostr, CORP_ID), WeComCallbackError);
		assert.equal(decryptMessage(AES_KEY, GET_VECTOR.echostr, CORP_ID), GET_VECTOR.plaintext);
	});
});

describe('padding checks in detail', () => {
	const body = rawPlaintext(Buffer.from('hello'), CORP_ID, Buffer.alloc(0)); // 16 + 4 + 5 + 18 = 43 bytes
	const withPad = (padBytes: Buffer) => encryptRaw(Buffer.concat([body, padBytes]));

	it('accepts a correct 32-byte-block pad', () => {
		assert.equal(decryptMessage(AES_KEY, withPad(Buffer.alloc(21, 21)), CORP_ID), 'hello');
	});

	it('refuses pad value 0', () => {
		rejects(() => decryptMessage(AES_KEY, withPad(Buffer.concat([Buffer.alloc(20, 7), Buffer.from([0])])), CORP_ID), 'invalidPadding');
	});

	it('refuses pad value 33 and above', () => {
		const padBytes = Buffer.concat([Buffer.alloc(52, 0), Buffer.from([33])]); // 43 + 53 = 96
		rejects(() => decryptMessage(AES_KEY, withPad(padBytes), CORP_ID), 'invalidPadding');
		const big = Buffer.concat([Buffer.alloc(20, 255), Buffer.from([255])]);
		rejects(() => decryptMessage(AES_KEY, withPad(big), CORP_ID), 'invalidPadding');
	});

	it('refuses pad bytes that are not all equal', () => {
		const padBytes = Buffer.alloc(21, 21);
		padBytes[3] = 20;
		rejects(() => decryptMessage(AES_KEY, withPad(padBytes), CORP_ID), 'invalidPadding');
	});

	it('accepts a 16-byte-style pad (value < 32) when bytes are consistent, as WeCom readers do', () => {
		// 43 + 5 = 48 bytes, a multiple of 16: the value is in range and the bytes agree.
		assert.equal(decryptMessage(AES_KEY, withPad(Buffer.alloc(5, 5)), CORP_ID), 'hello');
	});
});

describe('openCallback', () => {
	const base = {
		token: TOKEN,
		aesKey: AES_KEY,
		receiveId: CORP_ID,
		signature: POST_VECTOR.signature,
		timestamp: POST_VECTOR.timestamp,
		nonce: POST_VECTOR.nonce,
		encrypted: POST_VECTOR.encrypted,
	};
	const sentAt = Number(POST_VECTOR.timestamp) * 1000;

	it('names every missing parameter', () => {
		for (const [key, label] of [
			['signature', 'msg_signature'],
			['timestamp', 'timestamp'],
			['nonce', 'nonce'],
			['encrypted', 'echostr/Encrypt'],
		] as const) {
			const error = rejects(() => openCallback({ ...base, [key]: undefined }), 'missingParameter');
			assert.match(error.message, new RegExp(label.replace('/', '\\/')));
			rejects(() => openCallback({ ...base, [key]: '' }), 'missingParameter');
		}
		const error = rejects(() => openCallback({ token: TOKEN, aesKey: AES_KEY, receiveId: CORP_ID }), 'missingParameter');
		assert.match(error.message, /msg_signature, timestamp, nonce, echostr\/Encrypt/);
	});

	it('refuses a tampered signature, token, nonce or payload with an actionable message', () => {
		const error = rejects(() => openCallback({ ...base, signature: base.signature.replace('4', '5') }), 'invalidSignature');
		assert.match(error.message, /Token in the WeCom Callback credential/);
		assert.match(error.message, /应用管理 → 接收消息 → API接收/);
		rejects(() => openCallback({ ...base, token: 'QDG6eL' }), 'invalidSignature');
		rejects(() => openCallback({ ...base, nonce: '1372623148' }), 'invalidSignature');
		rejects(() => openCallback({ ...base, encrypted: 'A' + base.encrypted.slice(1) }), 'invalidSignature');
	});

	it('applies the replay window only when asked', () => {
		assert.doesNotThrow(() => openCallback(base));
		assert.doesNotThrow(() => openCallback({ ...base, maxClockSkewSeconds: 300, now: sentAt + 299_999 }));
		assert.doesNotThrow(() => openCallback({ ...base, maxClockSkewSeconds: 300, now: sentAt - 300_000 }));
		const late = rejects(() => openCallback({ ...base, maxClockSkewSeconds: 300, now: sentAt + 301_000 }), 'staleTimestamp');
		assert.match(late.message, /301 s/);
		rejects(() => openCallback({ ...base, maxClockSkewSeconds: 300, now: sentAt - 301_000 }), 'staleTimestamp');
		rejects(() => openCallback({ ...base, maxClockSkewSeconds: 300 }), 'staleTimestamp'); // 2014 vs today
		assert.doesNotThrow(() => openCallback({ ...base, maxClockSkewSeconds: 0 }));
	});

	it('refuses a signed but non-numeric timestamp when the window is on', () => {
		const encrypted = encryptMessage(AES_KEY, 'x', CORP_ID);
		const timestamp = '1409659813abc';
		const signature = computeSignature(TOKEN, timestamp, '1', encrypted);
		const params = { ...base, encrypted, timestamp, nonce: '1', signature };
		assert.equal(openCallback(params), 'x');
		rejects(() => openCallback({ ...params, maxClockSkewSeconds: 300, now: sentAt }), 'staleTimestamp');
	});

	it('checks the signature before the clock', () => {
		rejects(
			() => openCallback({ ...base, signature: '0'.repeat(40), maxClockSkewSeconds: 300, now: sentAt + 10_000_000 }),
			'invalidSignature',
		);
	});
});

describe('buildEncryptedReply', () => {
	it('produces the passive-reply envelope that verifies and decrypts', () => {
		const plaintextXml = '<xml><ToUserName><![CDATA[mycreate]]></ToUserName><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[你好]]></Content></xml>';
		const reply = buildEncryptedReply({
			token: TOKEN,
			aesKey: AES_KEY,
			receiveId: CORP_ID,
			plaintextXml,
			timestamp: '1409659813',
			nonce: '1372623149',
		});
		assert.match(
			reply,
			/^<xml><Encrypt><!\[CDATA\[[A-Za-z0-9+/=]+\]\]><\/Encrypt><MsgSignature><!\[CDATA\[[0-9a-f]{40}\]\]><\/MsgSignature><TimeStamp>1409659813<\/TimeStamp><Nonce><!\[CDATA\[1372623149\]\]><\/Nonce><\/xml>$/,
		);
		const parsed = parseXml(reply);
		assert.equal(parsed.TimeStamp, '1409659813');
		assert.equal(parsed.Nonce, '1372623149');
		const decrypted = openCallback({
			token: TOKEN,
			aesKey: AES_KEY,
			receiveId: CORP_ID,
			signature: parsed.MsgSignature as string,
			timestamp: parsed.TimeStamp as string,
			nonce: parsed.Nonce as string,
			encrypted: parsed.Encrypt as string,
		});
		assert.equal(decrypted, plaintextXml);
	});

	it('fills in a current timestamp and a random nonce', () => {
		const before = Math.floor(Date.now() / 1000);
		const parsed = parseXml(buildEncryptedReply({ token: TOKEN, aesKey: AES_KEY, receiveId: CORP_ID, plaintextXml: '<xml/>' }));
		const after = Math.floor(Date.now() / 1000);
		const timestamp = Number(parsed.TimeStamp);
		assert.ok(timestamp >= before && timestamp <= after, `${timestamp} not in [${before}, ${after}]`);
		assert.match(parsed.Nonce as string, /^[0-9]{10}$/);
		assert.equal(
			computeSignature(TOKEN, parsed.TimeStamp as string, parsed.Nonce as string, parsed.Encrypt as string),
			parsed.MsgSignature,
		);
	});

	it('refuses a nonce or timestamp that would break the envelope', () => {
		const params = { token: TOKEN, aesKey: AES_KEY, receiveId: CORP_ID, plaintextXml: '<xml/>' };
		assert.throws(() => buildEncryptedReply({ ...params, nonce: 'a]]>b' }), RangeError);
		assert.throws(() => buildEncryptedReply({ ...params, timestamp: '12<' }), RangeError);
	});
});
