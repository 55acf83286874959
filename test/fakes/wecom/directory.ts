// The directory (通讯录), read side: department/list [doc 90208], department/get [doc 95351],
// department/simplelist [doc 95350], user/list [doc 90201], user/simplelist [doc 90200], user/get
// [doc 90196], user/list_id [doc 96067]. What each secret may read since 2022 is the point of this fake:
// - a self-built app reads its visible range (可见范围) only: departments and members outside it are absent
//   from lists, and naming one answers 60011;
// - a self-built app created after 2022-06-20 no longer gets avatar, gender, mobile, email, biz_mail,
//   address or qr_code from user/get and user/list (the fields are absent, not empty);
// - the contacts-sync secret (通讯录同步) reads everything, but from an IP first used after 2022-08-15 its
//   detail reads (department/list, department/get, user/get, user/list, user/simplelist) answer 48009, and
//   it must use department/simplelist and user/list_id, which only it may call (48002 for an app).
// docs/test-fakes.md says which of these rules are documented and which are this fake's guess.
import { randomBytes } from 'node:crypto';

import { sleep } from '../loopback';
import { missingField, type Answer, type RequestContext, type Routes } from './platform';

export interface FakeDepartment {
	id: number;
	name: string;
	name_en?: string;
	/** The root department has id 1 and parentid 0 [doc 90208]. */
	parentid: number;
	order?: number;
	department_leader?: string[];
}

export interface FakeMember {
	userid: string;
	name: string;
	department: number[];
	main_department?: number;
	position?: string;
	mobile?: string;
	email?: string;
	biz_mail?: string;
	/** "0" undefined, "1" male, "2" female: a string, as WeCom sends it [doc 90196]. */
	gender?: string;
	avatar?: string;
	address?: string;
	/** 1 activated, 2 disabled, 4 not activated, 5 left the corp [doc 90196]. */
	status?: number;
	alias?: string;
	telephone?: string;
	open_userid?: string;
}

export interface FakeDirectoryOptions {
	/** Whose secret the caller uses: a self-built app (reads its visible range, cannot write), or the contacts-sync secret. */
	secretKind?: 'app' | 'contactsSync';
	/** A self-built app created after 2022-06-20 gets no mobile, email, biz_mail, avatar, gender, address, qr_code. */
	appCreatedAfter20220620?: boolean;
	/** Contacts-sync secret from an IP not whitelisted before 2022-08-15: detail reads answer 48009. */
	contactsSyncNewIp?: boolean;
	/** The app's visible range: department ids (with their subtrees) and userids. Undefined = everything. */
	visibleRange?: { departments?: number[]; users?: string[] };
	/** Delay before each directory answer, in ms (the bench uses 20). */
	latencyMs?: number;
	/** More than this many directory calls in flight at once answer 45033 (undefined = no limit). */
	maxConcurrentCalls?: number;
}

/** The test side of the directory: `fake.directory`. */
export interface FakeDirectoryApi {
	/** Replaces the options given so far (those left out go back to their defaults). */
	configure(options: FakeDirectoryOptions): void;
	setDepartments(departments: FakeDepartment[]): void;
	setMembers(members: FakeMember[]): void;
	/** What the fake holds now (copies). */
	departments(): FakeDepartment[];
	members(): FakeMember[];
	/** user/get of this member answers `errcode` (e.g. 60011, 60030) and user/list and user/simplelist leave it out. */
	refuse(userid: string, errcode: number): void;
	/** Every directory call that reached the directory (after the access_token check), with its errcode. */
	readonly calls: Array<{ path: string; errcode: number }>;
}

/** Fields a self-built app created after 2022-06-20 no longer gets ("不再返回", doc 90196 / 90201). */
const WITHHELD_SINCE_20220620 = ['avatar', 'thumb_avatar', 'gender', 'mobile', 'email', 'biz_mail', 'address', 'qr_code'];
/** "limit 分页，预期请求的数据量，取值范围 1 ~ 10000" [doc 96067]. */
const LIST_ID_MAX_LIMIT = 10000;
const ROOT_DEPARTMENT = 1;

type Handler = (ctx: RequestContext) => Answer;

export class FakeDirectory implements FakeDirectoryApi {
	readonly calls: Array<{ path: string; errcode: number }> = [];
	readonly routes: Routes;

	private options: FakeDirectoryOptions;
	private readonly departmentsById = new Map<number, FakeDepartment>();
	private readonly membersById = new Map<string, FakeMember>();
	private readonly refused = new Map<string, number>();
	private inFlight = 0;
	/** Derived from the data and the options; dropped when either changes. */
	private index: DirectoryIndex | undefined;
	/** user/list_id cursors handed out: cursor → row offset. Dropped when the member list changes (stale). */
	private readonly cursors = new Map<string, number>();

