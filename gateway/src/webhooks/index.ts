export { WebhookDispatcher, type WebhookDispatcherOptions, type WebhookStats } from './dispatcher.js';
export { webhookRoutes, type Route } from './routes.js';
export { signPayload, verifySignature, TIMESTAMP_TOLERANCE_SECONDS } from './signature.js';
export { backoffMs, parseRetryAfter } from './delivery.js';
export type { WebhookRegistration } from './registry.js';
export { EVENT_TYPES, type EventSink, type GatewayEvent, type GatewayEventType, type Scheduler } from './types.js';
