// WeChat's side of a mini-program's message push (消息推送), written from WeChat's message push doc with
// node:crypto, never with the product's code, so a mistake the product makes cannot cancel out here:
// signatures are sha1 of the sorted values; safe mode encrypts with AES-256-CBC (IV = the key's first 16
// bytes), PKCS#7 to 32 bytes, plaintext = random(16) + length(4, big-endian) + message + App ID.
import { createCipheriv, createHash, randomBytes } from 'node:crypto';

export interface PushSecrets {
	appId: string;
	token: string;
	encodingAesKey: string;
}

export type PushFormat = 'xml' | 'json';

export interface PushRequest {
	query: Record<string, string>;
	body: string;
	format: PushFormat;
}

/** A fresh, valid EncodingAESKey: 43 letters and digits. */
export function newEncodingAesKey(): string {
	let key = '';
	while (key.length < 43) key += randomBytes(48).toString('base64').replace(/[^A-Za-z0-9]/g, '');
	return key.slice(0, 43);
}

export function newPushSecrets(appId = 'wx1234567890abcdef'): PushSecrets {
	return { appId, token: 'push' + randomBytes(6).toString('hex'), encodingAesKey: newEncodingAesKey() };
}

export function sha1Sorted(...values: string[]): string {
	return createHash('sha1').update([...values].sort().join('')).digest('hex');
}

export function wechatEncrypt(encodingAesKey: string, message: string, appId: string): string {
	const key = Buffer.from(encodingAesKey + '=', 'base64');
	const text = Buffer.from(message, 'utf8');
	const length = Buffer.alloc(4);
	length.writeUInt32BE(text.length);
	const content = Buffer.concat([randomBytes(16), length, text, Buffer.from(appId, 'utf8')]);
	const pad = 32 - (content.length % 32);
	const cipher = createCipheriv('aes-256-cbc', key, key.subarray(0, 16));
	cipher.setAutoPadding(false);
	return Buffer.concat([cipher.update(Buffer.concat([content, Buffer.alloc(pad, pad)])), cipher.final()]).toString('base64');
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

/** The GET WeChat sends when the push settings are submitted; the answer must be echostr. */
export function urlCheckQuery(secrets: PushSecrets, echostr: string): Record<string, string> {
	const timestamp = String(nowSeconds());
	const nonce = String(randomBytes(4).readUInt32BE());
	return { signature: sha1Sorted(secrets.token, timestamp, nonce), echostr, timestamp, nonce };
}

/** A push as WeChat sends it in safe mode: signature and msg_signature in the query, Encrypt in the body. */
export function safePush(
	secrets: PushSecrets,
	plaintext: string,
	format: PushFormat,
	options: { timestamp?: string; appId?: string; token?: string } = {},
): PushRequest {
	const timestamp = options.timestamp ?? String(nowSeconds());
	const nonce = String(randomBytes(4).readUInt32BE());
	const token = options.token ?? secrets.token;
	const encrypted = wechatEncrypt(secrets.encodingAesKey, plaintext, options.appId ?? secrets.appId);
	const body =
		format === 'json'
			? JSON.stringify({ ToUserName: 'gh_0123456789ab', Encrypt: encrypted })
			: `<xml><ToUserName><![CDATA[gh_0123456789ab]]></ToUserName><Encrypt><![CDATA[${encrypted}]]></Encrypt></xml>`;
	const query = {
		signature: sha1Sorted(token, timestamp, nonce),
		timestamp,
		nonce,
		openid: 'oUser',
		encrypt_type: 'aes',
		msg_signature: sha1Sorted(token, timestamp, nonce, encrypted),
	};
	return { query, body, format };
}

/** One template entry of a subscribe-message event. */
export interface SubscribeEntry {
	TemplateId: string;
	SubscribeStatusString?: string;
	PopupScene?: string;
	MsgID?: string;
	ErrorCode?: string;
	ErrorStatus?: string;
}

const WRAPPER: Record<string, string> = {
	subscribe_msg_popup_event: 'SubscribeMsgPopupEvent',
	subscribe_msg_change_event: 'SubscribeMsgChangeEvent',
	subscribe_msg_sent_event: 'SubscribeMsgSentEvent',
};

/**
 * A subscribe-message event as WeChat writes it: XML wraps the entries per event; JSON has a List that is an
 * object for one entry and an array for several, and a numeric CreateTime.
 */
export function subscribeEvent(
	event: string,
	openid: string,
	entries: SubscribeEntry[],
	format: PushFormat,
	createTime = nowSeconds(),
): string {
	if (format === 'json') {
		return JSON.stringify({
			ToUserName: 'gh_0123456789ab',
			FromUserName: openid,
			CreateTime: createTime,
			MsgType: 'event',
			Event: event,
			List: entries.length === 1 ? entries[0] : entries,
		});
	}
	const list = entries
		.map((entry) => `<List>${Object.entries(entry).map(([name, value]) => `<${name}><![CDATA[${value}]]></${name}>`).join('')}</List>`)
		.join('');
	return (
		`<xml><ToUserName><![CDATA[gh_0123456789ab]]></ToUserName><FromUserName><![CDATA[${openid}]]></FromUserName>` +
		`<CreateTime>${createTime}</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[${event}]]></Event>` +
		`<${WRAPPER[event]}>${list}</${WRAPPER[event]}></xml>`
	);
}
