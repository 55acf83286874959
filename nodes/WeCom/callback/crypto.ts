// WeCom callback crypto (WXBizMsgCrypt): signature, AES-256-CBC with 32-byte PKCS#7, receive ID check.
// Algorithm: https://developer.work.weixin.qq.com/document/path/90968 (加解密方案说明).
// Pure logic: node:crypto only, no n8n imports, so it is tested and benchmarked on its own.
import * as crypto from 'node:crypto';

export type WeComCallbackErrorReason =
	| 'missingParameter'
	| 'invalidSignature'
	| 'staleTimestamp'
	| 'invalidAesKey'
	| 'invalidBase64'
	| 'invalidPadding'
	| 'invalidLength'
	| 'receiveIdMismatch'
	| 'malformedXml'
	| 'bodyTooLarge'
	| 'notAnEcho'
	| 'ownReply';

const CONSOLE_PATH = 'WeCom admin console (应用管理 → 接收消息 → API接收)';

const DEFAULT_MESSAGES: Record<WeComCallbackErrorReason, string> = {
	missingParameter:
		'The callback request lacks a required parameter: WeCom sends msg_signature, timestamp and nonce in the query string, and echostr (GET) or Encrypt (POST); check that the request comes from WeCom and that no proxy strips the query string.',
	invalidSignature: `The msg_signature does not match: check that the Token in the WeCom Callback credential is the one in the ${CONSOLE_PATH}.`,
	staleTimestamp:
		"The callback timestamp is outside the allowed clock skew: check this server's clock (NTP); otherwise the request may be a replay.",
	invalidAesKey: `The EncodingAESKey must be exactly 43 letters and digits: copy it again from the ${CONSOLE_PATH}.`,
	invalidBase64:
		'The encrypted payload (echostr or Encrypt) is not valid base64: if it came from a URL it must be URL-decoded exactly once (%2B → +, %2F → /, %3D → =).',
	invalidPadding: `Decryption produced invalid padding: the EncodingAESKey in the WeCom Callback credential is probably not the one in the ${CONSOLE_PATH}.`,
	invalidLength: `The decrypted payload has an impossible length: it was truncated or corrupted, or the EncodingAESKey in the WeCom Callback credential is not the one in the ${CONSOLE_PATH}.`,
	receiveIdMismatch:
		"The message was encrypted for another receiver: the Corp ID in the WeCom Callback credential differs from the message's receive ID (for third-party apps the receive ID is the Suite ID, for AI bots it is empty).",
	malformedXml: 'The callback body is not well-formed XML of the kind WeCom sends.',
	bodyTooLarge: 'The callback body is larger than allowed.',
	notAnEcho:
		"A URL check's echostr decrypted to something other than the short token WeCom sends: most likely a captured callback replayed as a URL check to have it decrypted.",
	ownReply:
		'The decrypted message comes from the Corp ID itself, as only a passive reply of this app does: most likely a captured passive reply posted back as a callback.',
};

/** Every failure of verifying, decrypting or parsing a WeCom callback. Messages never contain the Token or AES key. */
export class WeComCallbackError extends Error {
	readonly reason: WeComCallbackErrorReason;

	constructor(reason: WeComCallbackErrorReason, message?: string) {
		super(message ?? DEFAULT_MESSAGES[reason]);
		this.name = 'WeComCallbackError';
		this.reason = reason;
	}
}

const AES_KEY_PATTERN = /^[A-Za-z0-9]{43}$/;

/** Why this EncodingAESKey cannot be one (43 letters and digits), or undefined when it can. */
export function encodingAesKeyProblem(encodingAesKey: string): WeComCallbackError | undefined {
	if (typeof encodingAesKey === 'string' && AES_KEY_PATTERN.test(encodingAesKey)) return undefined;
	const length = typeof encodingAesKey === 'string' ? encodingAesKey.length : 0;
	return new WeComCallbackError(
		'invalidAesKey',
		`The EncodingAESKey must be exactly 43 letters and digits, but it has ${length} characters or other characters: copy it again from the ${CONSOLE_PATH}.`,
	);
}

/** AES key from the 43-character EncodingAESKey: base64(key + '=') gives 32 bytes [doc 90968]. */
export function decodeEncodingAesKey(encodingAesKey: string): Buffer {
	const problem = encodingAesKeyProblem(encodingAesKey);
	if (problem) throw problem;
	const key = Buffer.from(encodingAesKey + '=', 'base64');
	if (key.length !== 32) {
		throw new WeComCallbackError('invalidAesKey');
	}
	return key;
}

