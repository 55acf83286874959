// The control routes of the simulated WhatsApp (docs/whatsapp-gateway-api.md, "Simulated WhatsApp"):
// what a customer, the business's phone and WhatsApp itself would do, as HTTP calls. Mounted only with
// --client simulated, after the API key check like every route.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { SIMULATED_FAILURES, SimulatedWhatsApp, SimulatorStateError, type SimulatedFailure } from './client/simulated';
import { CHAT_ID, HttpError, readJson, sendJson, type Route } from './http';
import type { Session } from './session';

/** Room for a WhatsApp text (65,536 characters, up to 4 UTF-8 bytes each) and the JSON around it. */
const MAX_BODY_BYTES = 300_000;
const MAX_TEXT = 65_536;
const NUMBER = /^\+?\d{6,15}$/;

export function simulatorRoutes(phone: SimulatedWhatsApp, session: Session): Route {
	const handlers: Record<string, (req: IncomingMessage, res: ServerResponse) => Promise<void>> = {
		'POST /simulator/messages': async (req, res) => {
			const body = await readJson(req, MAX_BODY_BYTES);
			const sender = chatIdOf(body.from, 'from', /@(c\.us|lid)$/, 'a phone number in digits (e.g. 8613800000000), "…@c.us" or "…@lid"');
			const phoneNumber = optional(body.phone, 'phone', (v) => NUMBER.test(v), 'the phone number WhatsApp gives for the linked ID, in digits');
			if (phoneNumber !== undefined && !sender.endsWith('@lid')) bad('"phone" is only for a sender given as "…@lid"; leave it out for a phone number.');
			const group = optional(body.group, 'group', (v) => /^[\w.:-]+@g\.us$/.test(v), 'a group chat ID ending in @g.us');
			const senderName = optional(body.senderName, 'senderName', (v) => v.length <= 100, 'the sender\'s profile name, up to 100 characters');
			const id = simulated(() => phone.receive({ sender, body: text(body.body, 'body'), senderName, phone: phoneNumber?.replace('+', ''), group }));
			sendJson(res, 201, { id });
		},
		'POST /simulator/phone-messages': async (req, res) => {
			const body = await readJson(req, MAX_BODY_BYTES);
			const chatId = chatIdOf(body.to, 'to', CHAT_ID, 'a phone number in digits, or a chat ID ending in @c.us, @lid or @g.us');
			const id = simulated(() => phone.typeOnPhone(chatId, text(body.body, 'body')));
			sendJson(res, 201, { id });
		},
		'GET /simulator/sent': async (_req, res) => {
			const sent = phone.sent.map(({ id, chatId, text, caption, media, at }) => ({
				id,
				chatId,
				text,
				caption,
				media: media && { mimetype: media.mimetype, filename: media.filename, bytes: Buffer.byteLength(media.data, 'base64') },
				at: at.toISOString(),
			}));
			sendJson(res, 200, { sent });
		},
		'DELETE /simulator/sent': async (_req, res) => {
			const cleared = phone.sent.splice(0).length;
			sendJson(res, 200, { cleared });
		},
		'POST /simulator/link': async (_req, res) => {
			const client = phone.current;
			if (!client?.isPending) {
				throw new HttpError(409, 'nothing_to_link', `No QR code or pairing code is pending: the session is ${session.status().state}. Check GET /status.`);
			}
			client.link();
			sendJson(res, 200, session.status());
		},
		'POST /simulator/unlink': async (_req, res) => {
			const client = phone.current;
			if (!client?.isLinked) throw new HttpError(409, 'not_linked', `The simulated phone is not linked: the session is ${session.status().state}.`);
			client.unlink();
			sendJson(res, 200, await settled(session));
		},
		'POST /simulator/fail': async (req, res) => {
			const { reason } = await readJson(req, MAX_BODY_BYTES);
			if (!SIMULATED_FAILURES.includes(reason as SimulatedFailure)) bad(`"reason" must be one of: ${SIMULATED_FAILURES.join(', ')}.`);
			await fail(reason as SimulatedFailure);
			sendJson(res, 200, await settled(session));
		},
		'DELETE /simulator/fail': async (_req, res) => {
			phone.startFailure = null;
			phone.refuseNextLogin = false;
			if (session.status().state === 'FAILED') session.start();
			sendJson(res, 200, await settled(session));
		},
	};

	/** Each failure reaches the session the way the real engine shows it, so its handling is what gets tested. */
	async function fail(reason: SimulatedFailure): Promise<void> {
		if (reason === 'timeout') {
			const client = phone.current;
			if (!client?.isLinked) throw new HttpError(409, 'not_linked', 'A connection can only drop while the simulated phone is linked (READY).');
			return client.dropConnection();
		}
		// A start failure stays until DELETE /simulator/fail; a refused login happens once.
		if (reason === 'auth_failure') phone.refuseNextLogin = true;
		else phone.startFailure = reason;
		await session.stop();
		session.start();
	}

	return async (req, res, url) => {
		if (!url.pathname.startsWith('/simulator/')) return false;
		const handler = handlers[`${req.method} ${url.pathname}`];
		if (!handler) return false;
		await handler(req, res);
		return true;
	};
}

function bad(message: string): never {
	throw new HttpError(400, 'bad_request', message);
}

function text(value: unknown, field: string): string {
	if (typeof value !== 'string' || value === '' || value.length > MAX_TEXT) bad(`"${field}" must be the message text, 1 to ${MAX_TEXT} characters.`);
	return value;
}

function optional(value: unknown, field: string, valid: (v: string) => boolean, what: string): string | undefined {
	if (value === undefined || value === null) return undefined;
	if (typeof value !== 'string' || !valid(value)) bad(`"${field}" must be ${what}, or left out.`);
	return value;
}

/** A number in digits becomes `<digits>@c.us`; a chat ID must match `pattern`. */
function chatIdOf(value: unknown, field: string, pattern: RegExp, what: string): string {
	if (typeof value === 'string' && NUMBER.test(value.trim())) return `${value.trim().replace('+', '')}@c.us`;
	if (typeof value === 'string' && CHAT_ID.test(value) && pattern.test(value)) return value;
	bad(`"${field}" must be ${what}.`);
}

function simulated<T>(act: () => T): T {
	try {
		return act();
	} catch (error) {
		if (error instanceof SimulatorStateError) throw new HttpError(409, 'not_linked', error.message);
		throw error;
	}
}

/** The session reacts to an engine event a few microtasks later (it fails, destroys the client, restarts). */
async function settled(session: Session) {
	await new Promise((r) => setImmediate(r));
	return session.status();
}
