// The directory of the WeCom fake follows what WeCom documents for each secret since 2022: visible range,
// withheld fields, IDs only for the contacts-sync secret from a new IP, user/list_id's cursor, and its limits.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';

import { generateDirectory, startFakeWeComApi, type FakeWeComApi } from '../fakes/wecom';

type Answer = Record<string, unknown> & { errcode: number; errmsg: string };

let fake: FakeWeComApi;
let token: string;

async function call(path: string, body?: unknown): Promise<Answer> {
	const separator = path.includes('?') ? '&' : '?';
	const response = await fetch(`${fake.url}${path}${separator}access_token=${token}`, {
		method: body === undefined ? 'GET' : 'POST',
		headers: { 'Content-Type': 'application/json' },
		body: body === undefined ? undefined : JSON.stringify(body),
	});
	assert.equal(response.status, 200);
	return (await response.json()) as Answer;
}

// 1 总部 ─┬─ 2 销售部 ── 4 华南
//         └─ 3 研发部
const departments = [
	{ id: 1, name: '总部', parentid: 0, order: 300 },
	{ id: 2, name: '销售部', name_en: 'Sales', parentid: 1, order: 200, department_leader: ['lisi'] },
	{ id: 3, name: '研发部', parentid: 1, order: 100 },
	{ id: 4, name: '华南', parentid: 2, order: 100 },
];
const members = [
	{ userid: 'zhangsan', name: '张三', department: [1], mobile: '13800000001', email: 'zs@example.com', gender: '1' },
	{ userid: 'lisi', name: '李四', department: [2, 4], main_department: 2, mobile: '13800000002', position: '经理' },
	{ userid: 'wangwu', name: '王五', department: [3], mobile: '13800000003' },
	{ userid: 'zhaoliu', name: '赵六', department: [4], mobile: '13800000004' },
];

before(async () => {
	fake = await startFakeWeComApi();
});
after(async () => {
	await fake.close();
});
beforeEach(async () => {
	fake.reset();
	fake.directory.setDepartments(departments);
	fake.directory.setMembers(members);
	const answer = (await (
		await fetch(`${fake.url}/cgi-bin/gettoken?corpid=ww_fake_corp&corpsecret=fake-secret`)
	).json()) as Answer;
	token = answer.access_token as string;
});

describe('WeCom fake: directory reads of a self-built app', () => {
	it('lists the whole tree, parents before children, with WeCom field names', async () => {
		const answer = await call('/cgi-bin/department/list');
		assert.equal(answer.errcode, 0);
		const list = answer.department as Array<Record<string, unknown>>;
		assert.deepEqual(
			list.map((d) => d.id),
			[1, 2, 4, 3],
		);
		assert.deepEqual(list[1], {
			id: 2,
			name: '销售部',
			name_en: 'Sales',
			department_leader: ['lisi'],
			parentid: 1,
			order: 200,
		});
		const simple = await call('/cgi-bin/department/simplelist?id=2');
		assert.deepEqual(simple.department_id, [
			{ id: 2, parentid: 1, order: 200 },
			{ id: 4, parentid: 2, order: 100 },
		]);
	});

	it('keeps departments and members outside the visible range out of lists, and answers 60011 for them', async () => {
		fake.directory.configure({ visibleRange: { departments: [2], users: ['wangwu'] } });
		const list = await call('/cgi-bin/department/list');
		assert.deepEqual(
			(list.department as Array<{ id: number }>).map((d) => d.id),
			[2, 4],
		);
		assert.equal((await call('/cgi-bin/department/get?id=3')).errcode, 60011);
		assert.equal((await call('/cgi-bin/department/list?id=1')).errcode, 60011);
		assert.equal((await call('/cgi-bin/user/list?department_id=3')).errcode, 60011);
		assert.equal((await call('/cgi-bin/user/get?userid=zhangsan')).errcode, 60011);
		// A member named in the range may be read alone although their department may not.
		assert.equal((await call('/cgi-bin/user/get?userid=wangwu')).errcode, 0);
		const inRange = await call('/cgi-bin/user/simplelist?department_id=4');
		assert.deepEqual(inRange.userlist, [
			{ userid: 'lisi', name: '李四', department: [2, 4] },
			{ userid: 'zhaoliu', name: '赵六', department: [4] },
		]);
		// Unknown ids are not "outside the range".
		assert.equal((await call('/cgi-bin/department/get?id=99')).errcode, 60003);
		assert.equal((await call('/cgi-bin/user/get?userid=nobody')).errcode, 60111);
	});

	it('lists the members of one department only (no recursion)', async () => {
		const answer = await call('/cgi-bin/user/list?department_id=2');
		assert.deepEqual(
			(answer.userlist as Array<{ userid: string }>).map((m) => m.userid),
			['lisi'],
		);
		const lisi = (answer.userlist as Array<Record<string, unknown>>)[0];
		assert.equal(lisi.main_department, 2);
		assert.deepEqual(lisi.is_leader_in_dept, [1, 0]);
		assert.equal(lisi.mobile, '13800000002');
	});

	it('withholds mobile, email, gender, avatar, biz_mail and address from an app created after 2022-06-20', async () => {
		fake.directory.configure({ appCreatedAfter20220620: true });
		const got = await call('/cgi-bin/user/get?userid=zhangsan');
		assert.equal(got.errcode, 0);
		assert.equal(got.name, '张三');
		for (const field of ['mobile', 'email', 'gender', 'avatar', 'biz_mail', 'address', 'qr_code']) {
			assert.equal(field in got, false, `${field} is absent`);
		}
		const listed = (await call('/cgi-bin/user/list?department_id=1')).userlist as Array<Record<string, unknown>>;
		assert.equal('mobile' in listed[0], false);
	});

	it('answers 48002 to user/list_id with an app secret', async () => {
		assert.equal((await call('/cgi-bin/user/list_id', { limit: 10 })).errcode, 48002);
	});

	it('refuses one member: absent from the lists, its errcode on user/get', async () => {
		fake.directory.refuse('zhaoliu', 60011);
		const listed = (await call('/cgi-bin/user/list?department_id=4')).userlist as Array<{ userid: string }>;
		assert.deepEqual(
			listed.map((m) => m.userid),
			['lisi'],
		);
		assert.equal((await call('/cgi-bin/user/get?userid=zhaoliu')).errcode, 60011);
		assert.deepEqual(fake.directory.calls.at(-1), { path: '/cgi-bin/user/get', errcode: 60011 });
	});
});

