import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { GatewayConfig, loadConfig } from '../src/config';
import type { EventSink, EventType } from '../src/events';
import type { Session, SessionState, SessionStatus } from '../src/session';

export function tempDir(t: { after(fn: () => void): void }): string {
	const dir = mkdtempSync(path.join(tmpdir(), 'gw-test-'));
	t.after(() => rmSync(dir, { recursive: true, force: true }));
	return dir;
}

/** The configuration `npm start` would build, on loopback port 0 in `dataDir`, with no spacing between sends. */
export function testConfig(dataDir: string, overrides: Partial<GatewayConfig> = {}): GatewayConfig {
	const config = loadConfig(['--port', '0', '--data-dir', dataDir, '--send-interval-ms', '0', '--send-jitter-ms', '0'], {
		GATEWAY_API_KEY: 'test-api-key-0123456789',
		GATEWAY_WEBHOOK_SECRET: 'test-webhook-secret-0123456789',
	});
	return { ...config, ...overrides };
}

export function waitForState(session: Session, state: SessionState): Promise<SessionStatus> {
	if (session.status().state === state) return Promise.resolve(session.status());
	return new Promise((resolve) => {
		const off = session.onChange((status) => {
			if (status.state === state) {
				off();
				resolve(status);
			}
		});
	});
}

export class RecordingSink implements EventSink {
	events: Array<{ type: EventType; data: any; dedupKey?: string }> = [];
	private waiters: Array<() => void> = [];
	publish(type: EventType, data: object, dedupKey?: string): void {
		this.events.push({ type, data, dedupKey });
		for (const w of this.waiters.splice(0)) w();
	}
	of(type: EventType) {
		return this.events.filter((e) => e.type === type);
	}
	async waitFor(type: EventType, count = 1): Promise<void> {
		while (this.of(type).length < count) await new Promise<void>((r) => this.waiters.push(r));
	}
}
