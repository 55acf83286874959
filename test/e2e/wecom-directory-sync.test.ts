/**
 * The directory-sync template (workflows/wecom-directory-sync.json) in a real n8n, set up as its Read Me tells
 * an operator: the two Data Tables with the columns the Read Me lists, the WeCom API credential against the
 * fake WeCom (test/fakes/wecom, with a generated directory of 500 members in 30 departments), the admin's
 * UserID. Each run is started as the editor's "Execute workflow" does, so the test decides when the nightly
 * schedule fires. The first run fills both tables with what the fake holds; after changes in the fake
 * (updates, removals, new members and departments, a member WeCom refuses with 60011) the second run makes
 * the tables follow, keeps the refused member's row, and messages the admin once, naming it.
 *
 * The optional Google Sheets export is switched on as the Read Me says and runs against the fake Google
 * (test/fakes/google, a loopback proxy: nothing leaves 127.0.0.1), signed in with a service account as in
 * the customer-export test.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { startFakeGoogleSheets, type FakeGoogleSheets } from '../fakes/google';
import { generateDirectory, startFakeWeComApi, type FakeDepartment, type FakeMember } from '../fakes/wecom';
import { type N8nInstance, readWorkflow, startN8n } from './harness';

const template = readWorkflow('wecom-directory-sync.json');
const TRIGGER = 'Every Day at 02:00';
const SYNC = 'WeCom Directory Sync';
const ADMIN = 'it-admin';
const DEPARTMENTS = 'WeCom departments';
const MEMBERS = 'WeCom members';
const EXPORT = ['Get Members for Sheet', 'Export Members to Sheet'];
const SPREADSHEET = '1kEfUWeCoMDiReCtOrYsYnC00000000000000000000A';

type Row = Record<string, unknown>;

/** The columns of each table as the Read Me lists them ("- **WeCom members**: String a, b; Number c"). */
function readMeColumns(table: string): Array<{ name: string; type: string }> {
	const readMe = String(template.nodes.find((node) => node.name === 'Read Me')?.parameters.content);
	const line = readMe.split('\n').find((l) => l.startsWith(`- **${table}**: `));
	assert.ok(line, `the Read Me lists no columns for ${table}`);
	return line
		.slice(`- **${table}**: `.length)
		.split(';')
		.flatMap((group) => {
			const [type, ...names] = group.trim().split(/[\s,]+/);
			return names.map((name) => ({ name, type: type.toLowerCase() }));
		});
}

/** A department as the template's table holds it. */
const departmentRow = (department: FakeDepartment, pathOf: (id: number) => string) => ({
	departmentId: department.id,
	name: department.name,
	parentId: department.parentid,
	path: pathOf(department.id),
	leaders: (department.department_leader ?? []).join(','),
});

const memberRow = (member: FakeMember) => ({
	userid: member.userid,
	name: member.name,
	departmentIds: member.department.join(','),
	position: member.position ?? '',
	mobile: member.mobile ?? '',
	email: member.email ?? '',
	status: member.status ?? 0,
});

function pathLookup(departments: FakeDepartment[]): (id: number) => string {
	const byId = new Map(departments.map((d) => [d.id, d]));
	const pathOf = (id: number): string => {
		const department = byId.get(id);
		if (!department) return '';
		const parent = byId.has(department.parentid) ? pathOf(department.parentid) : '';
		return parent ? `${parent}/${department.name}` : department.name;
	};
	return pathOf;
}

const pick = <T extends Row>(rows: Row[], shape: T): T[] =>
	rows.map((row) => Object.fromEntries(Object.keys(shape).map((key) => [key, row[key]])) as T);
const byKey = (key: string) => (a: Row, b: Row) => String(a[key]).localeCompare(String(b[key]));