	constructor(private readonly initial: FakeDirectoryOptions = {}) {
		this.options = { ...initial };
		const handlers: Record<string, Handler> = {
			'/cgi-bin/department/list': (c) => this.departmentList(c, 'list'),
			'/cgi-bin/department/simplelist': (c) => this.departmentList(c, 'simplelist'),
			'/cgi-bin/department/get': (c) => this.departmentGet(c),
			'/cgi-bin/user/list': (c) => this.userList(c, 'list'),
			'/cgi-bin/user/simplelist': (c) => this.userList(c, 'simplelist'),
			'/cgi-bin/user/get': (c) => this.userGet(c),
			'/cgi-bin/user/list_id': (c) => this.userListId(c),
		};
		this.routes = Object.fromEntries(
			Object.entries(handlers).map(([path, handle]) => [
				path,
				{ auth: true as const, handle: (ctx: RequestContext) => this.serve(path, ctx, handle) },
			]),
		);
	}

	reset(): void {
		this.options = { ...this.initial };
		this.departmentsById.clear();
		this.membersById.clear();
		this.refused.clear();
		this.cursors.clear();
		this.calls.length = 0;
		this.index = undefined;
	}

	// --- FakeDirectoryApi ----------------------------------------------------------------------------

	configure(options: FakeDirectoryOptions): void {
		this.options = { ...options };
		this.index = undefined;
	}

	setDepartments(departments: FakeDepartment[]): void {
		this.departmentsById.clear();
		for (const department of departments) this.departmentsById.set(department.id, copyDepartment(department));
		this.index = undefined;
		this.cursors.clear();
	}

	setMembers(members: FakeMember[]): void {
		this.membersById.clear();
		for (const member of members) this.membersById.set(member.userid, copyMember(member));
		this.index = undefined;
		this.cursors.clear();
	}

	departments(): FakeDepartment[] {
		return [...this.departmentsById.values()].map(copyDepartment);
	}

	members(): FakeMember[] {
		return [...this.membersById.values()].map(copyMember);
	}

	refuse(userid: string, errcode: number): void {
		this.refused.set(userid, errcode);
		this.index = undefined;
	}

	/** Test-side accounting for directory calls, their latency and the concurrency limit. */
	private async serve(path: string, ctx: RequestContext, handle: Handler): Promise<Answer> {
		this.inFlight += 1;
		try {
			const limit = this.options.maxConcurrentCalls;
			// 45033 接口并发调用超过限制 [doc 90313]: WeCom publishes no number for the directory; the test sets one.
			let answer: Answer;
			if (limit !== undefined && this.inFlight > limit) {
				answer = { errcode: 45033 };
			} else {
				if (this.options.latencyMs) await sleep(this.options.latencyMs);
				answer = handle(ctx);
			}
			this.calls.push({ path, errcode: answer.errcode });
			return answer;
		} finally {
			this.inFlight -= 1;
		}
	}

	// --- departments -----------------------------------------------------------------------------------

	private departmentList({ query }: RequestContext, kind: 'list' | 'simplelist'): Answer {
		if (kind === 'list' && this.contactsSyncFromNewIp()) return { errcode: 48009 };
		const index = this.currentIndex();
		let roots: number[];
		if (query.id === undefined || query.id === '') {
			// Without id: everything the secret can see, i.e. the tops of the visible range.
			roots = index.visibleTops;
		} else {
			const id = Number(query.id);
			const refusal = this.departmentRefusal(id, index);
			if (refusal) return refusal;
			roots = [id];
		}
		const ids = roots.flatMap((root) => subtree(root, index.children));
		const departments = ids.map((id) => this.departmentsById.get(id) as FakeDepartment);
		if (kind === 'simplelist') {
			return {
				errcode: 0,
				department_id: departments.map(({ id, parentid, order }) => ({ id, parentid, order: order ?? 0 })),
			};
		}
		return { errcode: 0, department: departments.map(departmentJson) };
	}

	private departmentGet({ query }: RequestContext): Answer {
		if (this.contactsSyncFromNewIp()) return { errcode: 48009 };
		if (!query.id) return missingField('id');
		const id = Number(query.id);
		const refusal = this.departmentRefusal(id, this.currentIndex());
		if (refusal) return refusal;
		return { errcode: 0, department: departmentJson(this.departmentsById.get(id) as FakeDepartment) };
	}

