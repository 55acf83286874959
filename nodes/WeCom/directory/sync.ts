import { mapWithConcurrency } from '../../common/concurrency';
import { type BackOff, DEFAULT_BACK_OFF, DirectoryCallFailure, DirectoryCaller, type DirectoryClient, outcomeOf, type Sleep } from './calls';
import { type MemberSink, readDirectory, type ReadWith } from './read';
import { comparedFieldNames, type DirectoryRecord, fingerprintOf, type MemberRecord, memberRecord, pathLookup } from './records';

/**
 * One directory sync: read what WeCom holds (read.ts), compare it with the rows the destination holds
 * (the node's input items), and say for each department and member whether it was created, updated,
 * removed, unchanged or failed, then sum it up. Nothing is written here: the workflow writes the items
 * where it wants them. Pure, no n8n imports.
 *
 * The rules that keep a destination from losing rows it should keep:
 * - a department or member WeCom refused is `failed`, never `removed`;
 * - when a department's member list could not be read, the members last seen there are kept (`failed`);
 * - a member missing from every list is asked for on its own (user/get) before it counts as removed: only
 *   60111 (no such userid) removes it; a refusal (60011 outside the visible range …) makes it `failed`.
 */

export type Change = 'created' | 'updated' | 'removed' | 'unchanged' | 'failed';
export type SyncItem = Record<string, string | number | boolean>;

export interface SyncOptions {
	readWith: ReadWith;
	concurrency: number;
	includeUnchanged: boolean;
	skipMembersWithoutMobile: boolean;
	sleep: Sleep;
	backOff?: BackOff;
	now?: () => number;
}

export interface SyncSummary {
	change: 'summary';
	total: number;
	created: number;
	updated: number;
	removed: number;
	unchanged: number;
	failed: number;
	skipped: number;
	departments: number;
	members: number;
	readWith: 'details' | 'ids';
	calls: number;
	durationMs: number;
	/** The member fields WeCom gave this app for no member, e.g. 'mobile,email,bizMail,gender'. */
	withheldFields: string;
	/** One sentence per warning, separated by new lines. */
	warnings: string;
}

export interface SyncResult {
	/** Departments, then members: every change but unchanged (unless asked for). */
	items: SyncItem[];
	summary: SyncSummary;
}

/** user/get's answer for a userid that does not exist (any more). */
const NO_SUCH_USER_ERRCODE = 60111;

type Row = Record<string, unknown>;

/** The rows the destination holds, by key; rows with neither key are counted, not compared. */
interface ExistingRows {
	departments: Map<number, Row>;
	members: Map<string, Row>;
	ignored: number;
}

function indexRows(rows: readonly Row[]): ExistingRows {
	const existing: ExistingRows = { departments: new Map(), members: new Map(), ignored: 0 };
	for (const row of rows) {
		const userid = row.userid === undefined || row.userid === null ? '' : String(row.userid).trim();
		const departmentId = row.departmentId === undefined || row.departmentId === null || row.departmentId === '' ? NaN : Number(row.departmentId);
		if (userid) {
			if (!existing.members.has(userid)) existing.members.set(userid, row);
		} else if (Number.isInteger(departmentId)) {
			if (!existing.departments.has(departmentId)) existing.departments.set(departmentId, row);
		} else if (Object.keys(row).length > 0) {
			// An empty item is what "Always Output Data" gives for an empty table: not a row at all.
			existing.ignored++;
		}
	}
	return existing;
}

class Tally {
	readonly counts: Record<Change, number> = { created: 0, updated: 0, removed: 0, unchanged: 0, failed: 0 };
	readonly items: SyncItem[] = [];

	constructor(private readonly includeUnchanged: boolean) {}

	add(change: Change, item: SyncItem): void {
		this.counts[change]++;
		this.items.push({ change, ...item });
	}

	/** A compared record: counted, and made an item only when it is output. */
	addCompared(record: DirectoryRecord, row: Row | undefined, withheld: ReadonlySet<string>): void {
		const { change, fingerprint, changedFields } = compareRecord(record, row, withheld);
		this.counts[change]++;
		if (change === 'unchanged' && !this.includeUnchanged) return;
		const item: SyncItem = { change, ...record, fingerprint };
		if (changedFields !== undefined) item.changedFields = changedFields;
		this.items.push(item);
	}
}

