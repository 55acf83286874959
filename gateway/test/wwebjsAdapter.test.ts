// The real adapter's wiring (src/client/wwebjs.ts) without WhatsApp or Chromium: a stub of the
// whatsapp-web.js Client (an EventEmitter with the methods the adapter calls) is driven through every
// event the library fires, and the test checks what the adapter reports through the port.

import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { test } from 'node:test';
import type { Client } from 'whatsapp-web.js';
import type { WaClientHandlers, WaClientPort } from '../src/client/port';
import { wireClient } from '../src/client/wwebjs';

/** A whatsapp-web.js Message as the library hands it to listeners: the fields the adapter reads. */
function libMessage(fields: { id: string; from: string; to: string; fromMe: boolean; body?: string; author?: string; notifyName?: string; type?: string; hasMedia?: boolean }) {
	return {
		id: { _serialized: fields.id },
		from: fields.from,
		to: fields.to,
		author: fields.author,
		fromMe: fields.fromMe,
		type: fields.type ?? 'chat',
		body: fields.body ?? 'hi',
		hasMedia: fields.hasMedia ?? false,
		timestamp: 1764500000,
		_data: fields.notifyName ? { notifyName: fields.notifyName } : {},
	};
}

class StubClient extends EventEmitter {
	info: { wid: { _serialized: string }; pushname: string } | undefined;
	pupPage = new EventEmitter();
	pupBrowser = new EventEmitter();
	calls: Array<[string, ...unknown[]]> = [];
	destroyError: unknown = null;
	state: string | undefined = 'CONNECTED';
	sendResult: object | undefined = { id: { _serialized: 'true_8613800000000@c.us_OUT1' } };

	async initialize() {
		this.calls.push(['initialize']);
	}
	async destroy() {
		this.calls.push(['destroy']);
		if (this.destroyError) throw this.destroyError;
	}
	async logout() {
		this.calls.push(['logout']);
	}
	async getState() {
		return this.state;
	}
	async requestPairingCode(phone: string) {
		this.calls.push(['requestPairingCode', phone]);
		return 'ABCD1234';
	}
	async getNumberId(number: string) {
		return number === '8613800000000' ? { _serialized: `${number}@c.us` } : null;
	}
	async getContactLidAndPhone(lids: string[]) {
		return lids.map((lid) => ({ lid, pn: lid === '111@lid' ? '8613700000000@c.us' : undefined }));
	}
	async sendMessage(chatId: string, content: unknown, options: object) {
		this.calls.push(['sendMessage', chatId, content, options]);
		return this.sendResult;
	}
}

function wired(): { stub: StubClient; port: WaClientPort; reported: Array<[string, ...unknown[]]> } {
	const stub = new StubClient();
	const reported: Array<[string, ...unknown[]]> = [];
	// Every handler records its name and arguments, so an event reported twice or under the wrong name shows.
	const handlers = new Proxy({} as WaClientHandlers, {
		get: (_, name: string) => (...args: unknown[]) => reported.push([name, ...args]),
	});
	const port = wireClient(stub as unknown as Client, handlers);
	return { stub, port, reported };
}

test('wwebjs adapter: login events qr, code, authenticated, ready (with me) reach the port', () => {
	const { stub, reported } = wired();
	stub.emit('qr', 'ref,key,identity,adv,platform');
	stub.emit('code', 'ABCD1234');
	stub.emit('authenticated', undefined);
	stub.info = { wid: { _serialized: '8613900000000@c.us' }, pushname: 'Shop' };
	stub.emit('ready');
	assert.deepEqual(reported, [
		['qr', 'ref,key,identity,adv,platform'],
		['code', 'ABCD1234'],
		['authenticated'],
		['ready', { id: '8613900000000@c.us', name: 'Shop' }],
	]);
});

test('wwebjs adapter: auth_failure and disconnected reach the port as text, whatever the library passed', () => {
	const { stub, reported } = wired();
	stub.emit('auth_failure', 'Unable to log in. Are the session details valid?');
	stub.emit('disconnected', 'LOGOUT');
	stub.emit('disconnected', 'Max qrcode retries reached');
	stub.emit('disconnected', undefined);
	assert.deepEqual(reported, [
		['authFailure', 'Unable to log in. Are the session details valid?'],
		['disconnected', 'LOGOUT'],
		['disconnected', 'Max qrcode retries reached'],
		['disconnected', 'undefined'],
	]);
});

test('wwebjs adapter: an incoming message fires message_create then message, and is reported once, as message', () => {
	const { stub, reported } = wired();
	const msg = libMessage({ id: 'false_8613800000000@c.us_IN1', from: '8613800000000@c.us', to: '8613900000000@c.us', fromMe: false, body: '你好', notifyName: 'Li Lei' });
	stub.emit('message_create', msg);
	stub.emit('message', msg);
	assert.deepEqual(reported, [
		[
			'message',
			{
				id: 'false_8613800000000@c.us_IN1',
				chatId: '8613800000000@c.us',
				from: '8613800000000@c.us',
				author: null,
				fromMe: false,
				type: 'chat',
				body: '你好',
				hasMedia: false,
				timestamp: 1764500000,
				senderName: 'Li Lei',
			},
		],
	]);
});

