/* eslint-disable @n8n/community-nodes/no-restricted-imports -- test code, never shipped */
/**
 * A loopback SMTP server that accepts every message (RFC 5321's plain dialogue: EHLO/HELO, MAIL, RCPT, DATA,
 * RSET, NOOP, QUIT; no TLS, no AUTH), for the templates that alert by email through n8n's Send Email node
 * (an SMTP credential with no user and "Disable STARTTLS"). Keeps each message as received.
 */
import net from 'node:net';

export interface ReceivedMail {
	from: string;
	to: string[];
	/** The message as sent after DATA (headers and body), dot-stuffing removed. */
	raw: string;
	/** The Subject header, unfolded; RFC 2047 words are left encoded (the tests use ASCII subjects). */
	subject: string;
	at: number;
}

export interface FakeSmtp {
	host: string;
	port: number;
	mails: ReceivedMail[];
	close(): Promise<void>;
}

/** Messages over this size are refused (552), so a runaway sender cannot fill the test's memory. */
const MAX_MESSAGE_BYTES = 5_000_000;

export async function startFakeSmtp(): Promise<FakeSmtp> {
	const mails: ReceivedMail[] = [];
	const sockets = new Set<net.Socket>();
	const server = net.createServer((socket) => {
		sockets.add(socket);
		socket.on('close', () => sockets.delete(socket));
		socket.on('error', () => socket.destroy());
		socket.setEncoding('latin1');
		const reply = (line: string) => socket.write(`${line}\r\n`);
		let buffer = '';
		let from = '';
		let to: string[] = [];
		let data: string[] | undefined;
		let dataBytes = 0;
		reply('220 fake-smtp.test ESMTP ready');
		socket.on('data', (chunk: string) => {
			buffer += chunk;
			for (let end = buffer.indexOf('\r\n'); end >= 0; end = buffer.indexOf('\r\n')) {
				const line = buffer.slice(0, end);
				buffer = buffer.slice(end + 2);
				if (data) {
					if (line === '.') {
						const raw = data.join('\r\n');
						mails.push({ from, to, raw, subject: subjectOf(raw), at: Date.now() });
						data = undefined;
						from = '';
						to = [];
						reply('250 2.0.0 queued');
						continue;
					}
					dataBytes += line.length + 2;
					if (dataBytes > MAX_MESSAGE_BYTES) {
						reply('552 5.3.4 message too big');
						socket.end();
						return;
					}
					data.push(line.startsWith('.') ? line.slice(1) : line);
					continue;
				}
				const verb = line.slice(0, 4).toUpperCase();
				if (verb === 'EHLO') socket.write('250-fake-smtp.test\r\n250-8BITMIME\r\n250 SIZE 5000000\r\n');
				else if (verb === 'HELO') reply('250 fake-smtp.test');
				else if (verb === 'MAIL') {
					from = addressIn(line);
					reply('250 2.1.0 ok');
				} else if (verb === 'RCPT') {
					to.push(addressIn(line));
					reply('250 2.1.5 ok');
				} else if (verb === 'DATA') {
					if (!from || to.length === 0) reply('503 5.5.1 MAIL and RCPT first');
					else {
						data = [];
						dataBytes = 0;
						reply('354 end with <CRLF>.<CRLF>');
					}
				} else if (verb === 'RSET') {
					from = '';
					to = [];
					reply('250 2.0.0 ok');
				} else if (verb === 'NOOP') reply('250 2.0.0 ok');
				else if (verb === 'QUIT') {
					reply('221 2.0.0 bye');
					socket.end();
				} else reply('502 5.5.2 not implemented');
			}
		});
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const address = server.address() as net.AddressInfo;
	return {
		host: '127.0.0.1',
		port: address.port,
		mails,
		async close() {
			for (const socket of sockets) socket.destroy();
			await new Promise<void>((resolve) => server.close(() => resolve()));
		},
	};
}

function addressIn(line: string): string {
	return /<([^>]*)>/.exec(line)?.[1] ?? '';
}

function subjectOf(raw: string): string {
	const headers = raw.split('\r\n\r\n')[0].replace(/\r\n[ \t]+/g, ' ');
	return /^Subject: (.*)$/im.exec(headers)?.[1] ?? '';
}
