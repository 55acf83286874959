/**
 * The fake Google (test/fakes/google) behaves as Google documents it, and reaches nobody else: a client
 * that goes through its proxy as n8n does (CONNECT, then TLS checked against the run's CA).
 */
import assert from 'node:assert/strict';
import { createSign, generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { after, before, describe, it } from 'node:test';
import tls from 'node:tls';

import { startFakeGoogleSheets, type FakeGoogleSheets } from '../fakes/google';
import { columnLetters, parseA1 } from '../fakes/google/a1';

interface Answer {
	status: number;
	body: any;
}

/** Opens a CONNECT tunnel through the proxy, as n8n's https-proxy-agent does. */
function tunnel(proxyUrl: string, target: string): Promise<{ status: number; socket: import('node:net').Socket }> {
	const proxy = new URL(proxyUrl);
	return new Promise((resolve, reject) => {
		const req = http.request({ host: proxy.hostname, port: proxy.port, method: 'CONNECT', path: target });
		req.once('connect', (res, socket) => resolve({ status: res.statusCode ?? 0, socket }));
		req.once('error', reject);
		req.end();
	});
}

async function call(fake: FakeGoogleSheets, method: string, url: string, body?: unknown, headers: Record<string, string> = {}, ca?: string): Promise<Answer> {
	const target = new URL(url);
	const { status, socket } = await tunnel(fake.proxyUrl, `${target.hostname}:443`);
	assert.equal(status, 200, `CONNECT ${target.hostname} answered ${status}`);
	const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
	return await new Promise((resolve, reject) => {
		const req = https.request(
			{
				method,
				host: target.hostname,
				path: target.pathname + target.search,
				headers: { ...(payload && { 'content-type': typeof body === 'string' ? 'application/x-www-form-urlencoded' : 'application/json' }), ...headers },
				createConnection: () => tls.connect({ socket, servername: target.hostname, ca: ca ?? readFileSync(fake.caFile) }),
			},
			(res) => {
				let text = '';
				res.on('data', (chunk: Buffer) => (text += chunk.toString()));
				res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : undefined }));
			},
		);
		req.once('error', reject);
		req.end(payload);
	});
}

function jwt(privateKey: string, claims: Record<string, unknown>): string {
	const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
	const unsigned = `${part({ alg: 'RS256', typ: 'JWT' })}.${part(claims)}`;
	return `${unsigned}.${createSign('RSA-SHA256').update(unsigned).sign(privateKey).toString('base64url')}`;
}

function claimsFor(email: string): Record<string, unknown> {
	const now = Math.floor(Date.now() / 1000);
	return { iss: email, scope: 'https://www.googleapis.com/auth/spreadsheets', aud: 'https://oauth2.googleapis.com/token', iat: now, exp: now + 3600 };
}

const form = (assertion: string) => new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion }).toString();

