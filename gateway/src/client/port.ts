// The gateway's only view of a WhatsApp Web engine. The session, the HTTP API and the webhooks depend on
// this file alone, never on whatsapp-web.js types: its Message and Chat objects are bound to a live
// browser page, and tests drive a fake (test/fakeClient.ts) through every state and failure instead.

/** A message as the engine saw it, in plain data. */
export interface WaMessage {
	/** Serialized message ID, e.g. `false_8613800000000@c.us_3EB0…`. */
	id: string;
	/** The chat the message belongs to: the other person for a 1:1 chat, the group for a group. */
	chatId: string;
	/** The sender's ID as WhatsApp gives it: `…@c.us`, `…@lid` (linked ID) or, in a group, the group. */
	from: string;
	/** In a group, the member who wrote it; null in a 1:1 chat. */
	author: string | null;
	fromMe: boolean;
	/** whatsapp-web.js message type: `chat`, `image`, `ptt`, `document`, … */
	type: string;
	body: string;
	hasMedia: boolean;
	/** Unix seconds. */
	timestamp: number;
	/** The sender's profile name (push name) when WhatsApp gives one. */
	senderName: string | null;
}

export interface WaMe {
	/** `8613800000000@c.us` */
	id: string;
	name: string | null;
}

export interface WaAck {
	messageId: string;
	chatId: string;
	/** -1 error, 0 pending, 1 server, 2 device, 3 read, 4 played. */
	ack: number;
}

export interface WaSent {
	messageId: string;
	chatId: string;
}

export interface WaMedia {
	/** Base64 without a data: prefix. */
	data: string;
	mimetype: string;
	filename?: string;
}

/** What an engine reports. One set per client; a destroyed client reports nothing more. */
export interface WaClientHandlers {
	qr(qr: string): void;
	/** A pairing code WhatsApp issued (requested with requestPairingCode). */
	code(code: string): void;
	authenticated(): void;
	authFailure(message: string): void;
	ready(me: WaMe): void;
	/** The session ended: `LOGOUT` or `UNPAIRED` when the phone unlinked the device, else a WhatsApp state. */
	disconnected(reason: string): void;
	/** The browser or its page went away under us (crash, OOM kill, closed window). */
	browserClosed(detail: string): void;
	/** A message someone else sent to this account. */
	message(message: WaMessage): void;
	/** A message this account sent, from the phone or through the gateway. */
	ownMessage(message: WaMessage): void;
	ack(ack: WaAck): void;
}

export interface WaClientPort {
	/**
	 * Launches the browser and opens WhatsApp Web. Resolves before `qr` or `ready` (as whatsapp-web.js
	 * does); rejects with whatever the engine threw, which may be a string, not an Error.
	 */
	initialize(): Promise<void>;
	/** Closes the browser; the saved session stays on disk. Never throws. */
	destroy(): Promise<void>;
	/** Unlinks the device on the phone and deletes the saved session. Throws when WhatsApp Web is not loaded. */
	logout(): Promise<void>;
	/**
	 * WhatsApp Web's connection state (`CONNECTED`, `OPENING`, `TIMEOUT`, …), or null when the page has
	 * none. Throws when the page or the browser is gone, and may hang when the tab is frozen.
	 */
	getState(): Promise<string | null>;
	/** `phone` in digits only. Resolves to an 8-character code. */
	requestPairingCode(phone: string): Promise<string>;
	/** `number` in digits only. The chat ID (`…@c.us`) when the number is on WhatsApp, else null. */
	getNumberId(number: string): Promise<string | null>;
	/** The phone number (digits) behind a linked ID (`…@lid`), when WhatsApp gives it. */
	getPhoneForLid(lid: string): Promise<string | null>;
	sendText(chatId: string, text: string, options?: { quotedMessageId?: string }): Promise<WaSent>;
	sendMedia(chatId: string, media: WaMedia, options?: { caption?: string; quotedMessageId?: string }): Promise<WaSent>;
}

export interface WaClientOptions {
	/** Folder for the saved session (whatsapp-web.js LocalAuth data path). */
	authDir: string;
	/** One per session; names the profile folder `session-<clientId>`. */
	clientId: string;
	chromiumPath: string;
	handlers: WaClientHandlers;
}

export type WaClientFactory = (options: WaClientOptions) => WaClientPort;
