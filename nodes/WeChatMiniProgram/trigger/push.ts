// Opening a mini-program message push (消息推送): from the request's query and body to a verified URL-check
// echo or a decrypted message. Safe mode uses WeCom's callback scheme (signature over four values, AES-256-CBC,
// 32-byte PKCS#7, receive ID at the end), with the App ID as the receive ID, so the crypto is WeCom's own
// code. What differs, and why each check is here: docs/miniprogram-push.md.
// Pure logic: no n8n imports.
import {
	checkTimestamp,
	decryptMessage,
	urlCheckEcho,
	verifyCallback,
	verifySignature,
	WeComCallbackError,
} from '../../WeCom/callback/crypto';
import type { CallbackSecrets } from '../../WeCom/callback/open';
import { MAX_BODY_BYTES } from '../../WeCom/callback/open';
import { parseXml, type XmlObject } from '../../WeCom/callback/xml';

/** What a push request carries before anything secret is used. */
export interface PushEnvelope {
	kind: 'urlCheck' | 'message';
	/** sha1 over Token, timestamp and nonce: the only signature of a URL check and of a plain-mode push. */
	signature?: string;
	/** sha1 over Token, timestamp, nonce and Encrypt: present in safe and compatible mode. */
	msgSignature?: string;
	timestamp?: string;
	nonce?: string;
	echostr?: string;
	/** 'aes' in safe and compatible mode; absent (or 'raw') in plain mode. */
	encryptType?: string;
	/** The Encrypt value of the body, in safe and compatible mode. */
	encrypted?: string;
	/** The whole body, for plain mode. */
	body?: string;
}

function firstQueryValue(value: unknown): string | undefined {
	if (Array.isArray(value)) return firstQueryValue(value[0]);
	return typeof value === 'string' ? value : undefined;
}

/** The push's data format (数据格式), chosen in the push settings: told apart by the first character. */
function isJson(text: string): boolean {
	return text.trimStart().startsWith('{');
}

/**
 * Reads a JSON push. 64-bit numbers (a message's MsgId, a sent event's MsgID) keep every digit: as a string
 * when they do not fit a double, read from the source text where the runtime offers it (Node 21+).
 */
export function parseJsonPush(text: string): XmlObject {
	let parsed: unknown;
	let wellFormed = true;
	try {
		parsed = JSON.parse(text, function (_key, value: unknown, context?: { source?: string }) {
			if (typeof value === 'number' && !Number.isSafeInteger(value) && Number.isInteger(value) && context?.source) {
				return context.source;
			}
			return value;
		});
	} catch {
		wellFormed = false;
	}
	if (!wellFormed) throw new WeComCallbackError('malformedXml', 'The push is not well-formed JSON.');
	if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
		throw new WeComCallbackError('malformedXml', 'The push is JSON but not an object.');
	}
	return parsed as XmlObject;
}

/** The body's Encrypt value; undefined when there is none (or more than one), which refuses the push. */
function encryptOf(body: string): string | undefined {
	const encrypted = (isJson(body) ? parseJsonPush(body) : parseXml(body)).Encrypt;
	return typeof encrypted === 'string' && encrypted !== '' ? encrypted : undefined;
}

export function readPush(kind: PushEnvelope['kind'], query: Record<string, unknown>, body?: Buffer): PushEnvelope {
	const envelope: PushEnvelope = {
		kind,
		signature: firstQueryValue(query.signature),
		msgSignature: firstQueryValue(query.msg_signature),
		timestamp: firstQueryValue(query.timestamp),
		nonce: firstQueryValue(query.nonce),
		echostr: firstQueryValue(query.echostr),
		encryptType: firstQueryValue(query.encrypt_type),
	};
	if (kind === 'urlCheck') return envelope;
	const raw = body ?? Buffer.alloc(0);
	if (raw.length > MAX_BODY_BYTES) {
		throw new WeComCallbackError('bodyTooLarge', `The push body is ${raw.length} bytes; pushes are under ${MAX_BODY_BYTES}.`);
	}
	const text = raw.toString('utf8');
	if (envelope.encryptType === 'aes') {
		// Compatible mode sends the plaintext fields beside Encrypt: only the signed, encrypted copy is used.
		envelope.encrypted = encryptOf(text);
	} else {
		envelope.body = text;
	}
	return envelope;
}

