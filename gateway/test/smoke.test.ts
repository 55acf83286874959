// The real whatsapp-web.js with Debian's Chromium, through the whole gateway. This machine cannot
// reach WhatsApp, so the session must end FAILED with reason cannot_reach_whatsapp_web and the net::
// code, Chromium must be gone afterwards, and nothing may hang.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { createWhatsAppWebClient } from '../src/client/wwebjs';
import { startGateway } from '../src/main';
import { tempDir, testConfig, waitForState } from './helpers';

const chromium = process.env.GATEWAY_CHROMIUM_PATH ?? '/usr/bin/chromium';

function chromiumsOn(dir: string): string[] {
	try {
		return execFileSync('pgrep', ['-f', dir], { encoding: 'utf8' }).trim().split('\n').filter(Boolean);
	} catch {
		return [];
	}
}

test('real whatsapp-web.js + Chromium, no route to WhatsApp → FAILED cannot_reach_whatsapp_web', { skip: !existsSync(chromium) && `no Chromium at ${chromium}`, timeout: 120_000 }, async (t) => {
	const dataDir = tempDir(t);
	const gateway = await startGateway(
		testConfig(dataDir, { chromiumPath: chromium, maxMediaBytes: 1000, mediaTimeoutMs: 1000, sendTimeoutMs: 1000, hourlyCap: 1 }),
		{ createClient: createWhatsAppWebClient, log: () => {} },
	);
	t.after(() => gateway.close());
	const status = await waitForState(gateway.session, 'FAILED');
	assert.equal(status.reason, 'cannot_reach_whatsapp_web', JSON.stringify(status));
	assert.match(status.detail ?? '', /^net::ERR_[A-Z_]+$/);
	await gateway.close();
	// Chromium's helper processes take a moment to exit after the browser closes; 10 s is a guard, not a measure.
	for (let i = 0; i < 100 && chromiumsOn(dataDir).length > 0; i++) await new Promise((r) => setTimeout(r, 100));
	assert.deepEqual(chromiumsOn(dataDir), [], 'Chromium was destroyed after the failure');
});
