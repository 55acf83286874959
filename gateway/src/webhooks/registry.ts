// Webhook registrations, kept in <data folder>/webhooks/registrations.json. Written to a temporary file and
// renamed, so a kill during a write leaves the old list or the new one, never half of one.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { webhookId } from './ids.js';
import { EVENT_TYPES, type GatewayEventType } from './types.js';

export interface WebhookRegistration {
	id: string;
	url: string;
	events: GatewayEventType[];
	createdAt: string;
}

export class Registry {
	private readonly file: string;
	private registrations: WebhookRegistration[] = [];

	constructor(folder: string) {
		mkdirSync(folder, { recursive: true });
		this.file = path.join(folder, 'registrations.json');
		if (existsSync(this.file)) {
			const saved = JSON.parse(readFileSync(this.file, 'utf8')) as { webhooks?: WebhookRegistration[] };
			this.registrations = saved.webhooks ?? [];
		}
	}

	list(): WebhookRegistration[] {
		return this.registrations.map((registration) => ({ ...registration, events: [...registration.events] }));
	}

	get(id: string): WebhookRegistration | undefined {
		return this.registrations.find((registration) => registration.id === id);
	}

	/** Registers a URL; the same URL again keeps its ID (and its queue) and takes the new events. */
	upsert(url: string, events: GatewayEventType[] | undefined): { registration: WebhookRegistration; created: boolean } {
		const wanted = events && events.length ? [...new Set(events)] : [...EVENT_TYPES];
		const existing = this.registrations.find((registration) => registration.url === url);
		if (existing) {
			existing.events = wanted;
			this.save();
			return { registration: { ...existing }, created: false };
		}
		const registration = { id: webhookId(), url, events: wanted, createdAt: new Date().toISOString() };
		this.registrations.push(registration);
		this.save();
		return { registration: { ...registration }, created: true };
	}

	remove(id: string): boolean {
		const before = this.registrations.length;
		this.registrations = this.registrations.filter((registration) => registration.id !== id);
		if (this.registrations.length === before) return false;
		this.save();
		return true;
	}

	private save(): void {
		const tmp = `${this.file}.tmp`;
		writeFileSync(tmp, JSON.stringify({ webhooks: this.registrations }, null, '\t'));
		renameSync(tmp, this.file);
	}
}
