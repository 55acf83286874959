import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { NodeApiError, sleep, updateDisplayOptions } from 'n8n-workflow';

import { failedItem } from '../../../common/failedItem';
import { DirectoryCallFailure, type DirectoryClient, type ReadWith, syncDirectory, type SyncItem } from '../../directory/sync';
import { isTransientWeComError, weComApiRequest } from '../../transport';

/**
 * Directory → Sync: the engine in ../../directory does the reading and the comparing; this file reads the
 * node's fields, lends it the transport, and turns its result into items and execution hints.
 * docs/wecom-directory-sync.md describes the items and how a workflow uses them.
 */

/** Past this, a hint says how to make the sync faster. */
const SLOW_SYNC_MS = 30_000;

const properties: INodeProperties[] = [
	{
		displayName:
			'Feed this node the rows your destination holds now (e.g. Data Table → Get Many on the members and on the departments table, with Always Output Data on). It runs once for all of them and outputs one item per department and member that changed, tagged created, updated, removed or failed, then one summary item.',
		name: 'syncNotice',
		type: 'notice',
		default: '',
	},
	{
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add option',
		default: {},
		options: [
			{
				displayName: 'Concurrency',
				name: 'concurrency',
				type: 'number',
				typeOptions: { minValue: 1, maxValue: 20 },
				default: 5,
				description:
					'How many WeCom calls run at once. WeCom answers "too many concurrent calls" (45033) past its limit; the sync then waits and tries again.',
			},
			{
				displayName: 'Include Unchanged',
				name: 'includeUnchanged',
				type: 'boolean',
				default: false,
				description: 'Whether to output the departments and members that did not change too (they are always counted in the summary)',
			},
			{
				displayName: 'Read With',
				name: 'readWith',
				type: 'options',
				options: [
					{
						name: 'Automatic',
						value: 'auto',
						description: 'Details, and IDs when WeCom gives this secret IDs only (48009)',
					},
					{
						name: 'Details',
						value: 'details',
						description: 'Department/list and user/list per department: names, positions and the fields WeCom gives this app',
					},
					{
						name: 'IDs',
						value: 'ids',
						description: 'Department/simplelist and user/list_id: IDs only, for the contacts-sync secret (通讯录同步)',
					},
				],
				default: 'auto',
			},
			{
				displayName: 'Skip Members Without Mobile',
				name: 'skipMembersWithoutMobile',
				type: 'boolean',
				default: false,
				description:
					'Whether to leave out members who have no mobile number (a row of theirs is removed). When WeCom gives this app no mobile numbers at all, nothing is skipped and the summary warns.',
			},
		],
	},
];

export const description = updateDisplayOptions({ show: { resource: ['directory'], operation: ['sync'] } }, properties);

/** The transport, as the engine's client: the access-token cache, time limits and errcode texts come with it. */
function transportClient(context: IExecuteFunctions): DirectoryClient {
	return {
		get: async (path, qs) => await weComApiRequest.call(context, 'GET', path, undefined, qs),
		post: async (path, body) => await weComApiRequest.call(context, 'POST', path, body as IDataObject),
		errcodeOf: (error) => {
			const errcode = error instanceof NodeApiError ? error.context.errcode : undefined;
			return typeof errcode === 'number' ? errcode : undefined;
		},
		isTransient: isTransientWeComError,
		describe: (error) => {
			if (!(error instanceof Error)) return String(error);
			const { description } = error as Error & { description?: string | null };
			return description ? `${error.message}. ${description}` : error.message;
		},
	};
}

/** Each output item is paired with the input row of the same department or member, else with the first. */
function pairing(rows: IDataObject[]): (item: SyncItem) => number {
	const indexByKey = new Map<string, number>();
	rows.forEach((row, index) => {
		if (row.userid) indexByKey.set(`u${String(row.userid)}`, index);
		else if (row.departmentId !== undefined) indexByKey.set(`d${String(row.departmentId)}`, index);
	});
	return (item) => indexByKey.get(item.userid !== undefined ? `u${item.userid}` : `d${item.departmentId}`) ?? 0;
}

export async function executeForAllItems(this: IExecuteFunctions): Promise<INodeExecutionData[]> {
	const options = this.getNodeParameter('options', 0, {}) as IDataObject;
	const rows = this.getInputData().map((item) => item.json);
	let result;
	try {
		result = await syncDirectory(transportClient(this), rows, {
			readWith: (options.readWith as ReadWith | undefined) ?? 'auto',
			concurrency: Number(options.concurrency ?? 5),
			includeUnchanged: options.includeUnchanged === true,
			skipMembersWithoutMobile: options.skipMembersWithoutMobile === true,
			sleep,
		});
	} catch (error) {
		// The node's own error (errcode, hint), not the engine's wrapper; nothing was compared or removed.
		return [failedItem(this, error instanceof DirectoryCallFailure ? error.cause : error, 0)];
	}
	const { items, summary } = result;
	for (const warning of summary.warnings ? summary.warnings.split('\n') : []) {
		this.addExecutionHints({ message: warning, type: 'warning', location: 'outputPane' });
	}
	if (summary.failed > 0) {
		this.addExecutionHints({
			message: `${summary.failed} department(s) or member(s) could not be read and were left as they are: the items with change "failed" say why.`,
			type: 'warning',
			location: 'outputPane',
		});
	}
	if (summary.durationMs > SLOW_SYNC_MS) {
		this.addExecutionHints({
			message: `The sync took ${Math.round(summary.durationMs / 1000)} s for ${summary.calls} WeCom calls. Raise Concurrency under Options (WeCom allows more calls at once than the default) or run it less often.`,
			type: 'info',
			location: 'outputPane',
		});
	}
	const pairedWith = pairing(rows);
	return [
		...items.map((json) => ({ json, pairedItem: { item: pairedWith(json) } })),
		{ json: { ...summary }, pairedItem: { item: 0 } },
	];
}