describe('WeCom fake: the contacts-sync secret', () => {
	it('reads only IDs from a new IP: 48009 on detail reads, simplelist and list_id still answer', async () => {
		fake.directory.configure({ secretKind: 'contactsSync', contactsSyncNewIp: true });
		for (const path of [
			'/cgi-bin/department/list',
			'/cgi-bin/department/get?id=1',
			'/cgi-bin/user/get?userid=lisi',
			'/cgi-bin/user/list?department_id=1',
			'/cgi-bin/user/simplelist?department_id=1',
		]) {
			assert.equal((await call(path)).errcode, 48009, path);
		}
		assert.equal((await call('/cgi-bin/department/simplelist')).errcode, 0);
		const ids = await call('/cgi-bin/user/list_id', { limit: 100 });
		assert.equal(ids.errcode, 0);
		assert.equal(ids.next_cursor, '');
		assert.deepEqual(ids.dept_user, [
			{ userid: 'zhangsan', department: 1 },
			{ userid: 'lisi', department: 2 },
			{ userid: 'lisi', department: 4 },
			{ userid: 'wangwu', department: 3 },
			{ userid: 'zhaoliu', department: 4 },
		]);
	});

	it('pages user/list_id with an opaque cursor; a made-up or stale cursor answers 50100', async () => {
		fake.directory.configure({ secretKind: 'contactsSync' });
		const first = await call('/cgi-bin/user/list_id', { limit: 2 });
		assert.equal((first.dept_user as unknown[]).length, 2);
		assert.notEqual(first.next_cursor, '');
		const second = await call('/cgi-bin/user/list_id', { cursor: first.next_cursor, limit: 2 });
		const third = await call('/cgi-bin/user/list_id', { cursor: second.next_cursor, limit: 2 });
		assert.equal((third.dept_user as unknown[]).length, 1);
		assert.equal(third.next_cursor, '');
		assert.equal((await call('/cgi-bin/user/list_id', { cursor: 'made-up', limit: 2 })).errcode, 50100);
		fake.directory.setMembers(members.slice(1));
		assert.equal((await call('/cgi-bin/user/list_id', { cursor: second.next_cursor, limit: 2 })).errcode, 50100);
		assert.equal((await call('/cgi-bin/user/list_id', { limit: 0 })).errcode, 40058);
		assert.equal((await call('/cgi-bin/user/list_id', { limit: 10001 })).errcode, 40058);
	});

	it('sees everything, whatever visible range an app would have', async () => {
		fake.directory.configure({ secretKind: 'contactsSync', visibleRange: { departments: [3] } });
		assert.equal((await call('/cgi-bin/user/get?userid=zhangsan')).errcode, 0);
	});
});

describe('WeCom fake: directory latency and concurrency', () => {
	it('answers 45033 to the calls beyond the concurrency limit', async () => {
		fake.directory.configure({ latencyMs: 30, maxConcurrentCalls: 2 });
		const answers = await Promise.all([1, 2, 3, 4].map(() => call('/cgi-bin/department/simplelist')));
		assert.deepEqual(
			answers.map((a) => a.errcode).sort(),
			[0, 0, 45033, 45033],
		);
		assert.equal(fake.directory.calls.filter((c) => c.errcode === 45033).length, 2);
	});
});

describe('generateDirectory', () => {
	it('is deterministic, with unique sibling names and every member in an existing department', () => {
		const a = generateDirectory({ departments: 40, members: 500, seed: 7 });
		const b = generateDirectory({ departments: 40, members: 500, seed: 7 });
		assert.deepEqual(a, b);
		assert.notDeepEqual(a, generateDirectory({ departments: 40, members: 500, seed: 8 }));
		const ids = new Set(a.departments.map((d) => d.id));
		const siblingNames = new Set(a.departments.map((d) => `${d.parentid}/${d.name}`));
		assert.equal(siblingNames.size, a.departments.length);
		for (const member of a.members) for (const id of member.department) assert.ok(ids.has(id));
		assert.equal(new Set(a.members.map((m) => m.userid)).size, 500);
	});

	it('serves 100,000 members in 300 departments page by page through user/list_id', async () => {
		const big = generateDirectory({ departments: 300, members: 100_000 });
		fake.directory.setDepartments(big.departments);
		fake.directory.setMembers(big.members);
		fake.directory.configure({ secretKind: 'contactsSync' });
		let cursor = '';
		const userids = new Set<string>();
		do {
			const page = await call('/cgi-bin/user/list_id', { cursor, limit: 10000 });
			assert.equal(page.errcode, 0);
			for (const row of page.dept_user as Array<{ userid: string }>) userids.add(row.userid);
			cursor = page.next_cursor as string;
		} while (cursor !== '');
		assert.equal(userids.size, 100_000);
		fake.directory.configure({});
		const listed = await call(`/cgi-bin/user/list?department_id=${big.departments[150].id}`);
		assert.equal(listed.errcode, 0);
	});
});
