/* eslint-disable @n8n/community-nodes/no-restricted-imports -- test code, never shipped */
/**
 * Directory → Sync of the WeCom node, executed by n8n-core against the loopback fake WeCom directory.
 * Needs `npm run build` first (the harness loads dist/ as n8n does).
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';

import type { IDataObject, INodeExecutionData, INodeParameters } from 'n8n-workflow';

import { generateDirectory, startFakeWeComApi, type FakeWeComApi } from '../fakes/wecom';
import { cleanupHarness, requireBuilt, runNode } from './harness';

type Transport = typeof import('../../nodes/WeCom/transport');

const CORP_ID = 'ww_directory_corp';
const AGENT_ID = 1000005;
const SECRET = 'directory-sync-app-secret-0123456789';

let api: FakeWeComApi;
let transport: Transport;

async function sync(rows: IDataObject[], options: INodeParameters = {}) {
	const { outputs, error } = await runNode({
		nodeType: 'weCom',
		parameters: { resource: 'directory', operation: 'sync', options },
		credentials: { weComApi: { corpId: CORP_ID, agentId: String(AGENT_ID), secret: SECRET, baseUrl: api.url } },
		items: rows.length > 0 ? rows : [{}],
	});
	assert.equal(error, undefined, error?.message);
	const items = outputs[0].map((item: INodeExecutionData) => item.json);
	const summary = items.pop() as IDataObject;
	assert.equal(summary.change, 'summary');
	return { items, summary };
}

/** What a destination holds after writing the items of a sync: created and updated rows in, removed rows out. */
function apply(rows: IDataObject[], items: IDataObject[]): IDataObject[] {
	const key = (row: IDataObject) => String(row.userid ?? `d${String(row.departmentId)}`);
	const table = new Map(rows.map((row) => [key(row), row]));
	for (const { change, changedFields, ...row } of items) {
		void changedFields;
		if (change === 'removed') table.delete(key(row));
		else if (change === 'created' || change === 'updated') table.set(key(row), row);
	}
	return [...table.values()];
}

const changesOf = (items: IDataObject[]) => items.map((item) => `${String(item.change)} ${String(item.userid ?? item.departmentId)}`).sort();

before(async () => {
	api = await startFakeWeComApi({ corpId: CORP_ID, apps: [{ agentId: AGENT_ID, secret: SECRET }] });
	transport = await requireBuilt<Transport>('dist/nodes/WeCom/transport/index.js');
});

beforeEach(() => {
	api.reset();
	transport.resetWeComCaches();
});

after(async () => {
	await api.close();
	cleanupHarness();
});

describe('WeCom node: Directory → Sync', () => {
	it('10,000 members in 300 departments, then exactly 50 changes, 20 removals and 30 new members', async () => {
		const corp = generateDirectory({ departments: 300, members: 10_000, seed: 12 });
		api.directory.setDepartments(corp.departments);
		api.directory.setMembers(corp.members);

		const first = await sync([]);
		assert.equal(first.summary.created, 10_300);
		assert.equal(first.summary.failed, 0);
		assert.equal(first.summary.members, 10_000);
		assert.equal(first.summary.withheldFields, '');
		let table = apply([], first.items);
		assert.equal(table.length, 10_300);

		const members = api.directory.members();
		const changed = members.slice(0, 50).map((member) => ({ ...member, position: `${member.position ?? ''}（新）` }));
		const removed = members.slice(50, 70);
		const kept = members.slice(70);
		const added = Array.from({ length: 30 }, (_, n) => ({ userid: `newcomer${n}`, name: `新人${n}`, department: [1], mobile: `1390000${String(n).padStart(4, '0')}` }));
		api.directory.setMembers([...changed, ...kept, ...added]);

		const second = await sync(table);
		assert.deepEqual(
			changesOf(second.items),
			[
				...changed.map((m) => `updated ${m.userid}`),
				...removed.map((m) => `removed ${m.userid}`),
				...added.map((m) => `created ${m.userid}`),
			].sort(),
		);
		assert.equal(second.items.find((item) => item.change === 'updated')?.changedFields, 'position');
		assert.equal(second.summary.unchanged, 10_300 - 70);
		table = apply(table, second.items);

		const third = await sync(table);
		assert.deepEqual(changesOf(third.items), [], 'nothing changed since');
	});

	it('a member WeCom refuses (60011) is failed, never removed, and the rest carry on', async () => {
		const corp = generateDirectory({ departments: 10, members: 100, seed: 3 });
		api.directory.setDepartments(corp.departments);
		api.directory.setMembers(corp.members);
		const table = apply([], (await sync([])).items);

		const [refused, renamed] = api.directory.members();
		api.directory.refuse(refused.userid, 60011);
		api.directory.setMembers(api.directory.members().map((m) => (m.userid === renamed.userid ? { ...m, name: '改名' } : m)));
		const { items, summary } = await sync(table);
		const failed = items.find((item) => item.userid === refused.userid);
		assert.equal(failed?.change, 'failed');
		assert.equal(failed?.errcode, 60011);
		assert.match(String(failed?.error), /可见范围/);
		assert.equal(items.find((item) => item.userid === renamed.userid)?.change, 'updated');
		assert.equal(summary.removed, 0);
		assert.equal(summary.failed, 1);
	});

	it('an app created after 2022-06-20: withheldFields names mobile and the rest, and Skip Members Without Mobile warns', async () => {
		const corp = generateDirectory({ departments: 5, members: 40, seed: 4 });
		api.directory.setDepartments(corp.departments);
		api.directory.setMembers(corp.members);
		api.directory.configure({ appCreatedAfter20220620: true });
		const { items, summary } = await sync([], { skipMembersWithoutMobile: true });
		assert.deepEqual(String(summary.withheldFields).split(',').sort(), ['bizMail', 'email', 'gender', 'mobile']);
		assert.equal(summary.skipped, 0);
		assert.equal(items.filter((item) => item.entity === 'member').length, 40);
		assert.match(String(summary.warnings), /Skip Members Without Mobile was not applied/);
		assert.equal(items.find((item) => item.entity === 'member')?.mobile, '');
	});

	it('the contacts-sync secret from a new IP (48009) reads IDs', async () => {
		const corp = generateDirectory({ departments: 5, members: 40, seed: 5 });
		api.directory.setDepartments(corp.departments);
		api.directory.setMembers(corp.members);
		api.directory.configure({ secretKind: 'contactsSync', contactsSyncNewIp: true });
		const { summary } = await sync([]);
		assert.equal(summary.readWith, 'ids');
		assert.equal(summary.created, 45);
		assert.match(String(summary.warnings), /48009/);
	});
});