// crypto.hash (Node >= 20.12): one native call instead of createHash/update/digest, faster for short inputs.
const sha1Hex: (data: string) => string =
	typeof crypto.hash === 'function'
		? (data) => crypto.hash('sha1', data, 'hex')
		: (data) => crypto.createHash('sha1').update(data).digest('hex');

/** msg_signature = sha1 hex of the four values sorted as strings and concatenated [doc 90968]. */
export function computeSignature(token: string, timestamp: string, nonce: string, encrypted: string): string {
	return sha1Hex([token, timestamp, nonce, encrypted].sort().join(''));
}

/** Compares in constant time; a signature of the wrong length is simply false. */
export function verifySignature(
	token: string,
	timestamp: string,
	nonce: string,
	encrypted: string,
	signature: string,
): boolean {
	if (typeof signature !== 'string') return false;
	const expected = Buffer.from(computeSignature(token, timestamp, nonce, encrypted), 'latin1');
	const given = Buffer.from(signature, 'latin1');
	return given.length === expected.length && crypto.timingSafeEqual(given, expected);
}

function assertAesKey(aesKey: Buffer): void {
	if (!Buffer.isBuffer(aesKey) || aesKey.length !== 32) {
		throw new WeComCallbackError(
			'invalidAesKey',
			'The AES key must be 32 bytes: decode the EncodingAESKey with decodeEncodingAesKey first.',
		);
	}
}

// WeCom pads to a multiple of 32 bytes, not AES's 16 ("填充至32字节的倍数", doc 90968; block_size = 32 in
// Tencent's sample code), so the pad value is 1..32.
const PAD_BLOCK = 32;

// Long-lived AES-256-CBC contexts, one per key and direction. Creating a cipher is the costliest step
// of opening a callback (measured on Node 24.21: 27-40 µs of CPU for createDecipheriv against 3 µs for
// decrypting a 550-byte message; see bench/README.md), so a context is kept and fed one message
// after another. CBC chains each block to the previous ciphertext block; a kept context chains a
// message's first block to the last ciphertext block of the message before (`chain`) instead of to
// the IV, so that one block is corrected by XOR with chain ^ IV, which is zero for a new context.
interface CbcContext {
	key: Buffer;
	stream: { update(data: Buffer): Buffer };
	chain: Buffer;
}
type CbcMode = 'encrypt' | 'decrypt';
const cbcContexts: Record<CbcMode, CbcContext[]> = { encrypt: [], decrypt: [] };
const MAX_CBC_CONTEXTS = 16;

function cbcContext(mode: CbcMode, aesKey: Buffer): CbcContext {
	const contexts = cbcContexts[mode];
	for (const context of contexts) {
		if (context.key.equals(aesKey)) return context;
	}
	if (contexts.length >= MAX_CBC_CONTEXTS) contexts.shift();
	const key = Buffer.from(aesKey);
	const iv = key.subarray(0, 16);
	// IV = first 16 bytes of the key, and no automatic padding [doc 90968]: Node's PKCS#7 check assumes
	// 16-byte blocks and fails (bad decrypt) whenever WeCom's pad value is 17..32, about half of all messages.
	const stream =
		mode === 'decrypt' ? crypto.createDecipheriv('aes-256-cbc', key, iv) : crypto.createCipheriv('aes-256-cbc', key, iv);
	stream.setAutoPadding(false);
	const context = { key, stream, chain: Buffer.from(iv) };
	contexts.push(context);
	return context;
}

// input: a non-empty multiple of 16 bytes; when encrypting, its first block is modified in place.
function cbc(mode: CbcMode, aesKey: Buffer, input: Buffer): Buffer {
	const context = cbcContext(mode, aesKey);
	const { chain, key } = context;
	if (mode === 'encrypt') {
		for (let i = 0; i < 16; i++) input[i] ^= chain[i] ^ key[i];
	}
	let output: Buffer | undefined;
	try {
		output = context.stream.update(input);
	} finally {
		// A context whose chaining state is unknown must not serve another message.
		if (output === undefined || output.length !== input.length) {
			cbcContexts[mode].splice(cbcContexts[mode].indexOf(context), 1);
		}
	}
	if (output.length !== input.length) {
		throw new WeComCallbackError('invalidLength');
	}
	if (mode === 'decrypt') {
		for (let i = 0; i < 16; i++) output[i] ^= chain[i] ^ key[i];
		input.copy(chain, 0, input.length - 16);
	} else {
		output.copy(chain, 0, output.length - 16);
	}
	return output;
}

/**
 * Decrypts echostr or Encrypt and checks the receive ID (corpid for app callbacks, suiteid for
 * third-party apps, '' for AI bots). Returns the UTF-8 message.
 */
