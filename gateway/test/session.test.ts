import assert from 'node:assert/strict';
import { existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test, TestContext } from 'node:test';
import { Session, SessionOptions } from '../src/session';
import { fakeFactory } from './fakeClient';
import { RecordingSink, tempDir, waitForState } from './helpers';

function makeSession(t: Parameters<typeof tempDir>[0], extra: Partial<SessionOptions> = {}) {
	const fake = fakeFactory();
	const events = new RecordingSink();
	const session = new Session({
		createClient: fake.factory,
		authDir: tempDir(t),
		chromiumPath: '/usr/bin/chromium',
		events,
		startTimeoutMs: 5_000,
		readyTimeoutMs: 5_000,
		restartBaseMs: 60_000,
		...extra,
	});
	t.after(() => session.stop());
	return { session, fake, events };
}

test('QR → AUTHENTICATING → READY, with me, QR cleared and a session.state event per step', async (t) => {
	const { session, fake, events } = makeSession(t);
	assert.equal(session.status().state, 'STOPPED');
	session.start();
	assert.equal(session.status().state, 'STARTING');
	fake.clients[0].emitQr('qr-1');
	assert.equal(session.status().state, 'QR');
	assert.equal(session.status().need_qr, true);
	assert.equal(session.pendingQr(), 'qr-1');
	fake.clients[0].emitQr('qr-2');
	assert.equal(session.pendingQr(), 'qr-2');
	fake.clients[0].handlers.authenticated();
	assert.equal(session.status().state, 'AUTHENTICATING');
	assert.equal(session.pendingQr(), null);
	fake.clients[0].handlers.ready({ id: '8613900000000@c.us', name: 'Shop' });
	const s = session.status();
	assert.deepEqual(
		{ ready: s.ready, need_qr: s.need_qr, session_active: s.session_active, state: s.state, reason: s.reason, me: s.me },
		{ ready: true, need_qr: false, session_active: true, state: 'READY', reason: null, me: { id: '8613900000000@c.us', phone: '8613900000000', name: 'Shop' } },
	);
	assert.deepEqual(
		events.of('session.state').map((e) => e.data.state),
		['STARTING', 'QR', 'AUTHENTICATING', 'READY'],
	);
});

test('a saved login goes from STARTING straight to AUTHENTICATING and READY', async (t) => {
	const { session, fake } = makeSession(t);
	session.start();
	fake.clients[0].completePairing();
	assert.equal(session.status().state, 'READY');
});

test('pairing code: QR → PAIRING_CODE, the QR stays available as the fallback', async (t) => {
	const { session, fake } = makeSession(t);
	session.start();
	await assert.rejects(session.requestPairingCode('8613800000000'), /QR code is pending/);
	fake.clients[0].emitQr('qr-1');
	const code = await session.requestPairingCode('8613800000000');
	assert.equal(code, 'CODE0000');
	assert.equal(session.status().state, 'PAIRING_CODE');
	assert.equal(session.status().need_qr, true);
	fake.clients[0].emitQr('qr-2');
	assert.equal(session.status().state, 'PAIRING_CODE');
	assert.equal(session.pendingQr(), 'qr-2');
});

const startFailures: Array<[string, unknown, string, string | RegExp]> = [
	['no network', new Error('net::ERR_NAME_NOT_RESOLVED at https://web.whatsapp.com/'), 'cannot_reach_whatsapp_web', 'net::ERR_NAME_NOT_RESOLVED'],
	['blackholed network', new Error('net::ERR_TIMED_OUT at https://web.whatsapp.com/'), 'cannot_reach_whatsapp_web', 'net::ERR_TIMED_OUT'],
	['page is not WhatsApp Web (a string rejection)', 'auth timeout', 'whatsapp_web_incompatible', 'auth timeout'],
	['wrong Chromium path', new Error('Browser was not found at the configured executablePath (/usr/bin/nope)'), 'browser_launch_failed', /Browser was not found/],
	['root without --no-sandbox', new Error('Failed to launch the browser process: Code: 1\n\nstderr:\n/usr/bin/chromium: 9: [: 1: unexpected operator\nRunning as root without --no-sandbox is not supported.'), 'browser_launch_failed', 'Running as root without --no-sandbox is not supported'],
	['profile held by an orphan', new Error('The browser is already running for /data/auth/session-default. Use a different `userDataDir` or stop the running browser first.'), 'profile_locked', /already running/],
	['lock from another computer', new Error('Failed to launch the browser process: Code: 21\n\nstderr:\nThe profile appears to be in use by another Chromium process (12345) on another computer (otherhost).'), 'profile_locked', /Code: 21/],
];