describe('WeCom directory sync template: real n8n, n8n Data Tables, fake WeCom directory', () => {
	let n8n: N8nInstance;
	let wecom: Awaited<ReturnType<typeof startFakeWeComApi>>;
	let google: FakeGoogleSheets;
	let workflowId: string;
	const tables: Record<string, string> = {};
	const generated = generateDirectory({ departments: 30, members: 500, seed: 12 });

	const rows = async (table: string): Promise<Row[]> => {
		const out: Row[] = [];
		let cursor: string | undefined;
		do {
			const page = await n8n.api<{ data: Row[]; nextCursor?: string | null }>(
				'GET',
				`/data-tables/${tables[table]}/rows?limit=250${cursor ? `&cursor=${cursor}` : ''}`,
			);
			out.push(...page.data);
			cursor = page.nextCursor ?? undefined;
		} while (cursor);
		return out;
	};

	/** One nightly run; the sync's items as n8n saved them. */
	const run = async () => {
		const executionId = await n8n.runManually(workflowId, TRIGGER);
		// 500 upserts and the sheet export: a few minutes on a busy 2-core machine.
		assert.equal(await n8n.waitForExecution(executionId, 300_000), 'success', `execution ${executionId}`);
		const items = (await n8n.nodeItems(executionId, SYNC)).map(({ json }) => json);
		const summary = items.find((item) => item.change === 'summary');
		assert.ok(summary, 'the sync output no summary');
		return { items, summary };
	};

	/** The sheet's member rows by userid, as records keyed by its header row. */
	const sheetMembers = (): Map<string, Record<string, string>> => {
		const [header, ...sheetRows] = google.rows(SPREADSHEET, 'Members');
		const records = sheetRows.map((row) => Object.fromEntries(header.map((column, i) => [column, row[i] ?? ''])));
		return new Map(records.map((record) => [record.userid, record]));
	};

	/** Every member row of the table is in the sheet once, with the same fields. */
	const assertSheetHoldsTheTable = async () => {
		const sheet = sheetMembers();
		for (const row of await rows(MEMBERS)) {
			const inSheet = sheet.get(String(row.userid));
			assert.ok(inSheet, `${String(row.userid)} is not in the sheet`);
			assert.deepEqual([inSheet.name, inSheet.position, inSheet.mobile], [row.name, row.position, row.mobile]);
		}
		assert.deepEqual(google.unknown, []);
		assert.deepEqual(google.refused, []);
	};

	/** Both tables hold what the fake holds now; `kept` are member rows expected as they were. */
	const assertTablesFollowTheFake = async (kept: Row[] = []) => {
		const departments = wecom.directory.departments();
		const pathOf = pathLookup(departments);
		const expectedDepartments = departments.map((d) => departmentRow(d, pathOf)).sort(byKey('departmentId'));
		const heldDepartments = await rows(DEPARTMENTS);
		assert.deepEqual(pick(heldDepartments, expectedDepartments[0]).sort(byKey('departmentId')), expectedDepartments);
		const keptIds = new Set(kept.map((row) => row.userid));
		const expectedMembers = wecom.directory
			.members()
			.filter((m) => !keptIds.has(m.userid))
			.map(memberRow)
			.concat(pick(kept, memberRow(wecom.directory.members()[0])))
			.sort(byKey('userid'));
		const heldMembers = await rows(MEMBERS);
		assert.equal(heldMembers.length, expectedMembers.length, 'one row per member');
		assert.deepEqual(pick(heldMembers, expectedMembers[0]).sort(byKey('userid')), expectedMembers);
	};

	before(async () => {
		wecom = await startFakeWeComApi({ corpId: 'ww_fake_corp', apps: [{ agentId: 1000002, secret: 'fake-secret' }] });
		wecom.directory.setDepartments(generated.departments);
		wecom.directory.setMembers(generated.members);
		google = await startFakeGoogleSheets();
		const exported = template.nodes.find((node) => node.name === EXPORT[1]);
		assert.ok(exported, `the template has no node "${EXPORT[1]}"`);
		const headers = (exported.parameters.columns as { schema: Array<{ id: string }> }).schema.map((column) => column.id);
		google.createSpreadsheet(SPREADSHEET, { Members: [headers] });
		n8n = await startN8n({ env: google.env });
		for (const table of [DEPARTMENTS, MEMBERS]) {
			tables[table] = (await n8n.api<{ id: string }>('POST', '/data-tables', { name: table, columns: readMeColumns(table) })).id;
		}
		// Step 1 of the Read Me: the self-built app's secret.
		const weComApi = await n8n.createCredential('weComApi', 'WeCom API', {
			corpId: 'ww_fake_corp',
			agentId: '1000002',
			secret: 'fake-secret',
			baseUrl: wecom.url,
		});
		// Step 3 of the Read Me: the admin's UserID.
		const admin = template.nodes.find((node) => node.name === 'Message Admin');
		assert.ok(admin, 'the template has no node "Message Admin"');
		assert.equal(admin.parameters.toUser, 'YourAdminUserId');
		admin.parameters.toUser = ADMIN;
		// The Read Me's Google Sheets step: both export nodes on, the sheet's URL in Document.
		for (const node of template.nodes.filter((n) => EXPORT.includes(n.name))) {
			assert.equal(node.disabled, true, `${node.name} is not off by default`);
			delete node.disabled;
		}
		exported.parameters.authentication = 'serviceAccount';
		exported.parameters.documentId = { __rl: true, mode: 'url', value: `https://docs.google.com/spreadsheets/d/${SPREADSHEET}/edit` };
		const serviceAccount = await n8n.createCredential('googleApi', 'Google service account', google.serviceAccount);
		({ id: workflowId } = await n8n.importWorkflow(template, {
			[SYNC]: { weComApi },
			'Message Admin': { weComApi },
			[EXPORT[1]]: { googleApi: serviceAccount },
		}));
	});

	after(async () => {
		await n8n?.stop();
		await wecom?.close();
		await google?.close();
	});

	it('the first run fills both tables with every department and member, and messages no one', async () => {
		const { summary } = await run();
		assert.equal(summary.created, 530);
		assert.equal(summary.failed, 0);
		assert.equal(summary.withheldFields, '');
		await assertTablesFollowTheFake();
		assert.deepEqual(wecom.sentMessages, []);
		await assertSheetHoldsTheTable();
		assert.equal(sheetMembers().size, 500);
	});

	it('the second run writes only what changed, keeps a refused member, and tells the admin once', async () => {
		const members = wecom.directory.members();
		const departments = wecom.directory.departments();
		const [refused, ...others] = members;
		const refusedRow = (await rows(MEMBERS)).find((row) => row.userid === refused.userid);
		assert.ok(refusedRow);
		// 20 changed, 10 gone, 15 new members; one department renamed and one new.
		const changed = others.slice(0, 20).map((m) => ({ ...m, position: `${m.position ?? ''}（调岗）` }));
		const kept = others.slice(30);
		const newDepartment: FakeDepartment = { id: 900, name: '新零售部', parentid: 1, order: 1 };
		const fresh = Array.from({ length: 15 }, (_, i): FakeMember => ({
			userid: `newhire${String(i).padStart(2, '0')}`,
			name: `新同事${i}`,
			department: [900],
			main_department: 900,
			position: '专员',
			mobile: `1390000${String(i).padStart(4, '0')}`,
			email: `newhire${i}@example.com`,
			status: 4,
		}));
		const renamed = departments[5];
		wecom.directory.setDepartments([
			...departments.map((d) => (d.id === renamed.id ? { ...d, name: `${d.name}（新）` } : d)),
			newDepartment,
		]);
		wecom.directory.setMembers([refused, ...changed, ...kept, ...fresh]);
		wecom.directory.refuse(refused.userid, 60011);

		const { items, summary } = await run();
		const renamedBelow = wecom.directory.departments().filter((d) => d.parentid === renamed.id).length;
		assert.equal(summary.failed, 1);
		assert.equal(summary.removed, 10);
		assert.equal(summary.created, 16);
		const failed = items.filter((item) => item.change === 'failed');
		assert.deepEqual(
			failed.map((item) => [item.userid, item.errcode]),
			[[refused.userid, 60011]],
		);
		// A renamed department changes its path and every path below it, and the members' departmentPaths.
		assert.ok(Number(summary.updated) >= 20 + 1 + renamedBelow, `updated ${String(summary.updated)}`);

		await assertTablesFollowTheFake([refusedRow]);
		assert.equal(wecom.sentMessages.length, 1, 'one message to the admin');
		const [message] = wecom.sentMessages;
		assert.equal(message.body.touser, ADMIN);
		assert.match(String(message.content), /失败 1（未删除，保持原样）/);
		await assertSheetHoldsTheTable();
		// Appended or updated on userid: the new members are added, the ones who left stay in the sheet.
		assert.equal(sheetMembers().size, 500 + 15);
		assert.match(String(message.content), new RegExp(`${refused.userid}: .*60011|${refused.userid}: .*visible range`));
	});
});