	/** 60003 部门不存在, 60011 outside the visible range [doc 90313]; undefined when the department may be read. */
	private departmentRefusal(id: number, index: DirectoryIndex): Answer | undefined {
		if (!Number.isInteger(id) || !this.departmentsById.has(id)) return { errcode: 60003 };
		if (!index.visibleDepartments.has(id)) return { errcode: 60011 };
		return undefined;
	}

	// --- members -------------------------------------------------------------------------------------

	private userList({ query }: RequestContext, kind: 'list' | 'simplelist'): Answer {
		if (this.contactsSyncFromNewIp()) return { errcode: 48009 };
		if (!query.department_id) return missingField('department_id');
		const index = this.currentIndex();
		const id = Number(query.department_id);
		const refusal = this.departmentRefusal(id, index);
		if (refusal) return refusal;
		// Members of this department only: fetch_child is not honoured (the current doc 90201 no longer lists it).
		const members = (index.membersByDepartment.get(id) ?? []).filter((m) => !this.refused.has(m.userid));
		if (kind === 'simplelist') {
			return {
				errcode: 0,
				userlist: members.map((m) => ({
					userid: m.userid,
					name: m.name,
					department: [...m.department],
					...(m.open_userid === undefined ? {} : { open_userid: m.open_userid }),
				})),
			};
		}
		return { errcode: 0, userlist: members.map((m) => this.memberJson(m)) };
	}

	private userGet({ query }: RequestContext): Answer {
		if (this.contactsSyncFromNewIp()) return { errcode: 48009 };
		// 41009 缺少userid参数 [doc 90313].
		if (!query.userid) return { errcode: 41009 };
		const member = this.membersById.get(query.userid);
		// 60111 UserID不存在 [doc 90313]: what tells "left the corp" apart from "may not be read".
		if (!member) return { errcode: 60111 };
		const refused = this.refused.get(member.userid);
		if (refused !== undefined) return { errcode: refused };
		if (!this.currentIndex().visibleMembers.has(member.userid)) return { errcode: 60011 };
		return { errcode: 0, ...this.memberJson(member) };
	}

	private userListId({ body }: RequestContext): Answer {
		// "仅支持通过'通讯录同步secret'调用" [doc 96067]: 48002 API接口无权限调用 for an app's token.
		if (this.secretKind() !== 'contactsSync') return { errcode: 48002 };
		const limit = body.limit === undefined ? LIST_ID_MAX_LIMIT : body.limit;
		if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > LIST_ID_MAX_LIMIT) {
			return { errcode: 40058, errmsg: `invalid limit ${String(limit)}, expect 1~${LIST_ID_MAX_LIMIT}. invalid Request Parameter` };
		}
		let offset = 0;
		if (body.cursor !== undefined && body.cursor !== '') {
			const known = typeof body.cursor === 'string' ? this.cursors.get(body.cursor) : undefined;
			// 50100 分页查询的游标无效 [doc 90313]: a made-up cursor, or one from before the directory changed.
			if (known === undefined) return { errcode: 50100 };
			offset = known;
		}
		const rows = this.currentIndex().listIdRows;
		const page = rows.slice(offset, offset + limit);
		let nextCursor = '';
		if (offset + limit < rows.length) {
			nextCursor = randomBytes(24).toString('base64url');
			this.cursors.set(nextCursor, offset + limit);
		}
		return { errcode: 0, next_cursor: nextCursor, dept_user: page };
	}

	private memberJson(member: FakeMember): Record<string, unknown> {
		const leaderOf = new Set(
			member.department.filter((id) => this.departmentsById.get(id)?.department_leader?.includes(member.userid)),
		);
		const json: Record<string, unknown> = {
			userid: member.userid,
			name: member.name,
			department: [...member.department],
			order: member.department.map(() => 0),
			position: member.position ?? '',
			mobile: member.mobile ?? '',
			gender: member.gender ?? '0',
			email: member.email ?? '',
			biz_mail: member.biz_mail ?? '',
			is_leader_in_dept: member.department.map((id) => (leaderOf.has(id) ? 1 : 0)),
			direct_leader: [],
			avatar: member.avatar ?? '',
			thumb_avatar: member.avatar ?? '',
			telephone: member.telephone ?? '',
			alias: member.alias ?? '',
			address: member.address ?? '',
			open_userid: member.open_userid ?? '',
			main_department: member.main_department ?? member.department[0] ?? ROOT_DEPARTMENT,
			status: member.status ?? 1,
			qr_code: `https://open.work.weixin.qq.com/wwopen/userQRCode?vcode=fake_${member.userid}`,
		};
		if (this.secretKind() === 'app' && this.options.appCreatedAfter20220620) {
			for (const field of WITHHELD_SINCE_20220620) delete json[field];
		}
		return json;
	}

	// --- who may read what ------------------------------------------------------------------------------

	private secretKind(): 'app' | 'contactsSync' {
		return this.options.secretKind ?? 'app';
	}

	private contactsSyncFromNewIp(): boolean {
		return this.secretKind() === 'contactsSync' && this.options.contactsSyncNewIp === true;
	}

	private currentIndex(): DirectoryIndex {
		this.index ??= buildIndex(
			this.departmentsById,
			this.membersById,
			this.secretKind() === 'app' ? this.options.visibleRange : undefined,
		);
		return this.index;
	}
}