test('wwebjs adapter: an own message (message_create fromMe) is reported as ownMessage, its chat being the recipient', () => {
	const { stub, reported } = wired();
	stub.emit('message_create', libMessage({ id: 'true_8613800000000@c.us_OUT1', from: '8613900000000@c.us', to: '8613800000000@c.us', fromMe: true, body: 'typed on the phone' }));
	assert.equal(reported.length, 1);
	const [name, message] = reported[0] as [string, { chatId: string; fromMe: boolean; senderName: string | null; body: string }];
	assert.equal(name, 'ownMessage');
	assert.deepEqual(
		{ chatId: message.chatId, fromMe: message.fromMe, senderName: message.senderName, body: message.body },
		{ chatId: '8613800000000@c.us', fromMe: true, senderName: null, body: 'typed on the phone' },
	);
});

test('wwebjs adapter: a group message keeps the group as chat and the member as author', () => {
	const { stub, reported } = wired();
	stub.emit('message', libMessage({ id: 'false_120363@g.us_IN2', from: '120363@g.us', to: '8613900000000@c.us', author: '111@lid', fromMe: false }));
	const message = reported[0][1] as { chatId: string; from: string; author: string | null };
	assert.deepEqual({ chatId: message.chatId, from: message.from, author: message.author }, { chatId: '120363@g.us', from: '120363@g.us', author: '111@lid' });
});

test('wwebjs adapter: message_ack reports the message, its chat and the ack level', () => {
	const { stub, reported } = wired();
	stub.emit('message_ack', libMessage({ id: 'true_8613800000000@c.us_OUT1', from: '8613900000000@c.us', to: '8613800000000@c.us', fromMe: true }), 3);
	stub.emit('message_ack', libMessage({ id: 'false_8613800000000@c.us_IN1', from: '8613800000000@c.us', to: '8613900000000@c.us', fromMe: false }), 2);
	assert.deepEqual(reported, [
		['ack', { messageId: 'true_8613800000000@c.us_OUT1', chatId: '8613800000000@c.us', ack: 3 }],
		['ack', { messageId: 'false_8613800000000@c.us_IN1', chatId: '8613800000000@c.us', ack: 2 }],
	]);
});

test('wwebjs adapter: after ready, a closed page or a lost browser is reported as browserClosed', () => {
	for (const [target, event, arg, detail] of [
		['pupPage', 'close', undefined, 'page closed'],
		['pupPage', 'error', new Error('Page crashed!'), 'Page crashed!'],
		['pupBrowser', 'disconnected', undefined, 'browser disconnected'],
	] as const) {
		const { stub, reported } = wired();
		// Before ready the adapter does not listen (a node EventEmitter would throw on an unheard 'error').
		if (event !== 'error') stub[target].emit(event, arg);
		assert.deepEqual(reported, [], `${target} ${event} before ready`);
		stub.info = { wid: { _serialized: '8613900000000@c.us' }, pushname: 'Shop' };
		stub.emit('ready');
		stub[target].emit(event, arg);
		assert.deepEqual(reported.slice(1), [['browserClosed', detail]], `${target} ${event}`);
	}
});

test('wwebjs adapter: destroy() closes the client, never throws, and nothing is reported afterwards', async () => {
	const { stub, port, reported } = wired();
	stub.info = { wid: { _serialized: '8613900000000@c.us' }, pushname: 'Shop' };
	stub.emit('ready');
	stub.destroyError = new Error('Protocol error: Connection closed.');
	await port.destroy();
	assert.deepEqual(stub.calls, [['destroy']]);
	stub.emit('qr', 'late');
	stub.emit('message', libMessage({ id: 'x', from: 'a@c.us', to: 'b@c.us', fromMe: false }));
	stub.emit('disconnected', 'LOGOUT');
	// Closing the browser on purpose is no crash to report.
	stub.pupPage.emit('close');
	stub.pupBrowser.emit('disconnected');
	assert.deepEqual(reported, [['ready', { id: '8613900000000@c.us', name: 'Shop' }]]);
});

test('wwebjs adapter: the port calls map to the library and its answers to plain data', async () => {
	const { stub, port } = wired();
	await port.initialize();
	assert.equal(await port.getState(), 'CONNECTED');
	stub.state = undefined;
	assert.equal(await port.getState(), null);
	assert.equal(await port.requestPairingCode('8613800000000'), 'ABCD1234');
	assert.equal(await port.getNumberId('8613800000000'), '8613800000000@c.us');
	assert.equal(await port.getNumberId('10000000000'), null);
	assert.equal(await port.getPhoneForLid('111@lid'), '8613700000000');
	assert.equal(await port.getPhoneForLid('222@lid'), null);
	assert.deepEqual(await port.sendText('8613800000000@c.us', 'hello', { quotedMessageId: 'Q1' }), {
		messageId: 'true_8613800000000@c.us_OUT1',
		chatId: '8613800000000@c.us',
	});
	await port.sendMedia('8613800000000@c.us', { data: 'aGk=', mimetype: 'text/plain', filename: 'hi.txt' }, { caption: 'a file' });
	const media = stub.calls.at(-1) as [string, string, { mimetype: string; data: string; filename: string }, { caption: string }];
	assert.deepEqual(
		{ mimetype: media[2].mimetype, data: media[2].data, filename: media[2].filename, caption: media[3].caption },
		{ mimetype: 'text/plain', data: 'aGk=', filename: 'hi.txt', caption: 'a file' },
	);
	stub.sendResult = undefined;
	await assert.rejects(port.sendText('123@c.us', 'x'), /found no chat for 123@c\.us/);
	await port.logout();
	assert.deepEqual(stub.calls.map((c) => c[0]), ['initialize', 'requestPairingCode', 'sendMessage', 'sendMessage', 'sendMessage', 'logout']);
});