/** The record against the row the destination holds for it: created, updated (and which fields) or unchanged. */
export function compareRecord(
	record: DirectoryRecord,
	row: Row | undefined,
	withheld: ReadonlySet<string>,
): { change: 'created' | 'updated' | 'unchanged'; fingerprint: string; changedFields?: string } {
	const fingerprint = fingerprintOf(record, withheld);
	if (!row) return { change: 'created', fingerprint };
	const byFingerprint = typeof row.fingerprint === 'string' && row.fingerprint !== '';
	// The common case of a scheduled sync: the row's fingerprint matches, and no field needs a look.
	if (byFingerprint && row.fingerprint === fingerprint) return { change: 'unchanged', fingerprint };
	const values = record as unknown as Record<string, string | number>;
	const changedFields = comparedFieldNames(record).filter(
		(name) => !withheld.has(name) && name in row && String(row[name] ?? '') !== String(values[name]),
	);
	if (!byFingerprint && changedFields.length === 0) return { change: 'unchanged', fingerprint };
	return { change: 'updated', fingerprint, changedFields: changedFields.join(',') };
}

function failedItem(key: { departmentId: number } | { userid: string }, entity: string, errcode: number, error: string): SyncItem {
	return { ...key, entity, errcode, error };
}

/**
 * Compares each member as the read gives it and keeps only what the output needs: the items that changed and
 * the counts. The rows of members no list named stay in `existing.members` for the end of the sync.
 */
class MemberComparison implements MemberSink {
	existing: ExistingRows;
	tally: Tally;
	/** Under "Skip Members Without Mobile": those without one, compared only once it is known someone has one. */
	withoutMobile: Array<{ record: MemberRecord; withheld: ReadonlySet<string> }> = [];
	anyMobile = false;

	constructor(
		private readonly rows: readonly Row[],
		private readonly options: Pick<SyncOptions, 'includeUnchanged' | 'skipMembersWithoutMobile'>,
	) {
		this.existing = indexRows(rows);
		this.tally = new Tally(options.includeUnchanged);
	}

	member(record: MemberRecord, withheld: ReadonlySet<string>): void {
		if (this.options.skipMembersWithoutMobile) {
			if (!record.mobile) {
				this.withoutMobile.push({ record, withheld });
				return;
			}
			this.anyMobile = true;
		}
		this.compare(record, withheld);
	}

	compare(record: MemberRecord, withheld: ReadonlySet<string>): void {
		const row = this.existing.members.get(record.userid);
		this.existing.members.delete(record.userid);
		this.tally.addCompared(record, row, withheld);
	}

	restart(): void {
		this.existing = indexRows(this.rows);
		this.tally = new Tally(this.options.includeUnchanged);
		this.withoutMobile = [];
		this.anyMobile = false;
	}

	/** The userids skipped for want of a mobile number, or none (and a warning) when that would be everyone. */
	settleSkipped(withheldFields: readonly string[], warnings: string[]): Set<string> {
		const pending = this.withoutMobile;
		this.withoutMobile = [];
		if (pending.length === 0) return new Set();
		if (this.anyMobile) return new Set(pending.map(({ record }) => record.userid));
		warnings.push(
			withheldFields.includes('mobile')
				? 'Skip Members Without Mobile was not applied: WeCom gives this app no mobile numbers (apps created after 2022-06-20 get none; 通讯录同步 with IDs only neither), so it would have skipped every member. Turn the option off, or read with a secret that gets mobile numbers.'
				: 'Skip Members Without Mobile was not applied: no member has a mobile number, so it would have skipped every member.',
		);
		for (const { record, withheld } of pending) this.compare(record, withheld);
		return new Set();
	}
}

