// What the gateway tells the outside world, and the one place a message becomes the contract's `data`
// (docs/whatsapp-gateway-api.md, "Webhooks"). The webhook dispatcher (src/webhooks/) implements
// EventSink; without it events go nowhere.

import type { WaMessage } from './client/port';
import type { EventSink, GatewayEventType } from './webhooks/types';

// One declaration of the event types and of the sink, in src/webhooks/types.ts. A sink must not throw and must
// not block: delivery is its business.
export type { EventSink };
export type EventType = GatewayEventType;

export const noopSink: EventSink = { publish() {} };

export interface MessageData {
	messageId: string;
	chatId: string;
	from: string;
	/** The sender's phone number (digits) when known; for an @lid sender only when WhatsApp gives it. */
	fromPhone: string | null;
	/** The sender's linked ID (`…@lid`) when WhatsApp identifies them that way. */
	fromLid: string | null;
	senderName: string | null;
	isGroup: boolean;
	author: string | null;
	type: string;
	body: string;
	hasMedia: boolean;
	timestamp: number;
	fromMe: boolean;
	sentByGateway: boolean;
}

export function digitsOf(id: string): string {
	return id.split('@')[0].split(':')[0];
}

/**
 * `lookupPhone` resolves a linked ID to the phone number behind it (whatsapp-web.js
 * getContactLidAndPhone); it may fail or know nothing, and then fromPhone is null: replies to chatId
 * work either way.
 */
export async function toMessageData(
	message: WaMessage,
	sentByGateway: boolean,
	lookupPhone: (lid: string) => Promise<string | null>,
): Promise<MessageData> {
	// In a group `from` is the group and `author` the member who wrote: fromPhone/fromLid describe the person.
	const sender = message.author ?? message.from;
	const isLid = sender.endsWith('@lid');
	let fromPhone: string | null = null;
	if (isLid) {
		fromPhone = await lookupPhone(sender).catch(() => null);
	} else if (sender.endsWith('@c.us')) {
		fromPhone = digitsOf(sender);
	}
	return {
		messageId: message.id,
		chatId: message.chatId,
		from: message.from,
		fromPhone,
		fromLid: isLid ? sender : null,
		senderName: message.senderName,
		isGroup: message.chatId.endsWith('@g.us'),
		author: message.author,
		type: message.type,
		body: message.body,
		hasMedia: message.hasMedia,
		timestamp: message.timestamp,
		fromMe: message.fromMe,
		sentByGateway,
	};
}
