/**
 * The customer export template (workflows/customer-export.json) in a real n8n: on its schedule (shortened to
 * every 5 s here, from an hour) the customers of the Data Tables "WhatsApp contacts" and "Mini program
 * customers" go to a Google Sheet through n8n's built-in Google Sheets node, against the fake Google
 * (test/fakes/google: a loopback proxy, so nothing leaves 127.0.0.1). New customers are appended, changed ones
 * updated in place on customerId, and runs that find nothing new add no row.
 *
 * As in the WhatsApp leads test, the node signs in with a service account (OAuth2 needs a browser) and Document
 * is set to a sheet's URL, as the node's note asks.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';

import { startFakeGoogleSheets, type FakeGoogleSheets } from '../fakes/google';
import { type N8nInstance, readWorkflow, startN8n } from './harness';

const template = readWorkflow('customer-export.json');
const SCHEDULE = 'Every Hour';
const SHEET = 'Append or Update Customers';
const EVERY_SECONDS = 5;
const SPREADSHEET = '1kEfUCuStOmErExPoRt000000000000000000000000A';
const HEADER = ['customerId', 'channel', 'name', 'phone', 'status', 'note', 'createdAt'];

async function until(what: string, predicate: () => boolean | Promise<boolean>, timeoutMs = 60_000): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	while (!(await predicate())) {
		if (Date.now() > deadline) throw new Error(`still not true after ${timeoutMs} ms: ${what}`);
		await new Promise((r) => setTimeout(r, 250));
	}
}

describe('Customer export template: real n8n, n8n Data Tables, fake Google Sheets', () => {
	const userFolder = mkdtempSync(path.join(tmpdir(), 'kefu-customer-export-n8n-'));
	let n8n: N8nInstance;
	let google: FakeGoogleSheets;
	let workflowId: string;
	const tables: Record<string, string> = {};

	const addRows = (table: string, data: Array<Record<string, string>>) => n8n.api('POST', `/data-tables/${tables[table]}/rows`, { data });
	/** The sheet's rows as records keyed by its header row (whatever order the operator gave the columns). */
	const customers = (): Array<Record<string, string>> => {
		const [header, ...rows] = google.rows(SPREADSHEET, 'Customers');
		return rows.map((row) => Object.fromEntries(header.map((column, i) => [column, row[i] ?? ''])));
	};
	const miniProgramRow = () => customers().find((row) => row.customerId.startsWith('miniprogram:'));

	before(async () => {
		google = await startFakeGoogleSheets();
		// The header row in another order than the node's mapping: the node places cells by header name.
		google.createSpreadsheet(SPREADSHEET, { Customers: [[...HEADER].reverse()] });
		n8n = await startN8n({ userFolder, env: google.env });
		// As the Read Me tells the operator: both tables exist (the other templates' Read Me notes create them).
		const columns = (names: string[]) => names.map((name) => ({ name, type: 'string' }));
		for (const [name, names] of [
			['WhatsApp contacts', ['chatId', 'phone', 'name', 'firstMessage', 'firstSeenAt']],
			['Mini program customers', ['name', 'phone', 'openid', 'leadSource', 'status', 'createdBy', 'note']],
		] as const) {
			tables[name] = (await n8n.api<{ id: string }>('POST', '/data-tables', { name, columns: columns([...names]) })).id;
		}
		await addRows('WhatsApp contacts', [
			{ chatId: '8613800000801@c.us', phone: '8613800000801', name: 'Zhao Lei', firstMessage: 'gift cards?', firstSeenAt: '2026-11-30T08:00:00.000Z' },
		]);
		await addRows('Mini program customers', [
			{ name: '李娜', phone: '13800000802', openid: 'o-802', leadSource: 'miniprogram', status: 'new', createdBy: 'system', note: '' },
		]);
		const serviceAccount = await n8n.createCredential('googleApi', 'Google service account', google.serviceAccount);
		const nodes = template.nodes.map((node) => {
			if (node.name === SCHEDULE) return { ...node, parameters: { rule: { interval: [{ field: 'seconds', secondsInterval: EVERY_SECONDS }] } } };
			if (node.name !== SHEET) return node;
			const documentId = { __rl: true, mode: 'url', value: `https://docs.google.com/spreadsheets/d/${SPREADSHEET}/edit` };
			return { ...node, parameters: { ...node.parameters, authentication: 'serviceAccount', documentId } };
		});
		({ id: workflowId } = await n8n.importWorkflow({ ...template, nodes }, { [SHEET]: { googleApi: serviceAccount } }));
		await n8n.publish(workflowId);
	});

	after(async () => {
		await n8n?.stop({ keepUserFolder: true });
		await google?.close();
		if (process.env.KEFU_E2E_KEEP !== '1') rmSync(userFolder, { recursive: true, force: true });
	});

	it('appends every customer of both tables once, under a stable customerId', async () => {
		await until('both customers in the sheet', () => customers().length === 2);
		assert.deepEqual(
			customers().find((row) => row.customerId === 'whatsapp:8613800000801@c.us'),
			{ createdAt: '2026-11-30T08:00:00.000Z', note: 'gift cards?', status: '', phone: '8613800000801', name: 'Zhao Lei', channel: 'WhatsApp', customerId: 'whatsapp:8613800000801@c.us' },
		);
		const { customerId, createdAt, ...rest } = miniProgramRow() ?? {};
		assert.match(customerId, /^miniprogram:\d+$/);
		assert.ok(!Number.isNaN(Date.parse(createdAt)), `createdAt "${createdAt}" is not a date`);
		assert.deepEqual(rest, { note: '', status: 'new', phone: '13800000802', name: '李娜', channel: 'Mini program' });
	});

	it('a changed customer is updated in place, a new one appended, and later runs add nothing', async () => {
		await n8n.api('PATCH', `/data-tables/${tables['Mini program customers']}/rows/update`, {
			filter: { type: 'and', filters: [{ columnName: 'openid', condition: 'eq', value: 'o-802' }] },
			data: { status: 'contacted', note: '已回电' },
		});
		await addRows('WhatsApp contacts', [
			{ chatId: '8613800000803@c.us', phone: '8613800000803', name: 'Wang Fang', firstMessage: '你好', firstSeenAt: '2026-11-30T09:00:00.000Z' },
		]);
		await until('the update and the new row in the sheet', () => customers().length === 3 && miniProgramRow()?.note === '已回电');
		assert.equal(miniProgramRow()?.status, 'contacted');
		// Two more runs after that (so at least one began after it): still three rows, one per customerId.
		const started = (await n8n.executions(workflowId)).length;
		await n8n.waitForExecutions(workflowId, started + 2);
		const ids = customers().map((row) => row.customerId);
		assert.equal(ids.length, 3);
		assert.equal(new Set(ids).size, 3);
		for (const execution of await n8n.executions(workflowId)) assert.equal(execution.status, 'success');
		assert.deepEqual(google.unknown, []);
		assert.deepEqual(google.refused, []);
	});
});
