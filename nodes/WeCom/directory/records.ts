import { createHash } from 'node:crypto';

import { departmentPlaces } from '../actions/department/tree';

/**
 * The flat records a directory sync compares and outputs: one per department and per member, with
 * strings, numbers and booleans only, so a Data Table or a sheet row can hold them as they are. Built from
 * WeCom's answers (department/list, user/list; or department/simplelist and user/list_id, which give IDs
 * only). Pure, no n8n imports.
 */

export interface DepartmentRecord {
	entity: 'department';
	departmentId: number;
	name: string;
	nameEn: string;
	parentId: number;
	order: number;
	/** '总部/销售部/华南': the names from the top department the app sees down to this one. */
	path: string;
	/** department_leader, as 'userid1,userid2'. */
	leaders: string;
}

export interface MemberRecord {
	entity: 'member';
	userid: string;
	name: string;
	/** '1,5' */
	departmentIds: string;
	mainDepartment: number;
	position: string;
	mobile: string;
	email: string;
	bizMail: string;
	gender: string;
	/** 1 active, 2 disabled, 4 not activated, 5 left the company (doc 90196). */
	status: number;
	alias: string;
	telephone: string;
	openUserid: string;
	/** The path of each department, in the order of departmentIds, separated by ';'. */
	departmentPaths: string;
}

export type DirectoryRecord = DepartmentRecord | MemberRecord;

/** A member's fields and the WeCom answer field each comes from: the fields WeCom may withhold. */
export const MEMBER_SOURCE_FIELDS = {
	name: 'name',
	position: 'position',
	mobile: 'mobile',
	email: 'email',
	bizMail: 'biz_mail',
	gender: 'gender',
	status: 'status',
	alias: 'alias',
	telephone: 'telephone',
	openUserid: 'open_userid',
	mainDepartment: 'main_department',
} as const satisfies Partial<Record<keyof MemberRecord, string>>;

export type WithholdableField = keyof typeof MEMBER_SOURCE_FIELDS;

type Answer = Record<string, unknown>;

function text(value: unknown): string {
	return value === undefined || value === null ? '' : String(value);
}

function integer(value: unknown): number {
	const number = Number(value);
	return Number.isFinite(number) ? number : 0;
}

/** department/list or department/simplelist rows → records, with their paths. */
export function departmentRecords(rows: readonly Answer[]): DepartmentRecord[] {
	// IDs only (simplelist): the path shows ids, '1/2/5', rather than empty names.
	const places = departmentPlaces(
		rows.map((row) => ({ id: integer(row.id), name: text(row.name) || String(integer(row.id)), parentid: integer(row.parentid) })),
	);
	return rows.map((row) => ({
		entity: 'department',
		departmentId: integer(row.id),
		name: text(row.name),
		nameEn: text(row.name_en),
		parentId: integer(row.parentid),
		order: integer(row.order),
		path: places.get(integer(row.id))?.path ?? '',
		leaders: Array.isArray(row.department_leader) ? row.department_leader.map(text).join(',') : '',
	}));
}

/** A user/list member (or a user/list_id userid with its departments) → a record. */
export function memberRecord(member: Answer, pathOf: (departmentId: number) => string): MemberRecord {
	const departments = Array.isArray(member.department) ? member.department.map(integer) : [];
	return {
		entity: 'member',
		userid: text(member.userid),
		name: text(member.name),
		departmentIds: departments.join(','),
		mainDepartment: integer(member.main_department ?? departments[0]),
		position: text(member.position),
		mobile: text(member.mobile),
		email: text(member.email),
		bizMail: text(member.biz_mail),
		gender: text(member.gender),
		status: integer(member.status),
		alias: text(member.alias),
		telephone: text(member.telephone),
		openUserid: text(member.open_userid),
		departmentPaths: departments.map(pathOf).join(';'),
	};
}

/**
 * The fields no member's answer carried so far: WeCom withholds them from this app (doc 90196, 2022-06-20).
 * The set only shrinks as answers arrive; WeCom withholds per app, not per member, so after the first member
 * it is final in practice, and the sync compares members as their answers arrive with it.
 */
export class WithheldFields {
	private readonly missing = new Set<string>(Object.keys(MEMBER_SOURCE_FIELDS));
	private seenAny = false;
	private frozen = false;

	/** Notes the fields this member carries; true when that shrank a set members were already compared with. */
	observe(member: Answer): boolean {
		const comparedBefore = this.seenAny;
		this.seenAny = true;
		if (this.frozen || this.missing.size === 0) return false;
		const before = this.missing.size;
		for (const field of this.missing) {
			if (member[MEMBER_SOURCE_FIELDS[field as WithholdableField]] !== undefined) this.missing.delete(field);
		}
		return comparedBefore && this.missing.size < before;
	}

	/** Keeps the set as it is now: a second read compares every member with the same set. */
	freeze(): void {
		this.frozen = true;
	}

	/** What to leave out of comparisons now. */
	get current(): ReadonlySet<string> {
		return this.missing;
	}

	/** Empty when there was no member: nothing can be said then. */
	fields(): WithholdableField[] {
		return this.seenAny ? ([...this.missing] as WithholdableField[]) : [];
	}
}

/** The compared fields of each record, in the order the records are built (the fingerprint depends on it). */
const DEPARTMENT_FIELDS = ['departmentId', 'name', 'nameEn', 'parentId', 'order', 'path', 'leaders'] as const satisfies ReadonlyArray<
	keyof DepartmentRecord
>;
const MEMBER_FIELDS = [
	'userid',
	'name',
	'departmentIds',
	'mainDepartment',
	'position',
	'mobile',
	'email',
	'bizMail',
	'gender',
	'status',
	'alias',
	'telephone',
	'openUserid',
	'departmentPaths',
] as const satisfies ReadonlyArray<keyof MemberRecord>;

/** The record's own fields, without entity: what is compared and fingerprinted. */
export function comparedFieldNames(record: DirectoryRecord): readonly string[] {
	return record.entity === 'member' ? MEMBER_FIELDS : DEPARTMENT_FIELDS;
}

/**
 * sha256 of the record's fields in a fixed order, as 32 hex characters: a row that stores it lets the next
 * sync compare one column instead of every field. Withheld fields are left out, so a record does not look
 * changed only because WeCom stopped giving this app a field.
 */
export function fingerprintOf(record: DirectoryRecord, withheld: ReadonlySet<string>): string {
	const values = record as unknown as Record<string, string | number>;
	let text = '';
	for (const name of comparedFieldNames(record)) {
		if (!withheld.has(name)) text += `${name}\u0000${values[name]}\u0001`;
	}
	// One update of the whole text: a hash update per field cost more than the rest of the sync together.
	return createHash('sha256').update(text).digest('hex').slice(0, 32);
}

/** A department's path by its id; the id itself for a department the app does not see. */
export function pathLookup(departments: readonly DepartmentRecord[]): (departmentId: number) => string {
	const paths = new Map(departments.map((department) => [department.departmentId, department.path]));
	return (id) => paths.get(id) ?? String(id);
}
