/* eslint-disable @n8n/community-nodes/no-restricted-imports -- test code, never shipped */
/**
 * The Department and Member resources of the WeCom node, executed by n8n-core against the directory of the
 * loopback fake WeCom API: each operation, the tree with paths, the sub-department walk, user/list_id's
 * pages, and the errors a directory read meets since 2022 (visible range, new-IP contacts-sync secret, cursor).
 * Needs `npm run build` first (the harness loads dist/ as n8n does).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, beforeEach, describe, it } from 'node:test';

import type { IDataObject, INodeParameters } from 'n8n-workflow';

import { generateDirectory, startFakeWeComApi, type FakeWeComApi } from '../fakes/wecom';
import { everything } from '../support/errors';
import { cleanupHarness, requireBuilt, runNode } from './harness';

type Transport = typeof import('../../nodes/WeCom/transport');

const CORP_ID = 'ww_test_corp_dir';
const SECRET = randomBytes(20).toString('hex');

let api: FakeWeComApi;
let transport: Transport;

// 1 总部 ─┬─ 2 销售部 ── 4 华南 ── 5 广州组
//         └─ 3 研发部
const DEPARTMENTS = [
	{ id: 1, name: '总部', parentid: 0, order: 300 },
	{ id: 2, name: '销售部', parentid: 1, order: 200, department_leader: ['lisi'] },
	{ id: 3, name: '研发部', parentid: 1, order: 100 },
	{ id: 4, name: '华南', parentid: 2, order: 100 },
	{ id: 5, name: '广州组', parentid: 4, order: 100 },
];
const MEMBERS = [
	{ userid: 'zhangsan', name: '张三', department: [1], mobile: '13800000001' },
	{ userid: 'lisi', name: '李四', department: [2, 4], main_department: 2, mobile: '13800000002' },
	{ userid: 'wangwu', name: '王五', department: [3], mobile: '13800000003' },
	{ userid: 'zhaoliu', name: '赵六', department: [5], mobile: '13800000004' },
];

async function run(parameters: INodeParameters) {
	const result = await runNode({
		nodeType: 'weCom',
		parameters,
		credentials: { weComApi: { corpId: CORP_ID, agentId: '1000002', secret: SECRET, baseUrl: api.url } },
	});
	return { ...result, json: (result.outputs[0] ?? []).map((item) => item.json) };
}

const departments = (extra: INodeParameters = {}) => run({ resource: 'department', operation: 'getMany', ...extra });
const members = (extra: INodeParameters = {}) => run({ resource: 'member', operation: 'getMany', ...extra });
const memberIds = (extra: INodeParameters = {}) => run({ resource: 'member', operation: 'getIds', ...extra });

function calls(path: string): number {
	return api.directory.calls.filter((call) => call.path === path).length;
}

before(async () => {
	api = await startFakeWeComApi({ corpId: CORP_ID, apps: [{ agentId: 1000002, secret: SECRET }] });
	transport = await requireBuilt<Transport>('dist/nodes/WeCom/transport/index.js');
});

beforeEach(() => {
	api.reset();
	transport.resetWeComCaches();
	api.directory.setDepartments(DEPARTMENTS);
	api.directory.setMembers(MEMBERS);
});

after(async () => {
	await api.close();
	cleanupHarness();
});

describe('WeCom node: department', () => {
	it('Get Many, flat: one item per department as WeCom returns it', async () => {
		const { json, error } = await departments();
		assert.equal(error, undefined);
		assert.deepEqual(
			json.map((d) => d.id),
			[1, 2, 4, 5, 3],
		);
		assert.equal(json[1].name, '销售部');
		assert.equal('path' in json[1], false);
	});

	it('Get Many, tree: path, pathIds, depth and childIds; a subtree starts its own path', async () => {
		const { json } = await departments({ output: 'tree' });
		const byId = new Map(json.map((d) => [d.id, d]));
		assert.deepEqual(
			{ ...byId.get(5) },
			{
				id: 5,
				name: '广州组',
				department_leader: [],
				parentid: 4,
				order: 100,
				path: '总部/销售部/华南/广州组',
				pathIds: [1, 2, 4, 5],
				depth: 3,
				childIds: [],
			},
		);
		assert.deepEqual(byId.get(1)?.childIds, [2, 3]);
		assert.equal(byId.get(1)?.depth, 0);

		const subtree = await departments({ output: 'tree', departmentId: '2' });
		assert.deepEqual(
			subtree.json.map((d) => [d.id, d.path]),
			[
				[2, '销售部'],
				[4, '销售部/华南'],
				[5, '销售部/华南/广州组'],
			],
		);
	});

	it("Get Many sees the app's visible range only, and its paths start at the range's top", async () => {
		api.directory.configure({ visibleRange: { departments: [4] } });
		const { json } = await departments({ output: 'tree' });
		assert.deepEqual(
			json.map((d) => [d.id, d.path]),
			[
				[4, '华南'],
				[5, '华南/广州组'],
			],
		);
	});

	it('Get: one department; outside the visible range, 60011 says to widen 可见范围', async () => {
		const got = await run({ resource: 'department', operation: 'get', departmentId: '4' });
		assert.equal(got.json[0].name, '华南');
		api.directory.configure({ visibleRange: { departments: [4] } });
		const { error } = await run({ resource: 'department', operation: 'get', departmentId: '3' });
		assert.ok(error);
		assert.equal(error.message, 'WeCom error 60011: no permission for the member, department or tag');
		assert.match(String(error.description), /可见范围/);
	});

	it('Get: a Department ID that is not a number is refused before any call', async () => {
		const { error } = await run({ resource: 'department', operation: 'get', departmentId: '销售部' });
		assert.ok(error);
		assert.match(error.message, /not a number/);
		assert.equal(api.directory.calls.length, 0);
	});

	it('Get IDs works for the contacts-sync secret from a new IP, where Get Many answers 48009 and says what to use', async () => {
		api.directory.configure({ secretKind: 'contactsSync', contactsSyncNewIp: true });
		const ids = await run({ resource: 'department', operation: 'getIds', departmentId: '2' });
		assert.equal(ids.error, undefined);
		assert.deepEqual(ids.json, [
			{ id: 2, parentid: 1, order: 200 },
			{ id: 4, parentid: 2, order: 100 },
			{ id: 5, parentid: 4, order: 100 },
		]);
		const { error } = await departments();
		assert.ok(error);
		assert.match(error.message, /^WeCom error 48009/);
		assert.match(String(error.description), /Get IDs/);
		assert.match(String(error.description), /Read With = IDs/);
	});

	it('60020 names the IP WeCom saw and 企业可信IP, without the secret', async () => {
		api.injectError('/cgi-bin/department/list', 60020);
		const { error } = await departments();
		assert.ok(error);
		assert.match(String(error.description), /203\.0\.113\.7/);
		assert.match(String(error.description), /企业可信IP/);
		assert.ok(!everything(error).includes(SECRET));
	});

	it('45033 is asked again after a pause; 45009 fails at once with its explanation', async () => {
		api.injectError('/cgi-bin/department/list', 45033);
		const retried = await departments();
		assert.equal(retried.error, undefined);
		assert.equal(retried.json.length, 5);

		api.injectError('/cgi-bin/department/list', 45009);
		const { error } = await departments();
		assert.ok(error);
		assert.equal(error.message, 'WeCom error 45009: API call limit reached');
		assert.equal(api.requests.filter((r) => r.path === '/cgi-bin/department/list').length, 3);
	});
});

describe('WeCom node: member', () => {
	it('Get Many: the members of one department', async () => {
		const { json } = await members({ departmentId: '2' });
		assert.deepEqual(
			json.map((m) => m.userid),
			['lisi'],
		);
		assert.equal(json[0].mobile, '13800000002');
	});

	it('Get Many with sub-departments walks the tree itself and outputs each member once', async () => {
		const { json, error } = await members({ departmentId: '1', includeSubDepartments: true });
		assert.equal(error, undefined);
		assert.deepEqual(json.map((m) => m.userid).sort(), ['lisi', 'wangwu', 'zhangsan', 'zhaoliu']);
		// One user/list per department of the subtree, found with department/simplelist.
		assert.equal(calls('/cgi-bin/department/simplelist'), 1);
		assert.equal(calls('/cgi-bin/user/list'), 5);
		for (const request of api.requests.filter((r) => r.path === '/cgi-bin/user/list')) {
			assert.equal(request.query.fetch_child, undefined);
		}
	});

	it('Get Many, simple details: user/simplelist', async () => {
		const { json } = await members({ departmentId: '4', details: 'simple' });
		assert.deepEqual(json, [{ userid: 'lisi', name: '李四', department: [2, 4] }]);
		assert.equal(calls('/cgi-bin/user/simplelist'), 1);
	});

	it('Get: one member; an app created after 2022-06-20 gets no mobile', async () => {
		const full = await run({ resource: 'member', operation: 'get', userId: 'lisi' });
		assert.equal(full.json[0].mobile, '13800000002');
		assert.equal('errcode' in full.json[0], false);
		api.directory.configure({ appCreatedAfter20220620: true });
		const { json } = await run({ resource: 'member', operation: 'get', userId: 'lisi' });
		assert.equal(json[0].name, '李四');
		assert.equal('mobile' in json[0], false);
	});

	it('Get: 60111 for an unknown userid, the refusal WeCom gives for a member it withholds', async () => {
		const unknown = await run({ resource: 'member', operation: 'get', userId: 'nobody' });
		assert.equal(unknown.error?.message, 'WeCom error 60111: user ID not found');
		api.directory.refuse('wangwu', 60030);
		const refused = await run({ resource: 'member', operation: 'get', userId: 'wangwu' });
		assert.match(String(refused.error?.message), /^WeCom error 60030/);
		assert.match(String(refused.error?.description), /可见范围/);
	});

	it('Get IDs with an app secret: 48002 says it needs the 通讯录同步 secret', async () => {
		const { error } = await memberIds({ returnAll: true });
		assert.ok(error);
		assert.match(error.message, /^WeCom error 48002/);
		assert.match(String(error.description), /通讯录同步/);
	});

	it('Get IDs, Return All: follows next_cursor across several pages of 10,000', async () => {
		const big = generateDirectory({ departments: 30, members: 22_000, seed: 3 });
		api.directory.setDepartments(big.departments);
		api.directory.setMembers(big.members);
		api.directory.configure({ secretKind: 'contactsSync', contactsSyncNewIp: true });
		const rows = big.members.reduce((sum, m) => sum + m.department.length, 0);
		const { json, error } = await memberIds({ returnAll: true });
		assert.equal(error, undefined);
		assert.equal(json.length, rows);
		assert.equal(new Set(json.map((row) => row.userid)).size, 22_000);
		assert.equal(calls('/cgi-bin/user/list_id'), Math.ceil(rows / 10_000));
		assert.ok(json.every((row) => row.nextCursor === ''));
		const bodies = api.requests.filter((r) => r.path === '/cgi-bin/user/list_id').map((r) => r.body as IDataObject);
		assert.equal(bodies[0].cursor, undefined);
		assert.ok(bodies.slice(1).every((body) => typeof body.cursor === 'string' && body.cursor !== ''));
	});

	it('Get IDs with a Limit outputs the next cursor, and a run given it continues where the first stopped', async () => {
		api.directory.configure({ secretKind: 'contactsSync' });
		const first = await memberIds({ limit: 3 });
		assert.deepEqual(
			first.json.map((row) => [row.userid, row.department]),
			[
				['zhangsan', 1],
				['lisi', 2],
				['lisi', 4],
			],
		);
		const cursor = first.json[0].nextCursor as string;
		assert.notEqual(cursor, '');
		const rest = await memberIds({ limit: 50, cursor });
		assert.deepEqual(
			rest.json.map((row) => [row.userid, row.nextCursor]),
			[
				['wangwu', ''],
				['zhaoliu', ''],
			],
		);
	});

	it('Get IDs with a made-up or expired cursor: 50100 says to start again without one', async () => {
		api.directory.configure({ secretKind: 'contactsSync' });
		const { error } = await memberIds({ limit: 10, cursor: 'not-a-cursor' });
		assert.ok(error);
		assert.equal(error.message, 'WeCom error 50100: invalid or expired cursor');
		assert.match(String(error.description), /clear Cursor/);
	});
});
