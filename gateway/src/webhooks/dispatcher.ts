// The gateway's webhook side: it takes the session's events (EventSink), gives each an ID and a time,
// drops repeats of a message ID, queues it on disk for every registration that wants its type, and
// delivers each queue in order, signed, retried with backoff. Layout under <data folder>/webhooks/:
// registrations.json, seen-keys.log (dedup), queue/<registration id>/events.log.
import * as path from 'node:path';
import { backoffMs, post, type Outcome } from './delivery.js';
import { SeenKeys } from './dedup.js';
import { DiskQueue, type QueuedEvent } from './disk-queue.js';
import { eventId } from './ids.js';
import { Registry, type WebhookRegistration } from './registry.js';
import { signPayload } from './signature.js';
import { realScheduler, type EventSink, type GatewayEvent, type GatewayEventType, type Scheduler, type WebhookLogger } from './types.js';

export interface WebhookDispatcherOptions {
	dataFolder: string;
	/** The webhook signing secret the WhatsApp Web Gateway credential holds too. */
	secret: string;
	session?: string;
	/** Pending events per registration; when full, the oldest are dropped (counted, with a warning). */
	queueCapacity?: number;
	/** Message IDs remembered for deduplication. */
	dedupCapacity?: number;
	/** Requests in flight at once, over all registrations. */
	concurrency?: number;
	/**
	 * Requests in flight to one registration. Events leave in order; with more than one in flight a
	 * receiver may see neighbours swap. 1 keeps the order strictly, at one round trip per event.
	 */
	inFlightPerWebhook?: number;
	requestTimeoutMs?: number;
	retryBaseMs?: number;
	retryMaxMs?: number;
	/** Attempts before an event is given up (logged); the defaults span 1½ to 2 hours. */
	maxAttempts?: number;
	scheduler?: Scheduler;
	random?: () => number;
	logger?: WebhookLogger;
}

export interface WebhookStats {
	published: number;
	deduplicated: number;
	delivered: number;
	retried: number;
	/** Refused by the receiver with a 4xx other than 404/408/429. */
	droppedRefused: number;
	droppedQueueFull: number;
	droppedGaveUp: number;
	pending: Record<string, number>;
}

interface Lane {
	registration: WebhookRegistration;
	target: URL;
	queue: DiskQueue;
	attempts: number;
	/** Set by the first failed request of a round; the backoff starts once the round's requests are back. */
	failure?: { reason: string; retryAfterMs?: number };
	waiting: boolean;
	removed: boolean;
	cancelWait?: () => void;
}

export class WebhookDispatcher implements EventSink {
	private readonly folder: string;
	private readonly registry: Registry;
	private readonly seen: SeenKeys;
	private readonly lanes = new Map<string, Lane>();
	private readonly scheduler: Scheduler;
	private readonly random: () => number;
	private readonly logger: WebhookLogger;
	private readonly settings: Required<
		Pick<
			WebhookDispatcherOptions,
			'session' | 'queueCapacity' | 'concurrency' | 'inFlightPerWebhook' | 'requestTimeoutMs' | 'retryBaseMs' | 'retryMaxMs' | 'maxAttempts'
		>
	>;
	private active = 0;
	private closed = false;
	private readonly idleWaiters: Array<() => void> = [];
	private readonly counters = {
		published: 0,
		deduplicated: 0,
		delivered: 0,
		retried: 0,
		droppedRefused: 0,
		droppedQueueFull: 0,
		droppedGaveUp: 0,
	};

