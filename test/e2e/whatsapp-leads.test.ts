/**
 * The WhatsApp leads template (workflows/whatsapp-leads.json) in a real n8n, fed by the real gateway with its
 * simulated WhatsApp: each new contact becomes one row of the n8n Data Table, whatever number of messages it
 * writes and however often a message is delivered; groups write nothing.
 *
 * Its last step, Append to Google Sheet, is n8n's built-in Google Sheets node, run against the fake Google
 * (test/fakes/google): n8n reaches it through a loopback proxy, so nothing leaves 127.0.0.1. The node signs in
 * with a service account here (the template's OAuth2 needs a consent screen in a browser), and Document is set to
 * a sheet's URL as the node's note asks; the fake holds that sheet with the header row the Read Me asks for.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';

import { startFakeGoogleSheets, type FakeGoogleSheets } from '../fakes/google';
import { GatewayProcess } from './gateway';
import { type N8nInstance, readWorkflow, startN8n } from './harness';

const template = readWorkflow('whatsapp-leads.json');
const TRIGGER = 'WhatsApp Web Trigger';
const SHEET = 'Append to Google Sheet';
const TABLE = 'WhatsApp contacts';
// A spreadsheet id as Google makes them (44 characters): the node takes the id from the URL only when it has 25 or more.
const SPREADSHEET = '1kEfUTeStSpReAdShEeT0000000000000000000000wA';
const COLUMNS = ['chatId', 'phone', 'name', 'firstMessage', 'firstSeenAt'] as const;
const webhookId = String(template.nodes.find((n) => n.name === TRIGGER)?.webhookId);

interface ContactRow {
	chatId: string;
	phone: string;
	name: string;
	firstMessage: string;
	firstSeenAt: string;
}

async function until(what: string, predicate: () => boolean | Promise<boolean>, timeoutMs = 60_000): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	while (!(await predicate())) {
		if (Date.now() > deadline) throw new Error(`still not true after ${timeoutMs} ms: ${what}`);
		await new Promise((r) => setTimeout(r, 200));
	}
}

describe('WhatsApp leads template: real n8n, real gateway with simulated WhatsApp, n8n Data Table', () => {
	const userFolder = mkdtempSync(path.join(tmpdir(), 'kefu-wa-leads-n8n-'));
	const gatewayFolder = mkdtempSync(path.join(tmpdir(), 'kefu-wa-leads-gateway-'));
	const gateway = new GatewayProcess({ dataDir: path.join(gatewayFolder, 'data'), logFile: path.join(gatewayFolder, 'gateway.log') });
	let n8n: N8nInstance;
	let google: FakeGoogleSheets;
	let workflowId: string;
	let tableId: string;

	const rows = async (): Promise<ContactRow[]> =>
		(await n8n.api<{ data: ContactRow[] }>('GET', `/data-tables/${tableId}/rows?limit=250`)).data;

	before(async () => {
		await gateway.start();
		google = await startFakeGoogleSheets();
		// The sheet as the operator prepares it: the header row; and a contact written there before (by hand, or
		// by an older copy of the table), which the template must update, not add again.
		google.createSpreadsheet(SPREADSHEET, { Leads: [[...COLUMNS], ['8613800000709@c.us', '', 'Old Name', 'written by hand', '2024-01-01']] });
		n8n = await startN8n({ userFolder, env: google.env });
		// As the Read Me tells the operator: the table, with five text columns, before publishing.
		const columns = COLUMNS.map((name) => ({ name, type: 'string' }));
		({ id: tableId } = await n8n.api<{ id: string }>('POST', '/data-tables', { name: TABLE, columns }));
		const credential = await n8n.createCredential('whatsAppWebGatewayApi', 'WhatsApp Web Gateway', {
			baseUrl: gateway.url,
			apiKey: gateway.apiKey,
			webhookSecret: gateway.webhookSecret,
		});
		const serviceAccount = await n8n.createCredential('googleApi', 'Google service account', google.serviceAccount);
		assert.ok(template.nodes.some((node) => node.name === SHEET), `the template has no node "${SHEET}"`);
		const nodes = template.nodes.map((node) =>
			node.name === SHEET
				? {
						...node,
						parameters: {
							...node.parameters,
							authentication: 'serviceAccount',
							documentId: { __rl: true, mode: 'url', value: `https://docs.google.com/spreadsheets/d/${SPREADSHEET}/edit` },
						},
					}
				: node,
		);
		({ id: workflowId } = await n8n.importWorkflow(
			{ ...template, nodes },
			{ [TRIGGER]: { whatsAppWebGatewayApi: credential }, [SHEET]: { googleApi: serviceAccount } },
		));
		await n8n.publish(workflowId);
		await until('the trigger registered with the gateway', async () =>
			(await gateway.webhooks()).some((w) => w.url === n8n.webhookUrl(webhookId)),
		);
	});

	after(async () => {
		await n8n?.stop({ keepUserFolder: true });
		await gateway.stop();
		await google?.close();
		if (process.env.KEFU_E2E_KEEP !== '1') {
			rmSync(userFolder, { recursive: true, force: true });
			rmSync(gatewayFolder, { recursive: true, force: true });
		}
	});

	it('a new contact is one row with its number, name and first message; later messages add none', async () => {
		const known = await n8n.executionIds(workflowId);
		await gateway.customerSays('8613800000701', 'Hi, do you sell gift cards?', 'Zhao Lei');
		await until('the first message stored', async () => (await rows()).length === 1);
		await gateway.customerSays('8613800000701', 'And how much are they?', 'Zhao Lei');
		await gateway.customerSays('8613800000702', '你好，想了解一下价格', '李娜');
		const executions = await n8n.settledExecutionsSince(workflowId, known, 2_000, 120_000);
		assert.equal(executions.length, 3);
		for (const execution of executions) assert.equal(execution.status, 'success');

		const table = (await rows()).sort((a, b) => a.chatId.localeCompare(b.chatId));
		assert.deepEqual(
			table.map(({ chatId, phone, name, firstMessage }) => ({ chatId, phone, name, firstMessage })),
			[
				{ chatId: '8613800000701@c.us', phone: '8613800000701', name: 'Zhao Lei', firstMessage: 'Hi, do you sell gift cards?' },
				{ chatId: '8613800000702@c.us', phone: '8613800000702', name: '李娜', firstMessage: '你好，想了解一下价格' },
			],
		);
		for (const row of table) assert.ok(!Number.isNaN(Date.parse(row.firstSeenAt)), `firstSeenAt "${row.firstSeenAt}" is not a date`);
	});

	it('a sender known only by a linked ID is stored under its chat, with the phone when WhatsApp gives it', async () => {
		const known = await n8n.executionIds(workflowId);
		const before = (await rows()).length;
		await gateway.request('POST', '/simulator/messages', { from: '20000000701@lid', phone: '8613700000701', body: 'hello', senderName: 'Lid With Phone' });
		await gateway.request('POST', '/simulator/messages', { from: '20000000702@lid', body: 'hello', senderName: 'Lid Only' });
		await until('both stored', async () => (await rows()).length === before + 2);
		// The rows are in before the Google Sheets step has run: wait for both executions to end.
		const executions = await n8n.settledExecutionsSince(workflowId, known, 2_000, 60_000);
		assert.deepEqual(executions.map((e) => e.status), ['success', 'success']);
		const byName = new Map((await rows()).map((row) => [row.name, row]));
		assert.equal(byName.get('Lid With Phone')?.phone, '8613700000701');
		assert.equal(byName.get('Lid With Phone')?.chatId, '20000000701@lid');
		assert.equal(byName.get('Lid Only')?.phone, '');
		assert.equal(byName.get('Lid Only')?.chatId, '20000000702@lid');
	});

	it('two new contacts whose executions read the sheet at the same moment both get their own row', async () => {
		const known = await n8n.executionIds(workflowId);
		// Both executions read the sheet before either writes. Append or Update then puts its new rows after
		// the last row it read, so without Minimise API Calls (Google's values.append) the second overwrites
		// the first.
		google.holdValueReads(2);
		await gateway.customerSays('8613800000711', 'price list please', 'Sun Mei');
		await gateway.customerSays('8613800000712', '你们几点关门', '周强');
		const executions = await n8n.settledExecutionsSince(workflowId, known, 2_000, 120_000);
		assert.deepEqual(executions.map((e) => e.status), ['success', 'success']);
		const sheetChats = google.rows(SPREADSHEET, 'Leads').map((row) => row[0]);
		assert.ok(sheetChats.includes('8613800000711@c.us'), 'the first contact\'s row was overwritten');
		assert.ok(sheetChats.includes('8613800000712@c.us'), 'the second contact\'s row was overwritten');
	});

	it('a message in a group writes nothing', async () => {
		const known = await n8n.executionIds(workflowId);
		const before = (await rows()).length;
		await gateway.request('POST', '/simulator/messages', { from: '8613800000703', body: 'hi all', group: '120363000000000701@g.us' });
		const executions = await n8n.settledExecutionsSince(workflowId, known, 2_000, 60_000);
		assert.equal(executions.length, 1, 'the group message did not reach the workflow');
		assert.equal((await rows()).length, before);
	});

	it('the sheet holds the rows the Data Table holds, matched on chatId: a contact already there is updated, not added', async () => {
		const known = await n8n.executionIds(workflowId);
		await gateway.customerSays('8613800000709', '还记得我吗', 'Wang Fang');
		const executions = await n8n.settledExecutionsSince(workflowId, known, 2_000, 60_000);
		assert.deepEqual(executions.map((e) => e.status), ['success']);

		const [header, ...sheetRows] = google.rows(SPREADSHEET, 'Leads');
		assert.deepEqual(header, [...COLUMNS]);
		const asSheet = (row: ContactRow) => COLUMNS.map((column) => row[column]);
		const byChat = (a: string[], b: string[]) => a[0].localeCompare(b[0]);
		assert.deepEqual(sheetRows.sort(byChat), (await rows()).map(asSheet).sort(byChat));
		assert.equal(sheetRows.filter((row) => row[0] === '8613800000709@c.us').length, 1);
		assert.deepEqual(sheetRows.find((row) => row[0] === '8613800000709@c.us')?.slice(1, 4), ['8613800000709', 'Wang Fang', '还记得我吗']);
		// Every call went to Google's hosts, and the fake knew each one.
		assert.deepEqual(google.unknown, []);
		assert.deepEqual(google.refused, []);
	});
});
