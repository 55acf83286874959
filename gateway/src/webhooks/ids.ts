// Identifiers of the contract: events `evt_<ULID>` (time-ordered, so a receiver's log sorts by arrival),
// registrations `wh_<random>`.
import { randomBytes } from 'node:crypto';

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** A ULID (https://github.com/ulid/spec): 48 bits of milliseconds, then 80 random bits, in Crockford base32. */
export function ulid(nowMs: number): string {
	let time = '';
	let t = Math.floor(nowMs);
	for (let i = 0; i < 10; i++) {
		time = CROCKFORD[t % 32] + time;
		t = Math.floor(t / 32);
	}
	const random = randomBytes(16);
	let rest = '';
	for (let i = 0; i < 16; i++) rest += CROCKFORD[random[i] & 31];
	return time + rest;
}

export const eventId = (nowMs: number): string => `evt_${ulid(nowMs)}`;
export const webhookId = (): string => `wh_${randomBytes(9).toString('base64url')}`;