	constructor(private readonly options: WebhookDispatcherOptions) {
		if (!options.secret)
			throw new Error('The webhook signing secret is empty: set it in the gateway configuration, the same as in the n8n credential.');
		this.folder = path.join(options.dataFolder, 'webhooks');
		this.registry = new Registry(this.folder);
		this.seen = new SeenKeys(path.join(this.folder, 'seen-keys.log'), options.dedupCapacity ?? 10_000);
		this.scheduler = options.scheduler ?? realScheduler;
		this.random = options.random ?? Math.random;
		this.logger = options.logger ?? { warn: (message) => console.warn(`[webhooks] ${message}`) };
		this.settings = {
			session: options.session ?? 'default',
			queueCapacity: options.queueCapacity ?? 10_000,
			concurrency: options.concurrency ?? 16,
			inFlightPerWebhook: options.inFlightPerWebhook ?? 4,
			requestTimeoutMs: options.requestTimeoutMs ?? 10_000,
			retryBaseMs: options.retryBaseMs ?? 1_000,
			retryMaxMs: options.retryMaxMs ?? 300_000,
			maxAttempts: options.maxAttempts ?? 30,
		};
		for (const registration of this.registry.list()) this.openLane(registration);
		// Events left on disk by the last run go out now.
		this.pump();
	}

	publish(type: GatewayEventType, data: object, dedupKey?: string): void {
		if (this.closed) return;
		const key = dedupKey === undefined ? undefined : `${type}:${dedupKey}`;
		if (key !== undefined && this.seen.has(key)) {
			this.counters.deduplicated++;
			return;
		}
		this.counters.published++;
		const wanting = [...this.lanes.values()].filter((lane) => lane.registration.events.includes(type));
		if (wanting.length) {
			const nowMs = this.scheduler.now();
			const event: GatewayEvent = { id: eventId(nowMs), type, timestamp: Math.floor(nowMs / 1000), session: this.settings.session, data };
			const body = JSON.stringify(event);
			for (const lane of wanting) lane.queue.push(body);
		}
		if (key !== undefined) this.seen.add(key);
		this.pump();
	}

	list(): WebhookRegistration[] {
		return this.registry.list();
	}

	register(url: string, events?: GatewayEventType[]): { registration: WebhookRegistration; created: boolean } {
		const result = this.registry.upsert(url, events);
		const lane = this.lanes.get(result.registration.id);
		if (lane) lane.registration = result.registration;
		else this.openLane(result.registration);
		return result;
	}

	unregister(id: string): boolean {
		if (!this.registry.remove(id)) return false;
		const lane = this.lanes.get(id);
		if (lane) {
			lane.removed = true;
			lane.cancelWait?.();
			lane.queue.destroy();
			this.lanes.delete(id);
		}
		return true;
	}

	stats(): WebhookStats {
		const pending: Record<string, number> = {};
		for (const [id, lane] of this.lanes) pending[id] = lane.queue.length;
		return { ...this.counters, pending };
	}

	/** Resolves when no event is pending or in flight (for tests and a graceful shutdown). */
	idle(): Promise<void> {
		if (this.isIdle()) return Promise.resolve();
		return new Promise((resolve) => this.idleWaiters.push(resolve));
	}

	/** Stops timers and new deliveries; what is on disk goes out at the next start. */
	close(): void {
		if (this.closed) return;
		this.closed = true;
		for (const lane of this.lanes.values()) {
			lane.cancelWait?.();
			lane.queue.close();
		}
		this.seen.close();
	}

	private openLane(registration: WebhookRegistration): void {
		const queue = new DiskQueue(path.join(this.folder, 'queue', registration.id), this.settings.queueCapacity, () => {
			this.counters.droppedQueueFull++;
			// Once per hundred drops: a receiver down for hours must not flood the log.
			if (this.counters.droppedQueueFull % 100 === 1) {
				this.logger.warn(
					`Queue of webhook ${registration.id} is full (${this.settings.queueCapacity} events): dropping the oldest; ${this.counters.droppedQueueFull} dropped so far. Check that ${hostOf(registration.url)} is up.`,
				);
			}
		});
		this.lanes.set(registration.id, {
			registration,
			target: new URL(registration.url),
			queue,
			attempts: 0,
			waiting: false,
			removed: false,
		});
	}

