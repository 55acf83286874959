// The event types of the contract (docs/whatsapp-gateway-api.md, Webhooks) and the seams the dispatcher
// is driven through, so tests can run it on a fake clock.

export const EVENT_TYPES = ['message', 'message.own', 'message.ack', 'session.state'] as const;
export type GatewayEventType = (typeof EVENT_TYPES)[number];

export function isEventType(value: unknown): value is GatewayEventType {
	return typeof value === 'string' && (EVENT_TYPES as readonly string[]).includes(value);
}

/** What the session publishes to; the gateway's events.ts declares the same shape. */
export interface EventSink {
	publish(type: GatewayEventType, data: object, dedupKey?: string): void;
}

/** The body POSTed to a receiver. */
export interface GatewayEvent {
	id: string;
	type: GatewayEventType;
	/** Unix seconds when the gateway saw the event (the header carries the time of each attempt). */
	timestamp: number;
	session: string;
	data: object;
}

/** Timers behind an interface: backoff is tested by firing them by hand, not by waiting. */
export interface Scheduler {
	now(): number;
	schedule(ms: number, fn: () => void): () => void;
}

export const realScheduler: Scheduler = {
	now: () => Date.now(),
	schedule(ms, fn) {
		const timer = setTimeout(fn, ms);
		timer.unref?.();
		return () => clearTimeout(timer);
	},
};

export interface WebhookLogger {
	warn(message: string): void;
}