export interface PushSecrets extends CallbackSecrets {
	/** Whether plain-mode pushes, whose content WeChat does not sign, are accepted. */
	allowPlainMode?: boolean;
}

export interface OpenedPushCheck {
	kind: 'urlCheck';
	echo: string;
}

export interface OpenedPush {
	kind: 'message';
	message: XmlObject;
	/** The decrypted (or plain) text, which keys events in the retry memory. */
	plaintext: string;
}

export interface OpenPushOptions {
	/** 0 turns the timestamp check off. */
	maxTimestampAgeSeconds: number;
	/** Milliseconds since the epoch, default Date.now(); for tests. */
	now?: number;
}

/** The three-value signature of a URL check and of plain mode: sha1 of Token, timestamp and nonce, sorted. */
function verifyPlainSignature(token: string, envelope: PushEnvelope, options: OpenPushOptions): void {
	const { signature, timestamp, nonce } = envelope;
	if (!signature || !timestamp || !nonce) {
		throw new WeComCallbackError(
			'missingParameter',
			'The push lacks signature, timestamp or nonce in its query string: check that it comes from WeChat and that no proxy strips the query string.',
		);
	}
	// An empty fourth value sorts first and adds nothing, so this is WeChat's sha1 of the three sorted values.
	if (!verifySignature(token, timestamp, nonce, '', signature)) throw new WeComCallbackError('invalidSignature');
	checkTimestamp(timestamp, options.maxTimestampAgeSeconds, options.now);
}

function parsePlaintext(plaintext: string): XmlObject {
	return isJson(plaintext) ? parseJsonPush(plaintext) : parseXml(plaintext);
}

/**
 * URL check: the signature, then echostr back as it came (it is not encrypted, in any mode). Safe and
 * compatible mode: msg_signature over Encrypt, the timestamp, then decryption with the App ID as receive ID.
 * Plain mode only when the operator allows it: WeChat signs no part of its body.
 */
export function openPush(envelope: PushEnvelope, secrets: PushSecrets, options: OpenPushOptions): OpenedPushCheck | OpenedPush {
	if (envelope.kind === 'urlCheck') {
		if (!envelope.echostr) {
			throw new WeComCallbackError('missingParameter', 'The URL check lacks echostr in its query string: check that it comes from WeChat.');
		}
		verifyPlainSignature(secrets.token, envelope, options);
		// The signature does not cover echostr: only a short token is echoed, never a text of the caller's choosing.
		return { kind: 'urlCheck', echo: urlCheckEcho(envelope.echostr) };
	}
	if (envelope.encryptType !== 'aes') {
		if (!secrets.allowPlainMode) {
			throw new WeComCallbackError(
				'missingParameter',
				'The push is not encrypted (no encrypt_type=aes): set 消息加解密方式 to 安全模式 in the mini-program\'s push settings, or turn on the trigger\'s option "Accept Plain-Mode Pushes".',
			);
		}
		verifyPlainSignature(secrets.token, envelope, options);
		const plaintext = envelope.body ?? '';
		return { kind: 'message', message: parsePlaintext(plaintext), plaintext };
	}
	if (!envelope.msgSignature || !envelope.timestamp || !envelope.nonce || !envelope.encrypted) {
		throw new WeComCallbackError(
			'missingParameter',
			'The push lacks msg_signature, timestamp or nonce in its query string, or Encrypt in its body: check that it comes from WeChat and that no proxy strips the query string.',
		);
	}
	const encrypted = verifyCallback({
		token: secrets.token,
		signature: envelope.msgSignature,
		timestamp: envelope.timestamp,
		nonce: envelope.nonce,
		encrypted: envelope.encrypted,
		maxClockSkewSeconds: options.maxTimestampAgeSeconds,
		now: options.now,
	});
	if (secrets.aesKey instanceof WeComCallbackError) throw secrets.aesKey;
	const plaintext = decryptMessage(secrets.aesKey, encrypted, secrets.receiveId);
	return { kind: 'message', message: parsePlaintext(plaintext), plaintext };
}