interface DirectoryIndex {
	children: Map<number, number[]>;
	visibleDepartments: Set<number>;
	/** Visible departments whose parent is not visible (or absent): what a list without id starts from. */
	visibleTops: number[];
	visibleMembers: Set<string>;
	/** Members per visible department, in the order they were set. */
	membersByDepartment: Map<number, FakeMember[]>;
	/** user/list_id's rows: one per member and department ("dept_user"), every member (contacts-sync only). */
	listIdRows: Array<{ userid: string; department: number }>;
}

function buildIndex(
	departments: Map<number, FakeDepartment>,
	members: Map<string, FakeMember>,
	range: FakeDirectoryOptions['visibleRange'],
): DirectoryIndex {
	const children = new Map<number, number[]>();
	for (const department of departments.values()) {
		const siblings = children.get(department.parentid) ?? [];
		siblings.push(department.id);
		children.set(department.parentid, siblings);
	}
	for (const siblings of children.values()) {
		// Lists come sorted by order, larger first, as the admin console shows them (doc 90208: "order值大的排序靠前").
		siblings.sort((a, b) => (departments.get(b)?.order ?? 0) - (departments.get(a)?.order ?? 0) || a - b);
	}
	const visibleDepartments = new Set<number>();
	const rangeTops = range === undefined ? [...departments.keys()] : (range.departments ?? []);
	for (const top of rangeTops) {
		if (departments.has(top)) for (const id of subtree(top, children)) visibleDepartments.add(id);
	}
	const visibleTops = [...visibleDepartments].filter((id) => !visibleDepartments.has(departments.get(id)?.parentid ?? 0));
	visibleTops.sort((a, b) => a - b);
	const rangeUsers = new Set(range?.users ?? []);
	const visibleMembers = new Set<string>();
	const membersByDepartment = new Map<number, FakeMember[]>();
	const listIdRows: DirectoryIndex['listIdRows'] = [];
	for (const member of members.values()) {
		let visible = rangeUsers.has(member.userid);
		for (const id of member.department) {
			listIdRows.push({ userid: member.userid, department: id });
			if (!visibleDepartments.has(id)) continue;
			visible = true;
			const list = membersByDepartment.get(id) ?? [];
			list.push(member);
			membersByDepartment.set(id, list);
		}
		if (visible) visibleMembers.add(member.userid);
	}
	return { children, visibleDepartments, visibleTops, visibleMembers, membersByDepartment, listIdRows };
}

/** `root` and every department under it, parents before children, without recursion (deep trees). */
function subtree(root: number, children: Map<number, number[]>): number[] {
	const ids: number[] = [];
	const stack = [root];
	while (stack.length > 0) {
		const id = stack.pop() as number;
		ids.push(id);
		const below = children.get(id);
		if (below) for (let i = below.length - 1; i >= 0; i -= 1) stack.push(below[i]);
	}
	return ids;
}

function departmentJson(department: FakeDepartment): Record<string, unknown> {
	return {
		id: department.id,
		name: department.name,
		...(department.name_en === undefined ? {} : { name_en: department.name_en }),
		department_leader: [...(department.department_leader ?? [])],
		parentid: department.parentid,
		order: department.order ?? 0,
	};
}

function copyDepartment(department: FakeDepartment): FakeDepartment {
	const copy = { ...department };
	if (department.department_leader) copy.department_leader = [...department.department_leader];
	return copy;
}

function copyMember(member: FakeMember): FakeMember {
	return { ...member, department: [...member.department] };
}

// --- a deterministic directory for tests and the bench -------------------------------------------------

