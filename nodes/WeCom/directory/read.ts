import { mapWithConcurrency } from '../../common/concurrency';
import { DirectoryCallFailure, type DirectoryCaller, outcomeOf } from './calls';
import {
	type DepartmentRecord,
	departmentRecords,
	type MemberRecord,
	memberRecord,
	pathLookup,
	WithheldFields,
	type WithholdableField,
} from './records';

/**
 * Reads what the credential can see of the directory, in one of two ways:
 * - details: department/list, then user/list for each department (at most `concurrency` at once). Every
 *   member of a department is in that department's list, so no fetch_child is needed; a member of several
 *   departments is kept once.
 * - ids: department/simplelist and user/list_id with its cursor: the only reads left to the contacts-sync
 *   secret (通讯录同步) from an IP not trusted before 2022-08-15 (48009 otherwise, doc 96067); IDs only.
 * Pure, no n8n imports.
 */

export type ReadWith = 'auto' | 'details' | 'ids';

/**
 * Where members go as their answers arrive: the sync compares each at once and keeps only what its output
 * needs, so the directory is never held whole.
 */
export interface MemberSink {
	/** Once per userid, with the fields to leave out of comparisons (those no member so far carried). */
	member(record: MemberRecord, withheld: ReadonlySet<string>): void;
	/** Forget every member so far: the read starts over. */
	restart(): void;
}

export interface DirectoryReading {
	readWith: 'details' | 'ids';
	departments: DepartmentRecord[];
	/** Members given to the sink. */
	memberCount: number;
	withheld: WithholdableField[];
	/** Departments whose member list WeCom refused or never answered: their members are not known. */
	failedDepartments: Map<number, DirectoryCallFailure>;
	/** Members a list named with an errcode of their own instead of their fields. */
	refusedMembers: Map<string, DirectoryCallFailure>;
	warnings: string[];
}

/** 48009: the contacts-sync secret from an IP WeCom did not trust before 2022-08-15 reads IDs only. */
export const IDS_ONLY_ERRCODE = 48009;
/** 50100: the cursor of user/list_id is invalid or has expired; a read without one starts over. */
export const CURSOR_EXPIRED_ERRCODE = 50100;
/** 45009: a call limit of the company or app; the rest of the sync would meet it too. */
export const CALL_LIMIT_ERRCODE = 45009;

const LIST_ID_LIMIT = 10_000;

type Answer = Record<string, unknown>;

function rowsOf(answer: Answer, field: string): Answer[] {
	const rows = answer[field];
	return Array.isArray(rows) ? (rows as Answer[]) : [];
}

export async function readDirectory(caller: DirectoryCaller, readWith: ReadWith, concurrency: number, sink: MemberSink): Promise<DirectoryReading> {
	if (readWith === 'ids') return await readIds(caller, sink);
	const listed = await outcomeOf(caller.get('/cgi-bin/department/list'));
	if ('error' in listed) {
		const { error } = listed;
		if (readWith === 'auto' && error instanceof DirectoryCallFailure && error.errcode === IDS_ONLY_ERRCODE) {
			const reading = await readIds(caller, sink);
			reading.warnings.unshift(
				'WeCom gives this secret IDs only (48009: the contacts-sync secret used from an IP it did not trust before 2022-08-15), so the sync read IDs: names and details stay empty. Set Read With to IDs to skip the first try, or use the secret of a self-built app for names.',
			);
			return reading;
		}
		throw error;
	}
	const departments = departmentRecords(rowsOf(listed.answer, 'department'));
	const withheld = new WithheldFields();
	let reading = await readMembers(caller, departments, concurrency, sink, withheld);
	if (reading.withheldShrank) {
		// A member carried a field no earlier member did, so members were compared without a field WeCom does
		// give: read them again with the final set. WeCom withholds per app (doc 90196), so this should not happen.
		withheld.freeze();
		sink.restart();
		reading = await readMembers(caller, departments, concurrency, sink, withheld);
	}
	return { ...reading, readWith: 'details', departments, withheld: withheld.fields(), warnings: [] };
}

