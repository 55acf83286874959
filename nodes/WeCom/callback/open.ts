// Opening a callback: from the request's query and body to a verified, decrypted URL-check echo or message.
// Pure logic: no n8n runtime imports, so each step is tested on its own. What WeCom sends and why each check is
// here: docs/callbacks.md.
import type { INodeProperties } from 'n8n-workflow';

import {
	decodeEncodingAesKey,
	decryptMessage,
	encodingAesKeyProblem,
	urlCheckEcho,
	verifyCallback,
	WeComCallbackError,
	type WeComCallbackErrorReason,
} from './crypto';
import { RETRY_MEMORY_SECONDS } from './dedupe';
import { extractEncrypt, parseXml, type XmlObject } from './xml';

/** WeCom's callbacks are a few hundred bytes; kf and batch events stay far below this. */
export const MAX_BODY_BYTES = 64 * 1024;

/**
 * Default bound on |now − timestamp|. WeCom's retries of one callback come within seconds of the first
 * delivery, so 5 minutes leaves room for a server clock a few minutes off (NTP-synced clocks are within a
 * second). It must stay below the retry memory: a replay inside the window is recognised as a retry there,
 * and one outside it is refused here.
 */
export const DEFAULT_MAX_TIMESTAMP_AGE_SECONDS = 300;

/** The largest window the option allows: beyond the retry memory, a replay would start a second run. */
export const MAX_TIMESTAMP_AGE_SECONDS = RETRY_MEMORY_SECONDS;

/** The triggers' "Max Timestamp Age" option; `description` says it in the platform's words. */
export function maxTimestampAgeOption(description: string): INodeProperties {
	return {
		displayName: 'Max Timestamp Age (Seconds)',
		name: 'maxClockSkewSeconds',
		type: 'number',
		// At most the retry memory: a replay older than that would start a second run (docs/callbacks.md).
		typeOptions: { minValue: 0, maxValue: MAX_TIMESTAMP_AGE_SECONDS },
		default: DEFAULT_MAX_TIMESTAMP_AGE_SECONDS,
		description,
	};
}

/** The callback credential's values as the trigger keeps them between requests. */
export interface CallbackSecrets {
	token: string;
	/** corpid for app callbacks. */
	receiveId: string;
	/**
	 * The AES key, or why the EncodingAESKey cannot be one. A malformed key is kept as a verdict rather than
	 * thrown at load time, so it is cached like good values: forged requests (refused on the Token alone)
	 * then cost no credential read each.
	 */
	aesKey: Buffer | WeComCallbackError;
}

export function callbackSecretsFrom(credential: {
	token?: unknown;
	encodingAesKey?: unknown;
	corpId?: unknown;
}): CallbackSecrets {
	const encodingAesKey = String(credential.encodingAesKey ?? '');
	const aesKey = encodingAesKeyProblem(encodingAesKey) ?? decodeEncodingAesKey(encodingAesKey);
	return { token: String(credential.token ?? ''), receiveId: String(credential.corpId ?? '').trim(), aesKey };
}

/** Refusals that new credential values could cure (the operator may just have changed the Token or key). */
const SECRET_REASONS = new Set<WeComCallbackErrorReason>([
	'invalidSignature',
	'invalidAesKey',
	'invalidPadding',
	'invalidLength',
	'receiveIdMismatch',
]);

export function mayNeedFreshSecrets(result: OpenedCallback | WeComCallbackError): boolean {
	return result instanceof WeComCallbackError && SECRET_REASONS.has(result.reason);
}

/** WeCom's URL check (GET, echostr in the query) or a message or event (POST, Encrypt in the body). */
export type CallbackKind = 'urlCheck' | 'message';

/** What a callback request carries before anything secret is used. */
export interface CallbackEnvelope {
	kind: CallbackKind;
	signature?: string;
	timestamp?: string;
	nonce?: string;
	encrypted?: string;
}

function firstQueryValue(value: unknown): string | undefined {
	if (Array.isArray(value)) return firstQueryValue(value[0]);
	return typeof value === 'string' ? value : undefined;
}

/** Reads the signed values from the query and, for a message, the Encrypt element of the body. */
export function readEnvelope(kind: CallbackKind, query: Record<string, unknown>, body?: Buffer): CallbackEnvelope {
	let encrypted: string | undefined;
	if (kind === 'urlCheck') {
		encrypted = firstQueryValue(query.echostr);
	} else {
		const raw = body ?? Buffer.alloc(0);
		if (raw.length > MAX_BODY_BYTES) {
			throw new WeComCallbackError(
				'bodyTooLarge',
				`The callback body is ${raw.length} bytes; WeCom callbacks are under ${MAX_BODY_BYTES}.`,
			);
		}
		encrypted = extractEncrypt(raw.toString('utf8')).encrypted;
	}
	return {
		kind,
		signature: firstQueryValue(query.msg_signature),
		timestamp: firstQueryValue(query.timestamp),
		nonce: firstQueryValue(query.nonce),
		encrypted,
	};
}

export interface OpenedUrlCheck {
	kind: 'urlCheck';
	echo: string;
}

export interface OpenedMessage {
	kind: 'message';
	message: XmlObject;
	/** The decrypted XML, which keys events in the retry memory. */
	plaintext: string;
}

export type OpenedCallback = OpenedUrlCheck | OpenedMessage;

export interface OpenOptions {
	/** 0 turns the timestamp check off. */
	maxTimestampAgeSeconds: number;
	/** Milliseconds since the epoch, default Date.now(); for tests. */
	now?: number;
}

/**
 * Signature and timestamp first (they need only the Token), then the key, the decryption and the receive ID,
 * then what the plaintext must be: a URL-check echo, or a message in well-formed XML.
 */
export function openEnvelope(envelope: CallbackEnvelope, secrets: CallbackSecrets, options: OpenOptions): OpenedCallback {
	const encrypted = verifyCallback({
		token: secrets.token,
		signature: envelope.signature,
		timestamp: envelope.timestamp,
		nonce: envelope.nonce,
		encrypted: envelope.encrypted,
		maxClockSkewSeconds: options.maxTimestampAgeSeconds,
		now: options.now,
	});
	if (secrets.aesKey instanceof WeComCallbackError) throw secrets.aesKey;
	const plaintext = decryptMessage(secrets.aesKey, encrypted, secrets.receiveId);
	if (envelope.kind === 'urlCheck') return { kind: 'urlCheck', echo: urlCheckEcho(plaintext) };
	const message = parseXml(plaintext);
	// A passive reply (Passive Reply → Build) is signed with the same Token and encrypted with the same key,
	// from the Corp ID to the member (doc 90241). Captured on its way to WeCom, it would otherwise pass
	// every check above as a callback; WeCom's own callbacks come from a member, an external contact or sys.
	if (secrets.receiveId !== '' && message.FromUserName === secrets.receiveId) throw new WeComCallbackError('ownReply');
	return { kind: 'message', message, plaintext };
}