export function decryptMessage(aesKey: Buffer, encrypted: string, expectedReceiveId: string): string {
	assertAesKey(aesKey);
	if (typeof encrypted !== 'string') {
		throw new WeComCallbackError('invalidBase64');
	}
	// Buffer.from skips characters it does not know; re-encoding and comparing makes the check strict
	// (alphabet, padding, no whitespace) and costs less than a regular expression over the text.
	const cipherText = Buffer.from(encrypted, 'base64');
	if (cipherText.toString('base64') !== encrypted) {
		throw new WeComCallbackError('invalidBase64');
	}
	if (cipherText.length === 0 || cipherText.length % 16 !== 0) {
		throw new WeComCallbackError(
			'invalidLength',
			`The encrypted payload is ${cipherText.length} bytes, not a non-empty multiple of the AES block size (16): it was truncated or corrupted on the way.`,
		);
	}
	const plain = cbc('decrypt', aesKey, cipherText);

	const pad = plain[plain.length - 1];
	if (pad < 1 || pad > PAD_BLOCK || pad > plain.length) {
		throw new WeComCallbackError('invalidPadding');
	}
	let padMismatch = 0;
	for (let i = plain.length - pad; i < plain.length; i++) padMismatch |= plain[i] ^ pad;
	if (padMismatch !== 0) {
		throw new WeComCallbackError('invalidPadding');
	}

	// Layout: random(16) + msg_len(4, big-endian) + msg + receiveid [doc 90968].
	const contentEnd = plain.length - pad;
	if (contentEnd < 20) {
		throw new WeComCallbackError('invalidLength');
	}
	const msgLength = plain.readUInt32BE(16);
	if (msgLength > contentEnd - 20) {
		throw new WeComCallbackError('invalidLength');
	}
	const msgEnd = 20 + msgLength;

	const receiveId = plain.subarray(msgEnd, contentEnd);
	const expected = Buffer.from(expectedReceiveId, 'utf8');
	if (receiveId.length !== expected.length || !crypto.timingSafeEqual(receiveId, expected)) {
		throw new WeComCallbackError('receiveIdMismatch');
	}
	return plain.toString('utf8', 20, msgEnd);
}

/** The inverse of decryptMessage; random16 is for reproducible tests and benchmarks only. */
export function encryptMessage(aesKey: Buffer, plaintext: string, receiveId: string, random16?: Buffer): string {
	assertAesKey(aesKey);
	const random = random16 ?? crypto.randomBytes(16);
	if (random.length !== 16) {
		throw new RangeError('random16 must be exactly 16 bytes');
	}
	const msgLength = Buffer.byteLength(plaintext, 'utf8');
	const idLength = Buffer.byteLength(receiveId, 'utf8');
	const contentLength = 20 + msgLength + idLength;
	const pad = PAD_BLOCK - (contentLength % PAD_BLOCK);
	const plain = Buffer.alloc(contentLength + pad, pad);
	random.copy(plain, 0);
	plain.writeUInt32BE(msgLength, 16);
	plain.write(plaintext, 20, 'utf8');
	plain.write(receiveId, 20 + msgLength, 'utf8');

	return cbc('encrypt', aesKey, plain).toString('base64');
}

export interface EncryptedReplyParams {
	token: string;
	aesKey: Buffer;
	receiveId: string;
	plaintextXml: string;
	/** Seconds since the epoch as a decimal string; default now. */
	timestamp?: string;
	/** Default: a random 10-digit string. WeCom accepts reusing the request's nonce [doc 90930]. */
	nonce?: string;
}

/** The passive reply body: encrypted plaintext XML plus its signature [doc 90930]. */
export function buildEncryptedReply(params: EncryptedReplyParams): string {
	const timestamp = params.timestamp ?? String(Math.floor(Date.now() / 1000));
	if (!/^[0-9]{1,20}$/.test(timestamp)) {
		throw new RangeError('timestamp must be decimal digits (seconds since the epoch)');
	}
	const nonce = params.nonce ?? String(crypto.randomInt(1_000_000_000, 10_000_000_000));
	if (!/^[A-Za-z0-9_-]{1,64}$/.test(nonce)) {
		throw new RangeError('nonce must be 1 to 64 letters, digits, _ or -');
	}
	const encrypted = encryptMessage(params.aesKey, params.plaintextXml, params.receiveId);
	const signature = computeSignature(params.token, timestamp, nonce, encrypted);
	// base64, hex and the checked nonce cannot contain "]]>", so the CDATA sections need no splitting.
	return (
		`<xml><Encrypt><![CDATA[${encrypted}]]></Encrypt>` +
		`<MsgSignature><![CDATA[${signature}]]></MsgSignature>` +
		`<TimeStamp>${timestamp}</TimeStamp>` +
		`<Nonce><![CDATA[${nonce}]]></Nonce></xml>`
	);
}