/** user/list of every department, at most `concurrency` at once, each member to the sink as its list arrives. */
async function readMembers(
	caller: DirectoryCaller,
	departments: readonly DepartmentRecord[],
	concurrency: number,
	sink: MemberSink,
	withheld: WithheldFields,
): Promise<Pick<DirectoryReading, 'memberCount' | 'failedDepartments' | 'refusedMembers'> & { withheldShrank: boolean }> {
	const pathOf = pathLookup(departments);
	const seen = new Set<string>();
	const failedDepartments = new Map<number, DirectoryCallFailure>();
	const refusedMembers = new Map<string, DirectoryCallFailure>();
	const path = '/cgi-bin/user/list';
	let withheldShrank = false;

	await mapWithConcurrency(departments, concurrency, async ({ departmentId }) => {
		const listed = await outcomeOf(caller.get(path, { department_id: departmentId }));
		if ('error' in listed) {
			const { error } = listed;
			if (!(error instanceof DirectoryCallFailure) || error.errcode === CALL_LIMIT_ERRCODE) throw error;
			failedDepartments.set(departmentId, error);
			return;
		}
		for (const member of rowsOf(listed.answer, 'userlist')) {
			const userid = String(member.userid ?? '');
			// A member of several departments is in each one's list: the first list that names it counts.
			if (!userid || seen.has(userid)) continue;
			seen.add(userid);
			const errcode = Number(member.errcode ?? 0);
			if (errcode) {
				const errmsg = String(member.errmsg ?? '');
				refusedMembers.set(userid, new DirectoryCallFailure(path, errcode, `WeCom error ${errcode}: ${errmsg}`, undefined));
				continue;
			}
			if (withheld.observe(member)) withheldShrank = true;
			sink.member(memberRecord(member, pathOf), withheld.current);
		}
	});
	return { memberCount: seen.size - refusedMembers.size, failedDepartments, refusedMembers, withheldShrank };
}

async function readIds(caller: DirectoryCaller, sink: MemberSink): Promise<DirectoryReading> {
	const simpleList = await caller.get('/cgi-bin/department/simplelist');
	const departments = departmentRecords(rowsOf(simpleList, 'department_id'));
	const pathOf = pathLookup(departments);
	const departmentsOf = await listIds(caller);
	// IDs only: every member carries the same two fields, so the set is final after the first.
	const withheld = new WithheldFields();
	for (const [userid, department] of departmentsOf) {
		const answer = { userid, department };
		withheld.observe(answer);
		sink.member(memberRecord(answer, pathOf), withheld.current);
	}
	return {
		readWith: 'ids',
		departments,
		memberCount: departmentsOf.size,
		withheld: withheld.fields(),
		failedDepartments: new Map(),
		refusedMembers: new Map(),
		warnings: [],
	};
}

/** user/list_id to its end: one row per member and department, gathered by member. */
async function listIds(caller: DirectoryCaller): Promise<Map<string, number[]>> {
	for (let restarted = false; ; restarted = true) {
		const departmentsOf = new Map<string, number[]>();
		const read = await outcomeOf(pageThrough(caller, departmentsOf));
		if (!('error' in read)) return departmentsOf;
		// A cursor that expired mid-read: WeCom wants the read started again without one (doc 96067).
		if (restarted || !(read.error instanceof DirectoryCallFailure) || read.error.errcode !== CURSOR_EXPIRED_ERRCODE) throw read.error;
	}
}

async function pageThrough(caller: DirectoryCaller, departmentsOf: Map<string, number[]>): Promise<void> {
	let cursor = '';
	do {
		const answer = await caller.post('/cgi-bin/user/list_id', cursor ? { cursor, limit: LIST_ID_LIMIT } : { limit: LIST_ID_LIMIT });
		for (const row of rowsOf(answer, 'dept_user')) {
			const userid = String(row.userid ?? '');
			if (!userid) continue;
			const list = departmentsOf.get(userid) ?? [];
			list.push(Number(row.department));
			departmentsOf.set(userid, list);
		}
		cursor = String(answer.next_cursor ?? '');
	} while (cursor);
}
