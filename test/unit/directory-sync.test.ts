/** The directory sync engine against a directory in memory: the diff, its rules, the reads and the back-off. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { type BackOff, type DirectoryClient, type SyncItem, type SyncOptions, syncDirectory } from '../../nodes/WeCom/directory/sync';

class Refusal extends Error {
	constructor(readonly errcode: number) {
		super(`errcode ${errcode}`);
	}
}

interface Department { id: number; name: string; parentid: number; order?: number }
interface Member { userid: string; name: string; department: number[]; mobile?: string; position?: string }

/** A directory as WeCom answers it, with the failures a test sets. */
class MemoryDirectory implements DirectoryClient {
	departments: Department[] = [
		{ id: 1, name: '总部', parentid: 0 },
		{ id: 2, name: '销售部', parentid: 1 },
		{ id: 5, name: '华南', parentid: 2 },
	];
	members: Member[] = [
		{ userid: 'zhangsan', name: '张三', department: [1], mobile: '13800000001', position: '总经理' },
		{ userid: 'lisi', name: '李四', department: [2, 5], mobile: '13800000002' },
		{ userid: 'wangwu', name: '王五', department: [5], mobile: '' },
	];
	/** Fields left out of every member answer (an app created after 2022-06-20). */
	withheld: string[] = [];
	/** Fields left out of one member's answers only (WeCom withholds per app: never seen, but the sync copes). */
	withheldFor = new Map<string, string[]>();
	failList = new Map<number, number>();
	refusedGet = new Map<string, number>();
	departmentListErrcode = 0;
	/** Errcodes the next calls answer, one each. */
	busy: number[] = [];
	calls: string[] = [];
	cursorExpiresOnce = false;

	async get(path: string, qs: Record<string, string | number>): Promise<Record<string, unknown>> {
		this.calls.push(path);
		const next = this.busy.shift();
		if (next) throw new Refusal(next);
		if (path === '/cgi-bin/department/list') {
			if (this.departmentListErrcode) throw new Refusal(this.departmentListErrcode);
			return { errcode: 0, department: this.departments };
		}
		if (path === '/cgi-bin/department/simplelist') {
			return { errcode: 0, department_id: this.departments.map(({ id, parentid, order }) => ({ id, parentid, order })) };
		}
		if (path === '/cgi-bin/user/list') {
			const id = Number(qs.department_id);
			const failure = this.failList.get(id);
			if (failure) throw new Refusal(failure);
			return { errcode: 0, userlist: this.members.filter((m) => m.department.includes(id)).map((m) => this.answer(m)) };
		}
		if (path === '/cgi-bin/user/get') {
			const refused = this.refusedGet.get(String(qs.userid));
			if (refused) throw new Refusal(refused);
			const member = this.members.find((m) => m.userid === qs.userid);
			if (!member) throw new Refusal(60111);
			return { errcode: 0, ...this.answer(member) };
		}
		throw new Error(`unexpected ${path}`);
	}

	async post(path: string, body: Record<string, unknown>): Promise<Record<string, unknown>> {
		this.calls.push(path);
		assert.equal(path, '/cgi-bin/user/list_id');
		if (this.cursorExpiresOnce && body.cursor) {
			this.cursorExpiresOnce = false;
			throw new Refusal(50100);
		}
		const rows = this.members.flatMap((m) => m.department.map((department) => ({ userid: m.userid, department })));
		const start = Number(body.cursor ?? 0);
		const end = start + 2;
		return { errcode: 0, dept_user: rows.slice(start, end), next_cursor: end < rows.length ? String(end) : '' };
	}

	private answer(member: Member): Record<string, unknown> {
		const full: Record<string, unknown> = { position: '', email: '', biz_mail: '', gender: '1', status: 1, alias: '', telephone: '', open_userid: '', main_department: member.department[0], ...member };
		for (const field of [...this.withheld, ...(this.withheldFor.get(member.userid) ?? [])]) delete full[field];
		return full;
	}