export interface VerifyCallbackParams {
	token: string;
	/** msg_signature from the query string (already URL-decoded). */
	signature?: string;
	timestamp?: string;
	nonce?: string;
	/** echostr (GET, URL-decoded) or the Encrypt element of the POST body. */
	encrypted?: string;
	/** Reject when |now - timestamp| exceeds this many seconds; off when undefined or 0. */
	maxClockSkewSeconds?: number;
	/** Milliseconds since the epoch, default Date.now(); for tests. */
	now?: number;
}

export interface OpenCallbackParams extends VerifyCallbackParams {
	aesKey: Buffer;
	/** corpid for app callbacks, suiteid for third-party apps, '' for AI bots. */
	receiveId: string;
}

/**
 * Refuses a signed timestamp further than maxSkew seconds from now (milliseconds since the epoch, default
 * Date.now()); off when maxSkew is undefined or 0. Judge it only once the signature is known to be right.
 */
export function checkTimestamp(timestamp: string, maxSkew: number | undefined, now?: number): void {
	if (maxSkew === undefined || maxSkew <= 0) return;
	const sent = /^[0-9]{1,15}$/.test(timestamp) ? Number(timestamp) : NaN;
	const nowSeconds = Math.floor((now ?? Date.now()) / 1000);
	const skew = Math.abs(nowSeconds - sent);
	if (!(skew <= maxSkew)) {
		throw new WeComCallbackError(
			'staleTimestamp',
			Number.isNaN(sent)
				? 'The callback timestamp is not a number of seconds: the request did not come from WeCom as sent.'
				: `The callback timestamp is ${skew} s away from this server's clock (allowed: ${maxSkew} s): check the server clock (NTP); otherwise the request may be a replay.`,
		);
	}
}

/**
 * Checks that WeCom signed this callback (and, when asked, that it is recent) and returns the encrypted
 * payload. Needs only the Token: nothing here depends on the EncodingAESKey.
 */
export function verifyCallback(params: VerifyCallbackParams): string {
	const { signature, timestamp, nonce, encrypted } = params;
	const missing: string[] = [];
	if (!signature) missing.push('msg_signature');
	if (!timestamp) missing.push('timestamp');
	if (!nonce) missing.push('nonce');
	if (!encrypted) missing.push('echostr/Encrypt');
	if (!signature || !timestamp || !nonce || !encrypted) {
		throw new WeComCallbackError(
			'missingParameter',
			`The callback request lacks ${missing.join(', ')}: WeCom sends msg_signature, timestamp and nonce in the query string, and echostr (GET) or Encrypt (POST); check that the request comes from WeCom and that no proxy strips the query string.`,
		);
	}

	// Signature first: the timestamp is only worth judging once we know WeCom signed it.
	if (!verifySignature(params.token, timestamp, nonce, encrypted, signature)) {
		throw new WeComCallbackError('invalidSignature');
	}

	checkTimestamp(timestamp, params.maxClockSkewSeconds, params.now);
	return encrypted;
}

/** Verifies and decrypts one callback (GET echostr or POST Encrypt); returns the plaintext. */
export function openCallback(params: OpenCallbackParams): string {
	return decryptMessage(params.aesKey, verifyCallback(params), params.receiveId);
}

// What a URL check's echostr decrypts to. Doc 90930 only says it is a plaintext to send back as it is, with
// no quotes, BOM or line break; every echo WeCom is known to send is a random number of 19 or so digits
// (doc 90968's worked example: 1616140317555161061). Every message WeCom signs with the same Token is XML
// (doc 90968: "msg：为消息体明文，格式为XML"), and so is every passive reply. Hence: 1 to 128 of the URL's
// unreserved characters. No message passes (it needs '<'), and an echo that is not all digits, should
// WeCom ever send one, still does.
const URL_CHECK_ECHO = /^[A-Za-z0-9._~-]{1,128}$/;

/**
 * The echo of a URL check, or a refusal when the plaintext cannot be one. Without this, anyone holding a
 * captured callback could replay its Encrypt as echostr with the same msg_signature, timestamp and nonce
 * (the signature does not cover the HTTP method) and get the decrypted message back.
 */
export function urlCheckEcho(plaintext: string): string {
	if (!URL_CHECK_ECHO.test(plaintext)) {
		throw new WeComCallbackError(
			'notAnEcho',
			`A URL check's echostr decrypted to ${plaintext.length} characters that are not a short token (at most 128 letters, digits, - . _ ~) as WeCom sends: most likely a captured callback replayed as a URL check to have it decrypted. If WeCom's own URL check in the admin console fails with this, its echo format has changed: report it to this package's maintainers.`,
		);
	}
	return plaintext;
}
