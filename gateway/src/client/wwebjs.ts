// The real engine: whatsapp-web.js 1.34.7 with Debian's Chromium, behind the client port.
// Everything whatsapp-web.js-specific lives here; the rest of the gateway sees plain data.

import { Client, LocalAuth, MessageMedia } from 'whatsapp-web.js';
import type { Message } from 'whatsapp-web.js';
import type { WaClientFactory, WaClientHandlers, WaClientPort, WaMessage } from './port';

function toWaMessage(msg: Message): WaMessage {
	const raw = msg as unknown as { _data?: { notifyName?: string } };
	return {
		id: msg.id._serialized,
		// For a message this account sent, the chat is the recipient; otherwise the sender (or the group).
		chatId: msg.fromMe ? msg.to : msg.from,
		from: msg.from,
		author: msg.author ?? null,
		fromMe: msg.fromMe,
		type: String(msg.type),
		body: msg.body ?? '',
		hasMedia: msg.hasMedia,
		timestamp: msg.timestamp,
		senderName: raw._data?.notifyName || null,
	};
}

export const createWhatsAppWebClient: WaClientFactory = ({ authDir, clientId, chromiumPath, handlers }) => {
	const client = new Client({
		authStrategy: new LocalAuth({ clientId, dataPath: authDir }),
		// The default 'local' cache pins a stale WhatsApp Web build after a while (whatsapp-web.js issue #2732).
		webVersionCache: { type: 'none' },
		puppeteer: {
			headless: true,
			executablePath: chromiumPath,
			// --no-sandbox: Chromium refuses to start as root without it (containers run as root).
			args: ['--no-sandbox', '--disable-setuid-sandbox', '--disable-dev-shm-usage', '--disable-gpu'],
		},
	});
	return wireClient(client, handlers);
};

/** Reports a whatsapp-web.js Client's events through the port (apart from its construction, so a test can drive a stub). */
export function wireClient(client: Client, handlers: WaClientHandlers): WaClientPort {
	let destroyed = false;
	client.on('qr', (qr: string) => handlers.qr(qr));
	client.on('code', (code: string) => handlers.code(code));
	client.on('authenticated', () => handlers.authenticated());
	client.on('auth_failure', (message: string) => handlers.authFailure(String(message)));
	client.on('ready', () => {
		const wid = client.info?.wid?._serialized ?? '';
		handlers.ready({ id: wid, name: client.info?.pushname ?? null });
		// A tab crash or a killed browser otherwise leaves a READY session whose every call fails.
		client.pupPage?.once('close', () => !destroyed && handlers.browserClosed('page closed'));
		client.pupPage?.once('error', (error: Error) => !destroyed && handlers.browserClosed(error.message));
		client.pupBrowser?.once('disconnected', () => !destroyed && handlers.browserClosed('browser disconnected'));
	});
	client.on('disconnected', (reason: unknown) => handlers.disconnected(String(reason)));
	// message_create fires for every message, message only for others': use each for its own side.
	client.on('message', (msg: Message) => handlers.message(toWaMessage(msg)));
	client.on('message_create', (msg: Message) => {
		if (msg.fromMe) handlers.ownMessage(toWaMessage(msg));
	});
	client.on('message_ack', (msg: Message, ack: number) =>
		handlers.ack({ messageId: msg.id._serialized, chatId: msg.fromMe ? msg.to : msg.from, ack }),
	);

	const port: WaClientPort = {
		initialize: () => client.initialize(),
		async destroy() {
			destroyed = true;
			client.removeAllListeners();
			await client.destroy().catch(() => {});
		},
		logout: () => client.logout(),
		getState: async () => (await client.getState()) ?? null,
		requestPairingCode: (phone) => client.requestPairingCode(phone),
		async getNumberId(number) {
			const id = await client.getNumberId(number);
			return id ? id._serialized : null;
		},
		async getPhoneForLid(lid) {
			const [entry] = await client.getContactLidAndPhone([lid]);
			return entry?.pn ? entry.pn.split('@')[0] : null;
		},
		async sendText(chatId, text, options) {
			const msg = await client.sendMessage(chatId, text, { quotedMessageId: options?.quotedMessageId });
			if (!msg) throw new Error(`WhatsApp Web found no chat for ${chatId}.`);
			return { messageId: msg.id._serialized, chatId };
		},
		async sendMedia(chatId, media, options) {
			const content = new MessageMedia(media.mimetype, media.data, media.filename ?? null);
			const msg = await client.sendMessage(chatId, content, { caption: options?.caption, quotedMessageId: options?.quotedMessageId });
			if (!msg) throw new Error(`WhatsApp Web found no chat for ${chatId}.`);
			return { messageId: msg.id._serialized, chatId };
		},
	};
	return port;
}