const SURNAMES = '王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤';
const GIVEN = '伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉萍红娥玲芬燕鹏辉婷雪琳晨浩宇欣怡子涵梓轩俊杰思远佳琪';
const UNITS = ['销售部', '研发部', '市场部', '财务部', '人事部', '客服部', '运营部', '法务部', '采购部', '物流部', '品质部', '行政部'];
const REGIONS = ['华南', '华北', '华东', '华中', '西南', '西北', '东北', '海外'];
const POSITIONS = ['专员', '主管', '经理', '总监', '工程师', '顾问', '助理', '客服代表'];

/**
 * A directory of `departments` departments (id 1 "总部" at the root, a tree about four levels deep) and
 * `members` members (userid `user000001`…), the same for the same seed. About one member in ten is in two
 * departments; each department below the root has a leader from its members when it has any.
 */
export function generateDirectory(options: { departments: number; members: number; seed?: number }): {
	departments: FakeDepartment[];
	members: FakeMember[];
} {
	const random = mulberry32(options.seed ?? 1);
	const pick = <T>(list: readonly T[] | string): T => list[Math.floor(random() * list.length)] as T;
	const departments: FakeDepartment[] = [];
	const depth = new Map<number, number>();
	const childCount = new Map<number, number>();
	for (let id = 1; id <= Math.max(1, options.departments); id += 1) {
		if (id === ROOT_DEPARTMENT) {
			departments.push({ id, name: '总部', name_en: 'HQ', parentid: 0, order: 100000000 });
			depth.set(id, 0);
			continue;
		}
		// A parent among the earlier departments that are not yet three levels down: a bushy, shallow tree.
		let parent = ROOT_DEPARTMENT;
		for (let attempt = 0; attempt < 8; attempt += 1) {
			const candidate = 1 + Math.floor(random() * (id - 1));
			if ((depth.get(candidate) ?? 0) < 3) {
				parent = candidate;
				break;
			}
		}
		const nth = childCount.get(parent) ?? 0;
		childCount.set(parent, nth + 1);
		depth.set(id, (depth.get(parent) ?? 0) + 1);
		// Sibling names are unique (WeCom refuses two departments of the same name under one parent).
		const names = parent === ROOT_DEPARTMENT ? UNITS : REGIONS;
		const round = Math.floor(nth / names.length);
		const suffix = parent === ROOT_DEPARTMENT ? '' : depth.get(id) === 3 ? '组' : '分部';
		const name = `${names[nth % names.length]}${round > 0 ? round + 1 : ''}${suffix}`;
		departments.push({ id, name, parentid: parent, order: 100000000 - nth * 1000 });
	}
	const leafish = departments.length > 1 ? departments.slice(1) : departments;
	const members: FakeMember[] = [];
	const firstMemberOf = new Map<number, string>();
	for (let i = 1; i <= options.members; i += 1) {
		const userid = `user${String(i).padStart(6, '0')}`;
		const main = pick(leafish).id;
		const department = [main];
		if (random() < 0.1) {
			const second = pick(leafish).id;
			if (second !== main) department.push(second);
		}
		for (const id of department) if (!firstMemberOf.has(id)) firstMemberOf.set(id, userid);
		const statusRoll = random();
		members.push({
			userid,
			name: `${pick<string>(SURNAMES)}${pick<string>(GIVEN)}${random() < 0.6 ? pick<string>(GIVEN) : ''}`,
			department,
			main_department: main,
			position: pick(POSITIONS),
			mobile: `13${String(Math.floor(random() * 1e9)).padStart(9, '0')}`,
			email: `${userid}@example.com`,
			biz_mail: `${userid}@corp.example.com`,
			gender: random() < 0.5 ? '1' : '2',
			avatar: `https://wework.qpic.cn/fake/${userid}/0`,
			address: '广州市天河区珠江新城',
			status: statusRoll < 0.9 ? 1 : statusRoll < 0.95 ? 2 : 4,
			alias: random() < 0.3 ? `${userid.toUpperCase()}` : '',
			telephone: random() < 0.2 ? `020-${String(Math.floor(random() * 1e8)).padStart(8, '0')}` : '',
			open_userid: `wo${userid}`,
		});
	}
	for (const department of departments) {
		const leader = firstMemberOf.get(department.id);
		if (department.id !== ROOT_DEPARTMENT && leader) department.department_leader = [leader];
	}
	return { departments, members };
}

/** A small seeded PRNG: the same seed gives the same directory on every machine. */
function mulberry32(seed: number): () => number {
	let state = seed >>> 0;
	return () => {
		state = (state + 0x6d2b79f5) >>> 0;
		let t = state;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
}
