/** Opening a callback, step by step: what the request carries, the credential's values, and the checks in order. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { WeComCallbackError, type WeComCallbackErrorReason } from '../../nodes/WeCom/callback/crypto';
import { RETRY_MEMORY_SECONDS } from '../../nodes/WeCom/callback/dedupe';
import {
	callbackSecretsFrom,
	DEFAULT_MAX_TIMESTAMP_AGE_SECONDS,
	MAX_BODY_BYTES,
	MAX_TIMESTAMP_AGE_SECONDS,
	mayNeedFreshSecrets,
	openEnvelope,
	readEnvelope,
	type CallbackEnvelope,
	type CallbackSecrets,
} from '../../nodes/WeCom/callback/open';
import {
	encryptedCallback,
	newEncodingAesKey,
	newSecrets,
	textMessageXml,
	urlVerification,
} from '../fakes/wecom/callback';
import { callbackErrorOf } from '../support/wecom-callback';

const secrets = newSecrets('ww_open_corp');
const opened = callbackSecretsFrom(secrets);
const nowMs = Date.now();
const at = (seconds: number) => String(Math.floor(nowMs / 1000) + seconds);
const options = { maxTimestampAgeSeconds: DEFAULT_MAX_TIMESTAMP_AGE_SECONDS, now: nowMs };

const message = (content: string) =>
	textMessageXml({ corpId: secrets.corpId, fromUser: 'zhangsan', content, msgId: '1234567890123456789' });

function postEnvelope(xml: string, timestamp = at(0)): CallbackEnvelope {
	const signed = encryptedCallback(secrets, xml, { timestamp });
	return readEnvelope('message', signed.query, Buffer.from(signed.body));
}

function refusal(fn: () => unknown, reason: WeComCallbackErrorReason): WeComCallbackError {
	return callbackErrorOf(fn, reason);
}

describe('readEnvelope', () => {
	it('takes echostr from the query of a URL check, Encrypt from the body of a message', () => {
		const query = urlVerification(secrets, '42');
		assert.deepEqual(readEnvelope('urlCheck', query), {
			kind: 'urlCheck',
			signature: query.msg_signature,
			timestamp: query.timestamp,
			nonce: query.nonce,
			encrypted: query.echostr,
		});
		const signed = encryptedCallback(secrets, message('hi'));
		assert.equal(readEnvelope('message', signed.query, Buffer.from(signed.body)).encrypted, signed.encrypted);
	});

	it('takes the first of repeated query values and ignores values that are not text', () => {
		const envelope = readEnvelope('urlCheck', { msg_signature: ['a', 'b'], timestamp: { x: 1 }, nonce: '1', echostr: 'e' });
		assert.equal(envelope.signature, 'a');
		assert.equal(envelope.timestamp, undefined);
	});

	it('refuses a body over the limit, a body that is not XML and one without Encrypt', () => {
		refusal(() => readEnvelope('message', {}, Buffer.alloc(MAX_BODY_BYTES + 1, 0x20)), 'bodyTooLarge');
		refusal(() => readEnvelope('message', {}, Buffer.from('not xml')), 'malformedXml');
		refusal(() => readEnvelope('message', {}, Buffer.from('<xml></xml>')), 'missingParameter');
	});
});

describe('callbackSecretsFrom', () => {
	it('decodes the key and trims the corp ID', () => {
		const values = callbackSecretsFrom({ ...secrets, corpId: ` ${secrets.corpId} ` });
		assert.equal(values.receiveId, secrets.corpId);
		assert.ok(Buffer.isBuffer(values.aesKey) && values.aesKey.length === 32);
	});

	it('keeps a malformed key as a verdict instead of throwing, so the values can be cached', () => {
		const values = callbackSecretsFrom({ ...secrets, encodingAesKey: 'short' });
		assert.ok(values.aesKey instanceof WeComCallbackError);
		assert.equal(values.aesKey.reason, 'invalidAesKey');
		assert.match(values.aesKey.message, /5 characters/);
		assert.doesNotMatch(values.aesKey.message, /short/);
	});
});

describe('openEnvelope', () => {
	it('opens a message and a URL check', () => {
		const result = openEnvelope(postEnvelope(message('你好')), opened, options);
		assert.equal(result.kind, 'message');
		assert.equal(result.kind === 'message' && result.message.Content, '你好');
		assert.deepEqual(openEnvelope(readEnvelope('urlCheck', urlVerification(secrets, '1616140317555161061')), opened, options), {
			kind: 'urlCheck',
			echo: '1616140317555161061',
		});
	});

	it('refuses a message\'s Encrypt replayed as a URL check (same signature, timestamp and nonce)', () => {
		const signed = encryptedCallback(secrets, message('my card number is 6222020000000000'), { timestamp: at(0) });
		const replay = readEnvelope('urlCheck', { ...signed.query, echostr: signed.encrypted });
		const error = refusal(() => openEnvelope(replay, opened, options), 'notAnEcho');
		assert.doesNotMatch(error.message, /6222020000000000/);
	});

	it('refuses a passive reply of this app posted back as a callback (from the Corp ID itself)', () => {
		const reply = `<xml><ToUserName><![CDATA[zhangsan]]></ToUserName><FromUserName><![CDATA[${secrets.corpId}]]></FromUserName><CreateTime>1700000000</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[您好]]></Content></xml>`;
		refusal(() => openEnvelope(postEnvelope(reply), opened, options), 'ownReply');
		// A member's message, and an event from sys, still open.
		assert.equal(openEnvelope(postEnvelope(message('hi')), opened, options).kind, 'message');
	});

	it('refuses by default a timestamp further than 5 minutes from the clock, either way', () => {
		for (const seconds of [-299, 0, 299]) assert.equal(openEnvelope(postEnvelope(message('ok'), at(seconds)), opened, options).kind, 'message');
		for (const seconds of [-3600, -301, 301]) {
			refusal(() => openEnvelope(postEnvelope(message('old'), at(seconds)), opened, options), 'staleTimestamp');
		}
		const off = { ...options, maxTimestampAgeSeconds: 0 };
		assert.equal(openEnvelope(postEnvelope(message('old'), at(-86_400)), opened, off).kind, 'message');
	});

	it('keeps the default window inside the retry memory, and the option cannot go beyond it', () => {
		assert.ok(DEFAULT_MAX_TIMESTAMP_AGE_SECONDS < RETRY_MEMORY_SECONDS);
		assert.ok(MAX_TIMESTAMP_AGE_SECONDS <= RETRY_MEMORY_SECONDS);
	});

	it('judges the signature before the key: a forged request never reaches a malformed key', () => {
		const malformed: CallbackSecrets = callbackSecretsFrom({ ...secrets, encodingAesKey: newEncodingAesKey().slice(1) });
		const genuine = postEnvelope(message('x'));
		refusal(() => openEnvelope({ ...genuine, signature: '0'.repeat(40) }, malformed, options), 'invalidSignature');
		refusal(() => openEnvelope(genuine, malformed, options), 'invalidAesKey');
	});

	it('judges the timestamp before the key', () => {
		const malformed = callbackSecretsFrom({ ...secrets, encodingAesKey: '' });
		refusal(() => openEnvelope(postEnvelope(message('x'), at(-3600)), malformed, options), 'staleTimestamp');
	});

	it('refuses a plaintext that is not well-formed XML', () => {
		refusal(() => openEnvelope(postEnvelope('<xml><Content>unclosed</xml>'), opened, options), 'malformedXml');
	});
});

describe('mayNeedFreshSecrets', () => {
	it('is true for refusals that changed credential values could cure, false otherwise', () => {
		for (const reason of ['invalidSignature', 'invalidAesKey', 'invalidPadding', 'invalidLength', 'receiveIdMismatch'] as const) {
			assert.equal(mayNeedFreshSecrets(new WeComCallbackError(reason)), true, reason);
		}
		for (const reason of ['staleTimestamp', 'notAnEcho', 'malformedXml', 'missingParameter', 'invalidBase64'] as const) {
			assert.equal(mayNeedFreshSecrets(new WeComCallbackError(reason)), false, reason);
		}
		assert.equal(mayNeedFreshSecrets({ kind: 'urlCheck', echo: '1' }), false);
	});
});