	private pump(): void {
		if (this.closed) return;
		for (const lane of this.lanes.values()) {
			while (
				!lane.waiting &&
				!lane.failure &&
				lane.queue.inFlight < this.settings.inFlightPerWebhook &&
				this.active < this.settings.concurrency
			) {
				const event = lane.queue.take();
				if (!event) break;
				void this.deliver(lane, event);
			}
		}
		if (this.idleWaiters.length && this.isIdle()) for (const resolve of this.idleWaiters.splice(0)) resolve();
	}

	private isIdle(): boolean {
		return this.active === 0 && [...this.lanes.values()].every((lane) => !lane.queue.length);
	}

	private async deliver(lane: Lane, event: QueuedEvent): Promise<void> {
		this.active++;
		const nowMs = this.scheduler.now();
		const timestamp = Math.floor(nowMs / 1000);
		let outcome: Outcome;
		try {
			outcome = await post(
				lane.target,
				event.body,
				{
					'X-Gateway-Event-Id': idOf(event.body),
					'X-Gateway-Timestamp': String(timestamp),
					'X-Gateway-Signature': signPayload(this.options.secret, timestamp, event.body),
				},
				this.settings.requestTimeoutMs,
				nowMs,
			);
		} catch (error) {
			outcome = { kind: 'retry', reason: (error as Error).message };
		}
		this.active--;
		if (lane.removed) return this.pump();
		if (outcome.kind === 'retry') {
			lane.queue.release(event.seq);
			if (!lane.failure || (outcome.retryAfterMs ?? 0) > (lane.failure.retryAfterMs ?? 0)) lane.failure = outcome;
		} else {
			lane.queue.remove(event.seq);
			if (!lane.failure) lane.attempts = 0;
			if (outcome.kind === 'delivered') this.counters.delivered++;
			else {
				this.counters.droppedRefused++;
				this.logger.warn(
					`${whereOf(lane)} answered HTTP ${outcome.status} to ${idOf(event.body)}: not retried (only 404, 408, 429 and 5xx are). Check the URL, the webhook secret and the gateway's log.`,
				);
			}
		}
		if (lane.failure && lane.queue.inFlight === 0) this.backOff(lane, lane.failure);
		this.pump();
	}

	/** After a failed round: wait, then resend from the oldest pending event; give it up after maxAttempts. */
	private backOff(lane: Lane, failure: { reason: string; retryAfterMs?: number }): void {
		lane.failure = undefined;
		lane.attempts++;
		if (lane.attempts >= this.settings.maxAttempts) {
			const head = lane.queue.take();
			if (head) {
				lane.queue.remove(head.seq);
				this.counters.droppedGaveUp++;
				this.logger.warn(
					`${whereOf(lane)} failed ${this.settings.maxAttempts} times for ${idOf(head.body)} (last: ${failure.reason}): event given up.`,
				);
			}
			lane.attempts = 0;
			return;
		}
		this.counters.retried++;
		const delay = failure.retryAfterMs ?? backoffMs(lane.attempts, this.settings.retryBaseMs, this.settings.retryMaxMs, this.random);
		lane.waiting = true;
		lane.cancelWait = this.scheduler.schedule(Math.min(delay, this.settings.retryMaxMs * 12), () => {
			lane.cancelWait = undefined;
			lane.waiting = false;
			this.pump();
		});
	}
}

function whereOf(lane: Lane): string {
	return `webhook ${lane.registration.id} (${hostOf(lane.registration.url)})`;
}

/** The event ID is the first field of every body this file writes. */
function idOf(body: string): string {
	return /^\{"id":"(evt_[0-9A-Z]+)"/.exec(body)?.[1] ?? (JSON.parse(body) as GatewayEvent).id;
}

/** Only the host goes to the log: an n8n webhook path is as good as a password. */
function hostOf(url: string): string {
	try {
		return new URL(url).host;
	} catch {
		return 'an invalid URL';
	}
}