describe('fake Google Sheets API behind its proxy', () => {
	let fake: FakeGoogleSheets;
	let auth: Record<string, string>;
	const book = 'book1';
	const sheets = (path: string) => `https://sheets.googleapis.com/v4/spreadsheets/${book}${path}`;

	before(async () => {
		fake = await startFakeGoogleSheets();
		fake.createSpreadsheet(book, { Leads: [['chatId', 'phone', 'name']], Other: [] });
		const token = await call(fake, 'POST', 'https://oauth2.googleapis.com/token', form(jwt(fake.serviceAccount.privateKey, claimsFor(fake.serviceAccount.email))));
		assert.equal(token.status, 200);
		auth = { authorization: `Bearer ${token.body.access_token}` };
	});

	after(async () => {
		await fake.close();
	});

	it('trades only a JWT signed with the service account key for a token', async () => {
		const stranger = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
		const forged = await call(fake, 'POST', 'https://oauth2.googleapis.com/token', form(jwt(stranger, claimsFor(fake.serviceAccount.email))));
		assert.equal(forged.status, 400);
		assert.equal(forged.body.error, 'invalid_grant');
		const expired = await call(fake, 'POST', 'https://oauth2.googleapis.com/token',
			form(jwt(fake.serviceAccount.privateKey, { ...claimsFor(fake.serviceAccount.email), exp: Math.floor(Date.now() / 1000) - 10 })));
		assert.equal(expired.status, 400);
	});

	it('refuses a Sheets call without an issued access token', async () => {
		const answer = await call(fake, 'GET', sheets(''), undefined, { authorization: 'Bearer ya29.made-up' });
		assert.equal(answer.status, 401);
		assert.equal(answer.body.error.status, 'UNAUTHENTICATED');
	});

	it('describes the sheets with their ids and grid sizes', async () => {
		const answer = await call(fake, 'GET', sheets('?fields=sheets.properties'), undefined, auth);
		assert.equal(answer.status, 200);
		assert.deepEqual(
			answer.body.sheets.map((s: any) => [s.properties.sheetId, s.properties.title, s.properties.gridProperties.rowCount]),
			[[0, 'Leads', 1000], [1_000_001, 'Other', 1000]],
		);
	});

	it('writes, reads back and appends rows; an empty range has no values', async () => {
		const range = encodeURIComponent("'Leads'") + '!2:3';
		const put = await call(fake, 'PUT', sheets(`/values/${range}?valueInputOption=USER_ENTERED`), { range: 'Leads!2:3', values: [['a@c.us', '8613800000701', '赵'], ['b@c.us', '', '李']] }, auth);
		assert.equal(put.status, 200);
		assert.equal(put.body.updatedRange, "'Leads'!A2:C3");
		const read = await call(fake, 'GET', sheets(`/values/${encodeURIComponent("'Leads'")}?valueRenderOption=UNFORMATTED_VALUE`), undefined, auth);
		// USER_ENTERED made the digits a number, as Google does.
		assert.deepEqual(read.body.values, [['chatId', 'phone', 'name'], ['a@c.us', 8613800000701, '赵'], ['b@c.us', '', '李']]);
		const appended = await call(fake, 'POST', sheets(`/values/${encodeURIComponent('Leads!A:Z')}:append?valueInputOption=RAW`), { values: [['c@c.us', '8613800000703', '王']] }, auth);
		assert.equal(appended.status, 200);
		assert.deepEqual(fake.rows(book, 'Leads').at(-1), ['c@c.us', '8613800000703', '王']);
		const empty = await call(fake, 'GET', sheets(`/values/${encodeURIComponent("'Other'")}`), undefined, auth);
		assert.equal(empty.status, 200);
		assert.equal('values' in empty.body, false);
	});

	it('updates by values:batchUpdate, and refuses a write past the grid until appendDimension grows it', async () => {
		const updated = await call(fake, 'POST', sheets('/values:batchUpdate'), { valueInputOption: 'RAW', data: [{ range: "'Leads'!C2", values: [['赵磊']] }] }, auth);
		assert.equal(updated.status, 200);
		assert.equal(fake.rows(book, 'Leads')[1][2], '赵磊');
		const far = `${encodeURIComponent("'Other'")}!1001:1001`;
		const refused = await call(fake, 'PUT', sheets(`/values/${far}?valueInputOption=RAW`), { values: [['x']] }, auth);
		assert.equal(refused.status, 400);
		assert.match(refused.body.error.message, /exceeds grid limits/);
		const grown = await call(fake, 'POST', sheets(':batchUpdate'), { requests: [{ appendDimension: { sheetId: '1000001', dimension: 'ROWS', length: 1 } }] }, auth);
		assert.equal(grown.status, 200);
		assert.equal((await call(fake, 'PUT', sheets(`/values/${far}?valueInputOption=RAW`), { values: [['x']] }, auth)).status, 200);
		assert.equal(fake.rows(book, 'Other').length, 1001);
	});

	it('answers a call it does not implement 501 and lists it', async () => {
		const answer = await call(fake, 'GET', 'https://www.googleapis.com/drive/v3/files?q=x', undefined, auth);
		assert.equal(answer.status, 501);
		assert.match(answer.body.error.message, /drive\/v3\/files/);
		assert.ok(fake.unknown.some((r) => r.host === 'www.googleapis.com' && r.path.startsWith('/drive/v3/files')));
	});

	it('tunnels to nobody but Google, and plain requests through it are refused', async () => {
		const { status, socket } = await tunnel(fake.proxyUrl, 'example.com:443');
		socket.destroy();
		assert.equal(status, 403);
		assert.equal((await tunnel(fake.proxyUrl, 'sheets.googleapis.com:80').then(({ status, socket }) => (socket.destroy(), status))), 403);
		const plain = await new Promise<number>((resolve, reject) => {
			const proxy = new URL(fake.proxyUrl);
			http.get({ host: proxy.hostname, port: proxy.port, path: 'http://example.com/', headers: { host: 'example.com' } }, (res) => {
				res.resume();
				resolve(res.statusCode ?? 0);
			}).once('error', reject);
		});
		assert.equal(plain, 403);
		assert.deepEqual(fake.refused, ['example.com:443', 'sheets.googleapis.com:80', 'example.com']);
	});

	it('its certificate is trusted only through the run\'s CA', async () => {
		const otherCa = tls.rootCertificates.join('\n');
		await assert.rejects(call(fake, 'GET', sheets(''), undefined, auth, otherCa), /self[- ]signed|unable to (get|verify)/i);
	});
});

describe('A1 ranges as the Sheets API reads them', () => {
	it('parses sheet names, quoted names, whole rows, whole columns and cells', () => {
		assert.deepEqual(parseA1('Leads'), { sheet: 'Leads', startRow: 0, startColumn: 0 });
		assert.deepEqual(parseA1("'It''s mine'!A:Z"), { sheet: "It's mine", startRow: 0, endRow: undefined, startColumn: 0, endColumn: 26 });
		assert.deepEqual(parseA1('Leads!5:5'), { sheet: 'Leads', startRow: 4, endRow: 5, startColumn: 0, endColumn: undefined });
		assert.deepEqual(parseA1('Leads!B3'), { sheet: 'Leads', startRow: 2, endRow: 3, startColumn: 1, endColumn: 2 });
		assert.equal(parseA1('Leads!?'), undefined);
		assert.deepEqual([0, 25, 26, 701, 702].map(columnLetters), ['A', 'Z', 'AA', 'ZZ', 'AAA']);
	});
});
