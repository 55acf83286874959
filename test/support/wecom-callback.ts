/**
 * Builds callbacks the way WeCom's servers send them (doc 90930 / 90968): an encrypted envelope in the POST
 * body, msg_signature / timestamp / nonce in the query; and the GET URL check with an encrypted echostr.
 */
import { randomBytes } from 'node:crypto';

import { computeSignature, decodeEncodingAesKey, encryptMessage } from '../../nodes/WeCom/callback/crypto';

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

export function withQuery(url: string, query: Record<string, string>): string {
	return `${url}?${new URLSearchParams(query).toString()}`;
}