export async function syncDirectory(client: DirectoryClient, rows: readonly Row[], options: SyncOptions): Promise<SyncResult> {
	const now = options.now ?? Date.now;
	const started = now();
	const caller = new DirectoryCaller(client, options.sleep, options.backOff ?? DEFAULT_BACK_OFF);
	const concurrency = Math.max(1, Math.trunc(options.concurrency) || 1);
	const members = new MemberComparison(rows, options);
	const reading = await readDirectory(caller, options.readWith, concurrency, members);
	const skipped = members.settleSkipped(reading.withheld, reading.warnings);
	const { existing, tally } = members;
	const warnings = [...reading.warnings];
	if (existing.ignored > 0) {
		warnings.push(
			`${existing.ignored} input item(s) had neither userid nor departmentId and were not compared: feed the sync the rows of the members and departments tables only.`,
		);
	}
	const withheld = new Set<string>(reading.withheld);
	if (reading.readWith === 'ids') for (const field of ['name', 'nameEn', 'leaders']) withheld.add(field);
	// Departments first in the output, as a destination wants them before the members that point to them.
	const memberItems = tally.items.splice(0);

	// Departments.
	for (const department of reading.departments) {
		const row = existing.departments.get(department.departmentId);
		existing.departments.delete(department.departmentId);
		const failure = reading.failedDepartments.get(department.departmentId);
		if (failure) {
			tally.add(
				'failed',
				failedItem(
					{ departmentId: department.departmentId },
					'department',
					failure.errcode,
					`Its member list could not be read, so its members were kept as they are. ${failure.description}`,
				),
			);
			continue;
		}
		tally.addCompared(department, row, withheld);
	}
	for (const departmentId of existing.departments.keys()) tally.add('removed', { departmentId, entity: 'department' });
	for (const item of memberItems) tally.items.push(item);

	for (const [userid, failure] of reading.refusedMembers) {
		existing.members.delete(userid);
		tally.add('failed', failedItem({ userid }, 'member', failure.errcode, failure.description));
	}

	// Rows of members no list named: kept, removed, or asked for one by one.
	const toConfirm: string[] = [];
	for (const [userid, row] of existing.members) {
		const blocked = blockingDepartment(row, reading.failedDepartments);
		if (blocked) {
			const [departmentId, failure] = blocked;
			tally.add(
				'failed',
				failedItem(
					{ userid },
					'member',
					failure.errcode,
					`Kept as it is: the member list of department ${departmentId} could not be read. ${failure.description}`,
				),
			);
		} else if (skipped.has(userid) || reading.readWith === 'ids') {
			// user/list_id lists every member of the company: one it does not name is gone.
			tally.add('removed', { userid, entity: 'member' });
		} else {
			toConfirm.push(userid);
		}
	}
	const pathOf = pathLookup(reading.departments);
	const confirmed = await mapWithConcurrency(toConfirm, concurrency, async (userid) => await confirmMember(caller, userid, pathOf));
	for (const [index, outcome] of confirmed.entries()) {
		const userid = toConfirm[index];
		if (outcome === 'removed') tally.add('removed', { userid, entity: 'member' });
		else if (outcome instanceof DirectoryCallFailure) tally.add('failed', failedItem({ userid }, 'member', outcome.errcode, outcome.description));
		else tally.addCompared(outcome, existing.members.get(userid), withheld);
	}

	const { counts } = tally;
	if (reading.withheld.length > 0 && reading.readWith === 'details') {
		warnings.push(
			`WeCom gives this app no ${reading.withheld.join(', ')} for any member (self-built apps created after 2022-06-20 get no mobile, email, gender or avatar): these fields are empty in the items and left out of the comparison.`,
		);
	}
	return {
		items: tally.items,
		summary: {
			change: 'summary',
			total: counts.created + counts.updated + counts.removed + counts.unchanged + counts.failed,
			...counts,
			skipped: skipped.size,
			departments: reading.departments.length,
			members: reading.memberCount,
			readWith: reading.readWith,
			calls: caller.calls,
			durationMs: now() - started,
			withheldFields: reading.withheld.join(','),
			warnings: warnings.join('\n'),
		},
	};
}

/** The department whose unread member list the row's member was last seen in (any, when the row does not say). */
function blockingDepartment(
	row: Row,
	failedDepartments: ReadonlyMap<number, DirectoryCallFailure>,
): [number, DirectoryCallFailure] | undefined {
	if (failedDepartments.size === 0) return undefined;
	const lastSeen = String(row.departmentIds ?? '')
		.split(',')
		.map((id) => Number(id.trim()))
		.filter((id) => Number.isInteger(id) && id > 0);
	if (lastSeen.length === 0) return failedDepartments.entries().next().value;
	for (const id of lastSeen) {
		const failure = failedDepartments.get(id);
		if (failure) return [id, failure];
	}
	return undefined;
}

/** user/get of a member no list named: gone (60111), refused, or there after all (e.g. moved meanwhile). */
async function confirmMember(
	caller: DirectoryCaller,
	userid: string,
	pathOf: (departmentId: number) => string,
): Promise<'removed' | DirectoryCallFailure | MemberRecord> {
	const read = await outcomeOf(caller.get('/cgi-bin/user/get', { userid }));
	if ('answer' in read) return memberRecord(read.answer, pathOf);
	if (!(read.error instanceof DirectoryCallFailure)) throw read.error;
	return read.error.errcode === NO_SUCH_USER_ERRCODE ? 'removed' : read.error;
}

export { DirectoryCallFailure, type DirectoryClient, type BackOff, type Sleep } from './calls';
export type { ReadWith } from './read';