for (const [name, error, reason, detail] of startFailures) {
	test(`initialize() rejects (${name}) → FAILED ${reason}, client destroyed`, async (t) => {
		const { session, fake } = makeSession(t);
		fake.next.push({ kind: 'reject', error });
		session.start();
		const status = await waitForState(session, 'FAILED');
		assert.equal(status.reason, reason);
		if (typeof detail === 'string') assert.equal(status.detail, detail);
		else assert.match(status.detail ?? '', detail);
		assert.equal(status.session_active, false);
		await new Promise((r) => setImmediate(r));
		assert.equal(fake.clients[0].destroyed, true);
	});
}

test('watchdog: no QR and no login after start → FAILED timeout, destroyed', async (t) => {
	const { session, fake } = makeSession(t, { startTimeoutMs: 20 });
	fake.next.push({ kind: 'hang' });
	session.start();
	const status = await waitForState(session, 'FAILED');
	assert.equal(status.reason, 'timeout');
	assert.match(status.detail ?? '', /start time/);
	await new Promise((r) => setImmediate(r));
	assert.equal(fake.clients[0].destroyed, true);
});

test('watchdog: authenticated but never ready → FAILED timeout', async (t) => {
	const { session, fake } = makeSession(t, { readyTimeoutMs: 20 });
	session.start();
	fake.clients[0].handlers.authenticated();
	const status = await waitForState(session, 'FAILED');
	assert.equal(status.reason, 'timeout');
	assert.match(status.detail ?? '', /did not get ready/);
});

test('the QR keeps the start watchdog away: a pending QR is not a timeout', async (t) => {
	const { session, fake } = makeSession(t, { startTimeoutMs: 20 });
	session.start();
	fake.clients[0].emitQr();
	await new Promise((r) => setTimeout(r, 60));
	assert.equal(session.status().state, 'QR');
});

test('auth_failure → FAILED auth_failure, saved login deleted', async (t) => {
	const { session, fake } = makeSession(t);
	mkdirSync(session.profile, { recursive: true });
	writeFileSync(path.join(session.profile, 'Cookies'), 'x');
	session.start();
	fake.clients[0].handlers.authFailure('restore failed');
	const status = await waitForState(session, 'FAILED');
	assert.equal(status.reason, 'auth_failure');
	await new Promise((r) => setTimeout(r, 10));
	assert.equal(existsSync(session.profile), false);
});

test('unlinked on the phone (disconnected LOGOUT) → FAILED logged_out; other disconnects → FAILED timeout', async (t) => {
	const { session, fake } = makeSession(t);
	session.start();
	fake.clients[0].completePairing();
	fake.clients[0].handlers.disconnected('LOGOUT');
	assert.equal(session.status().reason, 'logged_out');

	const other = makeSession(t);
	other.session.start();
	other.fake.clients[0].completePairing();
	other.fake.clients[0].handlers.disconnected('CONFLICT');
	assert.equal(other.session.status().reason, 'timeout');
	assert.equal(other.session.status().detail, 'disconnected: CONFLICT');
});

test('browser gone under a READY session → FAILED browser_launch_failed', async (t) => {
	const { session, fake } = makeSession(t);
	session.start();
	fake.clients[0].completePairing();
	fake.clients[0].handlers.browserClosed('page crashed');
	assert.equal(session.status().state, 'FAILED');
	assert.equal(session.status().reason, 'browser_launch_failed');
});

test('restart with backoff: a failed start is retried with a new client, and the old client is ignored', async (t) => {
	const { session, fake } = makeSession(t, { restartBaseMs: 5, restartMaxMs: 20 });
	fake.next.push({ kind: 'reject', error: new Error('net::ERR_NAME_NOT_RESOLVED at https://web.whatsapp.com/') });
	session.start();
	await waitForState(session, 'FAILED');
	await waitForState(session, 'STARTING');
	assert.equal(fake.clients.length, 2);
	fake.clients[0].emitQr('stale'); // a late event of the destroyed client
	assert.equal(session.status().state, 'STARTING');
	fake.clients[1].emitQr('fresh');
	assert.equal(session.pendingQr(), 'fresh');
});

