// The Chromium profile that holds the saved WhatsApp login (whatsapp-web.js LocalAuth keeps the whole
// user-data-dir in <authDir>/session-<clientId>), and the locks around it.
//
// Chromium marks a profile in use with a SingletonLock symlink to "<hostname>-<pid>". A gateway killed
// with SIGKILL leaves its Chromium running as an orphan ("The browser is already running for …"), and a
// recreated container leaves a lock naming a host that no longer exists ("Code: 21 … in use by another
// Chromium process … on another computer"). Both block every later start until cleaned.

import { readFileSync, readlinkSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';

const LOCK_FILES = ['SingletonLock', 'SingletonCookie', 'SingletonSocket'];

export function profileDir(authDir: string, clientId: string): string {
	return path.join(authDir, `session-${clientId}`);
}

function isAlive(pid: number): boolean {
	try {
		process.kill(pid, 0);
		return true;
	} catch (error) {
		return (error as NodeJS.ErrnoException).code === 'EPERM';
	}
}

function commandLine(pid: number): string {
	try {
		return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
	} catch {
		return '';
	}
}

/**
 * Makes the profile startable. A lock of a dead process or of another host is removed; a live Chromium
 * on this host that runs on this very profile is an orphan of an earlier gateway (the data folder lock in
 * claimDataDir guarantees no other gateway uses it), so it is ended first. Returns what it did, for the log.
 */
export function releaseStaleProfileLock(dir: string): string | null {
	let target: string;
	try {
		target = readlinkSync(path.join(dir, 'SingletonLock'));
	} catch {
		return null;
	}
	const match = /^(.*)-(\d+)$/.exec(target);
	const host = match?.[1];
	const pid = match ? Number(match[2]) : NaN;
	let note = `removed a stale Chromium profile lock (${host === hostname() ? 'process gone' : 'another host'})`;
	if (host === hostname() && isAlive(pid)) {
		if (!commandLine(pid).includes(dir)) return null; // a live process we do not own: let Chromium report it
		try {
			process.kill(pid, 'SIGKILL');
		} catch {
			return null;
		}
		note = `ended an orphan Chromium (pid ${pid}) left on the session profile by an earlier gateway`;
	}
	for (const name of LOCK_FILES) rmSync(path.join(dir, name), { force: true });
	return note;
}

export function deleteProfile(dir: string): void {
	rmSync(dir, { recursive: true, force: true, maxRetries: 4 });
}

/**
 * One gateway per data folder: two would share one WhatsApp login and one profile, and each would take
 * the other's Chromium for an orphan. Returns a release function, or throws with what to do.
 */
export function claimDataDir(dataDir: string): () => void {
	mkdirSync(dataDir, { recursive: true });
	const file = path.join(dataDir, 'gateway.pid');
	try {
		const pid = Number(readFileSync(file, 'utf8').trim());
		if (pid && pid !== process.pid && isAlive(pid) && commandLine(pid).includes('node')) {
			throw new Error(
				`Another gateway (pid ${pid}) already uses the data folder ${dataDir}: stop it, or give this one its own --data-dir.`,
			);
		}
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
	}
	writeFileSync(file, String(process.pid));
	return () => rmSync(file, { force: true });
}
