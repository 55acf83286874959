/**
 * What the WhatsApp Web Trigger starts on, and the item it gives: pure, no n8n imports. Event types and fields
 * are the contract's (docs/whatsapp-gateway-api.md).
 */

/** The trigger's "Trigger On" choices, finer than the gateway's event types: own messages come in two kinds. */
export const TRIGGER_EVENTS = [
	{
		name: 'Incoming Message',
		value: 'incoming',
		description: 'A message someone sent to this WhatsApp account',
	},
	{
		name: 'Own Message Typed on the Phone',
		value: 'ownFromPhone',
		description: 'A message a person sent from the linked phone (or WhatsApp on a computer): e.g. to pause the bot for that chat',
	},
	{
		name: 'Own Message Sent Through the Gateway',
		value: 'ownFromGateway',
		description: 'A message sent by a workflow through the gateway',
	},
	{
		name: 'Message Ack',
		value: 'ack',
		description: 'A sent message was delivered or read (ack: -1 error, 0 pending, 1 sent, 2 delivered, 3 read, 4 played)',
	},
	{
		name: 'Session State Change',
		value: 'sessionState',
		description: 'The session changed state (e.g. READY, QR, FAILED with its reason)',
	},
] as const;

export type TriggerEvent = (typeof TRIGGER_EVENTS)[number]['value'];

/** The gateway's event type each choice needs. */
const GATEWAY_TYPE: Record<TriggerEvent, string> = {
	incoming: 'message',
	ownFromPhone: 'message.own',
	ownFromGateway: 'message.own',
	ack: 'message.ack',
	sessionState: 'session.state',
};

/** The event types to register for (sorted, no repeats), so the gateway sends nothing the trigger drops. */
export function gatewayEventTypes(events: readonly string[]): string[] {
	const types = events.flatMap((event) => (event in GATEWAY_TYPE ? [GATEWAY_TYPE[event as TriggerEvent]] : []));
	return [...new Set(types)].sort();
}

export interface GatewayEvent {
	id: string;
	type: string;
	timestamp: number;
	session?: string;
	data: Record<string, unknown>;
}

/** The delivery's JSON as an event, or undefined when it is not one. */
export function readGatewayEvent(value: unknown): GatewayEvent | undefined {
	if (typeof value !== 'object' || value === null) return undefined;
	const event = value as Record<string, unknown>;
	if (typeof event.type !== 'string' || typeof event.data !== 'object' || event.data === null) return undefined;
	return {
		id: String(event.id ?? ''),
		type: event.type,
		timestamp: Number(event.timestamp ?? 0),
		...(typeof event.session === 'string' ? { session: event.session } : {}),
		data: event.data as Record<string, unknown>,
	};
}

/** Which of the operator's choices this event is, or undefined for a type this trigger does not know. */
export function triggerEventOf(event: GatewayEvent): TriggerEvent | undefined {
	switch (event.type) {
		case 'message':
			return 'incoming';
		case 'message.own':
			return event.data.sentByGateway === true ? 'ownFromGateway' : 'ownFromPhone';
		case 'message.ack':
			return 'ack';
		case 'session.state':
			return 'sessionState';
		default:
			return undefined;
	}
}

/**
 * The workflow's item: the contract's fields, plus `conversationId` (the chat to answer) and `text` (the
 * message body), the names AutoReply and the WhatsApp Web node read without mapping.
 */
export function eventItem(event: GatewayEvent, triggerEvent: TriggerEvent): Record<string, unknown> {
	const item: Record<string, unknown> = {
		event: triggerEvent,
		eventType: event.type,
		eventId: event.id,
		...(event.session !== undefined ? { session: event.session } : {}),
		...event.data,
	};
	if (typeof event.data.chatId === 'string') item.conversationId = event.data.chatId;
	if (event.type === 'message' || event.type === 'message.own') item.text = typeof event.data.body === 'string' ? event.data.body : '';
	return item;
}