test('after maxRestarts failures in a row the session stays FAILED', async (t) => {
	const { session, fake } = makeSession(t, { restartBaseMs: 1, restartMaxMs: 2, maxRestarts: 2 });
	for (let i = 0; i < 10; i++) fake.next.push({ kind: 'reject', error: 'auth timeout' });
	session.start();
	while (fake.clients.length < 3) await new Promise((r) => setTimeout(r, 5));
	await waitForState(session, 'FAILED');
	await new Promise((r) => setTimeout(r, 30));
	assert.equal(fake.clients.length, 3);
	assert.equal(session.status().state, 'FAILED');
});

test('stop: destroys the client, STOPPED, late events ignored, no restart', async (t) => {
	const { session, fake } = makeSession(t, { restartBaseMs: 1 });
	session.start();
	fake.clients[0].emitQr();
	await session.stop();
	assert.equal(session.status().state, 'STOPPED');
	assert.equal(fake.clients[0].destroyed, true);
	fake.clients[0].completePairing();
	assert.equal(session.status().state, 'STOPPED');
});

test('logout when READY: unlinks, deletes the saved login, starts again for a new QR', async (t) => {
	const { session, fake } = makeSession(t);
	session.start();
	fake.clients[0].completePairing();
	mkdirSync(session.profile, { recursive: true });
	await session.logout();
	assert.equal(fake.clients[0].loggedOut, true);
	assert.equal(fake.clients[0].destroyed, true);
	assert.equal(existsSync(session.profile), false);
	assert.equal(session.status().state, 'STARTING');
	assert.equal(fake.clients.length, 2);
});

test('a stale Chromium lock (dead process, or another host) is removed before launch', async (t) => {
	const { session } = makeSession(t);
	mkdirSync(session.profile, { recursive: true });
	symlinkSync('otherhost-12345', path.join(session.profile, 'SingletonLock'));
	symlinkSync('x', path.join(session.profile, 'SingletonCookie'));
	session.start();
	assert.equal(existsSync(path.join(session.profile, 'SingletonCookie')), false);
	let lockLeft = true;
	try {
		require('node:fs').readlinkSync(path.join(session.profile, 'SingletonLock'));
	} catch {
		lockLeft = false;
	}
	assert.equal(lockLeft, false);
});

test('messages: incoming → message; own from the phone vs from /send flagged apart; @lid sender gets fromPhone', async (t) => {
	const { session, fake, events } = makeSession(t);
	session.start();
	const client = fake.clients[0];
	client.completePairing();
	client.lidToPhone.set('99999999999@lid', '8613700000000');
	client.receive({ id: 'false_a', from: '99999999999@lid', chatId: '99999999999@lid', body: '你好' });
	client.receive({ id: 'false_b', from: '120363000@g.us', chatId: '120363000@g.us', author: '55555@lid' });
	await events.waitFor('message', 2);
	const [lid, group] = events.of('message').map((e) => e.data);
	assert.equal(lid.fromLid, '99999999999@lid');
	assert.equal(lid.fromPhone, '8613700000000');
	assert.equal(lid.body, '你好');
	assert.equal(lid.sentByGateway, false);
	assert.equal(group.isGroup, true);
	assert.equal(group.fromLid, '55555@lid');
	assert.equal(group.fromPhone, null);
	assert.equal(events.of('message')[0].dedupKey, 'false_a');

	const sent = await session.trackSend(() => session.readyClient().sendText('8613800000000@c.us', 'hi'));
	client.handlers.ownMessage(client.message({ id: 'true_phone', fromMe: true, body: 'typed on the phone' }));
	await events.waitFor('message.own', 2);
	const own = events.of('message.own').map((e) => [e.data.messageId, e.data.sentByGateway]);
	assert.deepEqual(own, [
		[sent.messageId, true],
		['true_phone', false],
	]);
});

// Health loop while READY. The clock is mocked (setTimeout only), so the interval, the check's own
// timeout and the restart backoff are stepped by hand; setImmediate stays real to let promises settle.
const settle = () => new Promise<void>((r) => setImmediate(r));

function readyOnMockedClock(t: TestContext) {
	t.mock.timers.enable({ apis: ['setTimeout'] });
	const made = makeSession(t, { healthIntervalMs: 60_000, healthTimeoutMs: 20_000, healthMaxStrikes: 3, restartBaseMs: 5_000, restartMaxMs: 5_000 });
	made.session.start();
	made.fake.clients[0].completePairing();
	assert.equal(made.session.status().state, 'READY');
	return made;
}

