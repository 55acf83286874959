// WeCom's side of callbacks [doc 90930, 90968]: what its servers send to a callback URL (an encrypted
// envelope in the POST body, msg_signature / timestamp / nonce in the query; the GET URL check with an
// encrypted echostr), and how they open a passive reply. The crypto comes from the devDependency
// @wecom/crypto and the XML reading is the fake's own, never the product's: a mistake the product makes
// when it signs, encrypts or writes XML then shows up here instead of cancelling out.
import { randomBytes } from 'node:crypto';

import { decrypt, encrypt, getSignature } from '@wecom/crypto';

export interface CallbackSecrets {
	corpId: string;
	token: string;
	encodingAesKey: string;
}

/** A fresh, valid EncodingAESKey: 43 characters of [a-zA-Z0-9] [doc 90968]. */
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

/** A callback POST as WeCom sends it: AgentID only for app callbacks (the kf event comes without). */
export function encryptedCallback(
	secrets: CallbackSecrets,
	plaintextXml: string,
	options: { agentId?: string; timestamp?: string; nonce?: string } = {},
): SignedRequest {
	const encrypted = encrypt(secrets.encodingAesKey, plaintextXml, secrets.corpId);
	const timestamp = options.timestamp ?? String(Math.floor(Date.now() / 1000));
	const nonce = options.nonce ?? String(randomBytes(4).readUInt32BE());
	const agent = options.agentId === undefined ? '' : `<AgentID><![CDATA[${options.agentId}]]></AgentID>`;
	return {
		query: { msg_signature: getSignature(secrets.token, timestamp, nonce, encrypted), timestamp, nonce },
		body: `<xml><ToUserName><![CDATA[${secrets.corpId}]]></ToUserName>${agent}<Encrypt><![CDATA[${encrypted}]]></Encrypt></xml>`,
		encrypted,
	};
}

/** The query of the GET URL check; the answer must be `echo` exactly. */
export function urlVerification(secrets: CallbackSecrets, echo: string): Record<string, string> {
	const echostr = encrypt(secrets.encodingAesKey, echo, secrets.corpId);
	const timestamp = String(Math.floor(Date.now() / 1000));
	const nonce = String(randomBytes(4).readUInt32BE());
	return { msg_signature: getSignature(secrets.token, timestamp, nonce, echostr), timestamp, nonce, echostr };
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
 * to pull [doc 94670]: no content, only the sync_msg Token and the account's OpenKfId.
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

export type XmlValue = string | XmlElement;
export interface XmlElement {
	[name: string]: XmlValue | XmlValue[];
}

/**
 * Opens a passive reply the way WeCom's servers do [doc 90930]: the signature over (token, TimeStamp,
 * Nonce, Encrypt), then decryption, then the receive ID, which must be the corp ID. Throws with the reason
 * WeCom would drop the reply for.
 */
export function openPassiveReply(secrets: CallbackSecrets, replyXml: string): XmlElement {
	const envelope = readXml(replyXml);
	const field = (name: string) => (typeof envelope[name] === 'string' ? (envelope[name] as string) : '');
	const encrypted = field('Encrypt');
	const expected = getSignature(secrets.token, field('TimeStamp'), field('Nonce'), encrypted);
	if (field('MsgSignature') !== expected)
		throw new Error('WeCom would drop this reply: MsgSignature is not sha1 of the sorted token, TimeStamp, Nonce, Encrypt');
	const { message, id } = decrypt(secrets.encodingAesKey, encrypted);
	if (id !== secrets.corpId) throw new Error(`WeCom would drop this reply: its receive ID is "${id}", not the corp ID`);
	return readXml(message);
}

const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

/**
 * Reads the XML WeCom exchanges (elements, text, CDATA, entities; no attributes carry data) into the
 * root element's children: a leaf is its text, an element with children an object, a repeated element an
 * array. Enough for test inputs; it is no parser for untrusted XML.
 */
export function readXml(xml: string): XmlElement {
	const token = /<!\[CDATA\[([\s\S]*?)\]\]>|<\?[\s\S]*?\?>|<!--[\s\S]*?-->|<\/([^\s>]+)\s*>|<([^\s/>]+)[^>]*?(\/?)>|([^<]+)/g;
	type Frame = { name: string; children?: XmlElement; text: string };
	const stack: Frame[] = [];
	let root: Frame | undefined;
	for (const [, cdata, close, open, selfClosing, text] of xml.matchAll(token)) {
		const top = stack.at(-1);
		if (cdata !== undefined) {
			if (top) top.text += cdata;
		} else if (text !== undefined) {
			if (top) top.text += text.replace(/&(#x[0-9a-f]+|#\d+|\w+);/gi, decodeEntity);
		} else if (open !== undefined) {
			const frame: Frame = { name: open, text: '' };
			if (selfClosing) addChild(top, frame);
			else stack.push(frame);
		} else if (close !== undefined) {
			const frame = stack.pop();
			if (!frame || frame.name !== close) throw new Error(`readXml: </${close}> closes nothing open`);
			if (stack.length === 0) root = frame;
			else addChild(stack.at(-1), frame);
		}
	}
	if (!root || stack.length > 0) throw new Error('readXml: no complete root element');
	return root.children ?? {};
}

function addChild(parent: { children?: XmlElement } | undefined, frame: { name: string; children?: XmlElement; text: string }): void {
	if (!parent) return;
	const value: XmlValue = frame.children ?? frame.text;
	const children = (parent.children ??= {});
	const existing = children[frame.name];
	if (existing === undefined) children[frame.name] = value;
	else if (Array.isArray(existing)) existing.push(value);
	else children[frame.name] = [existing, value];
}

function decodeEntity(whole: string, name: string): string {
	if (name[0] === '#') {
		const code = name[1] === 'x' || name[1] === 'X' ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
		return String.fromCodePoint(code);
	}
	return ENTITIES[name] ?? whole;
}

/**
 * Sends a callback to `url` as WeCom's servers do: `plaintextXml` encrypted and signed, POSTed as text/xml
 * with msg_signature, timestamp and nonce in the query. Returns what the callback URL answered.
 */
export async function postCallback(
	url: string,
	secrets: CallbackSecrets,
	plaintextXml: string,
	options: { agentId?: string } = {},
): Promise<{ status: number; text: string }> {
	const signed = encryptedCallback(secrets, plaintextXml, options);
	const res = await fetch(withQuery(url, signed.query), {
		method: 'POST',
		headers: { 'content-type': 'text/xml' },
		body: signed.body,
	});
	return { status: res.status, text: await res.text() };
}