	errcodeOf(error: unknown): number | undefined {
		return error instanceof Refusal ? error.errcode : undefined;
	}
	isTransient(error: unknown): boolean {
		return error instanceof Refusal && (error.errcode === -1 || error.errcode === 45033);
	}
	describe(error: unknown): string {
		return error instanceof Refusal ? `WeCom error ${error.errcode}.` : String(error);
	}
}

const pauses: number[] = [];
const backOff: BackOff = { retries: 4, baseMs: 500, maxMs: 8000, random: () => 0.5 };
const options: SyncOptions = {
	readWith: 'auto',
	concurrency: 5,
	includeUnchanged: false,
	skipMembersWithoutMobile: false,
	sleep: async (ms) => void pauses.push(ms),
	backOff,
};

const byKey = (items: SyncItem[]) => new Map(items.map((item) => [String(item.userid ?? `d${item.departmentId}`), item]));

/** The rows a destination holds after writing a first sync's items. */
async function firstRun(directory: MemoryDirectory, extra: Partial<SyncOptions> = {}): Promise<SyncItem[]> {
	const { items } = await syncDirectory(directory, [{}], { ...options, ...extra });
	return items.map(({ change, ...row }) => (void change, row));
}

describe('directory sync', () => {
	it('creates every department and member on a first run, with paths and no snapshot of its own', async () => {
		const directory = new MemoryDirectory();
		const { items, summary } = await syncDirectory(directory, [{}], options);
		assert.equal(summary.created, 6);
		assert.equal(summary.total, 6);
		const items_ = byKey(items);
		assert.equal(items_.get('d5')?.path, '总部/销售部/华南');
		assert.equal(items_.get('lisi')?.departmentIds, '2,5');
		assert.equal(items_.get('lisi')?.departmentPaths, '总部/销售部;总部/销售部/华南');
		assert.match(String(items_.get('lisi')?.fingerprint), /^[0-9a-f]{32}$/);
		assert.equal(summary.warnings, '', 'the empty item of an empty table is no row');
	});

	it('a second run outputs exactly the changes, by fingerprint and by fields', async () => {
		const directory = new MemoryDirectory();
		const rows = await firstRun(directory);
		directory.members[0].position = '董事长';
		directory.members.splice(2, 1);
		directory.members.push({ userid: 'zhaoliu', name: '赵六', department: [5], mobile: '13800000006' });
		const withoutFingerprint = rows.map(({ fingerprint, ...row }) => (void fingerprint, row));
		for (const existing of [rows, withoutFingerprint]) {
			const { items, summary } = await syncDirectory(directory, existing, options);
			assert.deepEqual(
				items.map((item) => `${item.change} ${item.userid ?? item.departmentId}`).sort(),
				['created zhaoliu', 'removed wangwu', 'updated zhangsan'],
			);
			assert.equal(byKey(items).get('zhangsan')?.changedFields, 'position');
			assert.equal(summary.unchanged, 4);
		}
	});

	it('a member WeCom refuses is failed, never removed, and the rest carry on', async () => {
		const directory = new MemoryDirectory();
		const rows = await firstRun(directory);
		// Outside the visible range now: no list names the member, user/get answers 60011.
		directory.members = directory.members.filter((m) => m.userid !== 'wangwu');
		directory.refusedGet.set('wangwu', 60011);
		directory.members[0].name = '张三丰';
		const { items, summary } = await syncDirectory(directory, rows, options);
		const wangwu = byKey(items).get('wangwu');
		assert.equal(wangwu?.change, 'failed');
		assert.equal(wangwu?.errcode, 60011);
		assert.equal(summary.removed, 0);
		assert.equal(summary.updated, 1);
	});

	it('a department whose member list failed removes none of the members last seen there', async () => {
		const directory = new MemoryDirectory();
		const rows = await firstRun(directory);
		directory.failList.set(5, 60011);
		const { items, summary } = await syncDirectory(directory, rows, options);
		const items_ = byKey(items);
		assert.equal(items_.get('d5')?.change, 'failed');
		assert.equal(items_.get('wangwu')?.change, 'failed', 'wangwu was only in department 5');
		assert.match(String(items_.get('wangwu')?.error), /department 5/);
		assert.equal(items_.has('lisi'), false, 'lisi was read through department 2');
		assert.equal(summary.removed, 0);
		assert.equal(directory.calls.includes('/cgi-bin/user/get'), false);
	});

	it('Skip Members Without Mobile skips those without one, and warns instead of skipping everyone', async () => {
		const directory = new MemoryDirectory();
		const skipping = await syncDirectory(directory, [], { ...options, skipMembersWithoutMobile: true });
		assert.equal(skipping.summary.skipped, 1);
		assert.equal(byKey(skipping.items).has('wangwu'), false);

		directory.withheld = ['mobile', 'email', 'biz_mail', 'gender'];
		const { items, summary } = await syncDirectory(directory, [], { ...options, skipMembersWithoutMobile: true });
		assert.equal(summary.skipped, 0);
		assert.equal(items.filter((item) => item.entity === 'member').length, 3);
		assert.match(summary.warnings, /not applied: WeCom gives this app no mobile/);
		assert.equal(summary.withheldFields, 'mobile,email,bizMail,gender');
	});

	it('withheld fields are left out of the comparison', async () => {
		const directory = new MemoryDirectory();
		const rows = await firstRun(directory);
		directory.withheld = ['mobile', 'email', 'biz_mail', 'gender'];
		const withoutFingerprint = rows.map(({ fingerprint, ...row }) => (void fingerprint, row));
		const { summary } = await syncDirectory(directory, withoutFingerprint, options);
		assert.equal(summary.updated, 0);
		assert.equal(summary.unchanged, 6);
	});

	it('compares every member again when a later answer carries a field no earlier one did', async () => {
		const directory = new MemoryDirectory();
		const rows = await firstRun(directory);
		// 张三 (department 1, the first list to arrive) comes without mobile, 李四 after him with one: the sync
		// compared 张三 without mobile, which WeCom does give this app, so it reads the members once more.
		directory.withheldFor.set('zhangsan', ['mobile']);
		directory.calls = [];
		const { items, summary } = await syncDirectory(directory, rows, { ...options, concurrency: 1 });
		assert.equal(byKey(items).get('zhangsan')?.change, 'updated');
		assert.equal(byKey(items).get('zhangsan')?.changedFields, 'mobile');
		assert.equal(summary.withheldFields, '');
		assert.equal(summary.unchanged, 5);
		assert.equal(directory.calls.filter((path) => path === '/cgi-bin/user/list').length, 6, 'two reads of three lists');
	});

	it('falls back to IDs on 48009, follows the cursor, and starts over once when it expires (50100)', async () => {
		const directory = new MemoryDirectory();
		directory.departmentListErrcode = 48009;
		directory.cursorExpiresOnce = true;
		const { items, summary } = await syncDirectory(directory, [], options);
		assert.equal(summary.readWith, 'ids');
		assert.equal(summary.members, 3);
		assert.equal(byKey(items).get('lisi')?.departmentIds, '2,5');
		assert.equal(byKey(items).get('d5')?.path, '1/2/5');
		assert.match(summary.warnings, /48009/);
		assert.equal(summary.withheldFields.split(',').includes('name'), true);
	});

	it('rows that are neither member nor department are counted in a warning', async () => {
		const { summary } = await syncDirectory(new MemoryDirectory(), [{ foo: 1 }, { bar: 2 }], options);
		assert.match(summary.warnings, /^2 input item\(s\) had neither userid nor departmentId/);
	});

	it('backs off with jitter on -1, 45033 and 45009, then gives up on the call', async () => {
		const directory = new MemoryDirectory();
		directory.busy = [-1, 45033, 45009];
		pauses.length = 0;
		const { summary } = await syncDirectory(directory, [], options);
		assert.deepEqual(pauses, [375, 750, 1500]);
		assert.equal(summary.created, 6);

		directory.busy = [45009, 45009, 45009, 45009, 45009];
		await assert.rejects(syncDirectory(directory, [], options), /45009/);
	});
});