test('health: a READY session is checked once per interval and stays READY while WhatsApp Web answers CONNECTED', async (t) => {
	const { session, fake } = readyOnMockedClock(t);
	const client = fake.clients[0];
	t.mock.timers.tick(59_999);
	await settle();
	assert.equal(client.healthChecks, 0);
	for (let i = 1; i <= 3; i++) {
		t.mock.timers.tick(i === 1 ? 1 : 60_000);
		await settle();
		assert.equal(client.healthChecks, i);
	}
	assert.equal(session.status().state, 'READY');
});

test('health: the page gone under a READY session (getState throws) → FAILED with the reason, destroyed, restarted after the backoff', async (t) => {
	const { session, fake } = readyOnMockedClock(t);
	fake.clients[0].health = { kind: 'throw', error: new Error('Protocol error (Runtime.callFunctionOn): Target closed.') };
	t.mock.timers.tick(60_000);
	await settle();
	const s = session.status();
	assert.equal(s.state, 'FAILED');
	assert.equal(s.reason, 'browser_launch_failed');
	assert.match(s.detail ?? '', /^health check: .*Target closed/);
	assert.equal(fake.clients[0].destroyed, true);
	assert.equal(fake.clients.length, 1);
	t.mock.timers.tick(6_000); // the backoff: 5 s ± 20 %
	await settle();
	assert.equal(fake.clients.length, 2);
	assert.equal(session.status().state, 'STARTING');
});

test('health: WhatsApp Web no longer loaded in the page (window.require …) → FAILED whatsapp_web_incompatible', async (t) => {
	const { session, fake } = readyOnMockedClock(t);
	fake.clients[0].health = { kind: 'throw', error: new Error('Evaluation failed: TypeError: window.require is not a function') };
	t.mock.timers.tick(60_000);
	await settle();
	assert.equal(session.status().reason, 'whatsapp_web_incompatible');
});

test('health: a frozen tab (getState never answers) → FAILED timeout after the check timeout, not before', async (t) => {
	const { session, fake } = readyOnMockedClock(t);
	fake.clients[0].health = { kind: 'hang' };
	t.mock.timers.tick(60_000);
	await settle();
	assert.equal(fake.clients[0].healthChecks, 1);
	t.mock.timers.tick(19_999);
	await settle();
	assert.equal(session.status().state, 'READY');
	t.mock.timers.tick(1);
	await settle();
	assert.equal(session.status().state, 'FAILED');
	assert.equal(session.status().reason, 'timeout');
	assert.equal(session.status().detail, 'health check: WhatsApp Web did not answer within 20 s');
	assert.equal(fake.clients[0].destroyed, true);
});

test('health: a state other than CONNECTED is tolerated while WhatsApp Web reconnects, and fails the session when it lasts', async (t) => {
	const { session, fake } = readyOnMockedClock(t);
	const client = fake.clients[0];
	client.health = { kind: 'state', state: 'TIMEOUT' };
	for (let i = 0; i < 2; i++) {
		t.mock.timers.tick(60_000);
		await settle();
	}
	assert.equal(session.status().state, 'READY');
	client.health = { kind: 'state', state: 'CONNECTED' }; // reconnected: the count starts again
	t.mock.timers.tick(60_000);
	await settle();
	client.health = { kind: 'state', state: null };
	for (let i = 0; i < 2; i++) {
		t.mock.timers.tick(60_000);
		await settle();
	}
	assert.equal(session.status().state, 'READY');
	t.mock.timers.tick(60_000);
	await settle();
	assert.equal(session.status().state, 'FAILED');
	assert.equal(session.status().reason, 'timeout');
	assert.equal(session.status().detail, 'health check: WhatsApp Web reported no state 3 times in a row');
});

test('health: no check outside READY, and none after stop', async (t) => {
	t.mock.timers.enable({ apis: ['setTimeout'] });
	const { session, fake } = makeSession(t, { healthIntervalMs: 60_000, startTimeoutMs: 10_000_000 });
	session.start();
	fake.clients[0].emitQr();
	t.mock.timers.tick(600_000);
	await settle();
	assert.equal(fake.clients[0].healthChecks, 0);
	fake.clients[0].completePairing();
	await session.stop();
	t.mock.timers.tick(600_000);
	await settle();
	assert.equal(fake.clients[0].healthChecks, 0);
});
