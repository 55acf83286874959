/**
 * Builds callbacks the way WeCom's servers send them (doc 90930 / 90968): an encrypted envelope in the POST
 * body, msg_signature / timestamp / nonce in the query; and the GET URL check with an encrypted echostr.
 */
import { randomBytes } from 'node:crypto';

import {
	computeSignature,
	decodeEncodingAesKey,
	encryptMessage,
	openCallback,
	WeComCallbackError,
	type WeComCallbackErrorReason,
} from '../../nodes/WeCom/callback/crypto';
import { extractEncrypt, parseXml, type XmlObject } from '../../nodes/WeCom/callback/xml';

export interface CallbackSecrets {
	corpId: string;
	token: string;
	encodingAesKey: string;
}

/** A fresh, valid EncodingAESKey: 43 base64 characters without the trailing '='. */
export function newEncodingAesKey(): string {
	let key = '';
	while (key.length < 43) key += randomBytes(48).toString('base64').replace(/[^A-Za-z0-9]/g, '');
	return key.slice(0, 43);
}

export function newSecrets(corpId = 'ww_fake_corp'): CallbackSecrets {
	return { corpId, token: randomBytes(8).toString('hex'), encodingAesKey: newEncodingAesKey() };
}

export interface SignedRequest {
	query: Record<string, string>;
	body: string;
	/** The Encrypt value inside the body, as signed. */
	encrypted: string;
}

export function encryptedCallback(
	secrets: CallbackSecrets,
	plaintextXml: string,
	options: { agentId?: string; timestamp?: string; nonce?: string } = {},
): SignedRequest {
	const aesKey = decodeEncodingAesKey(secrets.encodingAesKey);
	const encrypted = encryptMessage(aesKey, plaintextXml, secrets.corpId);
	const timestamp = options.timestamp ?? String(Math.floor(Date.now() / 1000));
	const nonce = options.nonce ?? String(randomBytes(4).readUInt32BE());
	const agent = options.agentId === undefined ? '' : `<AgentID><![CDATA[${options.agentId}]]></AgentID>`;
	return {
		query: {
			msg_signature: computeSignature(secrets.token, timestamp, nonce, encrypted),
			timestamp,
			nonce,
		},
		body: `<xml><ToUserName><![CDATA[${secrets.corpId}]]></ToUserName>${agent}<Encrypt><![CDATA[${encrypted}]]></Encrypt></xml>`,
		encrypted,
	};
}

export function urlVerification(secrets: CallbackSecrets, echo: string): Record<string, string> {
	const aesKey = decodeEncodingAesKey(secrets.encodingAesKey);
	const echostr = encryptMessage(aesKey, echo, secrets.corpId);
	const timestamp = String(Math.floor(Date.now() / 1000));
	const nonce = String(randomBytes(4).readUInt32BE());
	return { msg_signature: computeSignature(secrets.token, timestamp, nonce, echostr), timestamp, nonce, echostr };
}

export function textMessageXml(fields: {
	corpId: string;
	fromUser: string;
	content: string;
	msgId: string;
	agentId?: string;
	createTime?: number;
}): string {
	return (
		`<xml><ToUserName><![CDATA[${fields.corpId}]]></ToUserName>` +
		`<FromUserName><![CDATA[${fields.fromUser}]]></FromUserName>` +
		`<CreateTime>${fields.createTime ?? Math.floor(Date.now() / 1000)}</CreateTime>` +
		`<MsgType><![CDATA[text]]></MsgType>` +
		`<Content><![CDATA[${fields.content}]]></Content>` +
		`<MsgId>${fields.msgId}</MsgId>` +
		`<AgentID>${fields.agentId ?? '1000002'}</AgentID></xml>`
	);
}

/**
 * The kf_msg_or_event callback WeCom sends when a WeChat customer service account has messages
 * to pull (doc 94670): no content, only the sync_msg Token and the account's OpenKfId.
 */
export function kfEventXml(fields: { corpId: string; token: string; openKfId: string; createTime?: number }): string {
	return (
		`<xml><ToUserName><![CDATA[${fields.corpId}]]></ToUserName>` +
		`<CreateTime>${fields.createTime ?? Math.floor(Date.now() / 1000)}</CreateTime>` +
		`<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[kf_msg_or_event]]></Event>` +
		`<Token><![CDATA[${fields.token}]]></Token>` +
		`<OpenKfId><![CDATA[${fields.openKfId}]]></OpenKfId></xml>`
	);
}

export function withQuery(url: string, query: Record<string, string>): string {
	return `${url}?${new URLSearchParams(query).toString()}`;
}

/** Opens a passive reply the way WeCom's servers do: signature over Encrypt, decryption, receive ID. */
export function openPassiveReply(secrets: CallbackSecrets, replyXml: string): XmlObject {
	const envelope = parseXml(replyXml) as Record<string, string>;
	const plaintext = openCallback({
		token: secrets.token,
		aesKey: decodeEncodingAesKey(secrets.encodingAesKey),
		receiveId: secrets.corpId,
		signature: envelope.MsgSignature,
		timestamp: envelope.TimeStamp,
		nonce: envelope.Nonce,
		encrypted: extractEncrypt(replyXml).encrypted,
	});
	return parseXml(plaintext);
}

/** Runs fn and returns the WeComCallbackError it must throw, checking its reason. */
export function callbackErrorOf(fn: () => unknown, reason: WeComCallbackErrorReason): WeComCallbackError {
	let caught: unknown;
	try {
		fn();
	} catch (error) {
		caught = error;
	}
	if (!(caught instanceof WeComCallbackError)) {
		throw new Error(`expected a WeComCallbackError (${reason}), got ${String(caught)}`);
	}
	if (caught.reason !== reason) throw new Error(`expected reason ${reason}, got ${caught.reason}: ${caught.message}`);
	return caught;
}
