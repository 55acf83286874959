import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { NodeApiError, NodeOperationError, updateDisplayOptions } from 'n8n-workflow';

import { runExclusive } from '../../../shared/keyedQueue';
import { openWorkflowState } from '../../../shared/workflowState';
import { getWeComCredentials, weComApiRequest } from '../../transport';

/**
 * kf/sync_msg (doc 94670) after a kf_msg_or_event callback: the callback carries only a Token, the
 * messages are pulled from a cursor. Each message must reach the workflow once, so:
 * - pulls of one kf account run one at a time in this process (two pulls from the same cursor at
 *   once would return the same messages to two executions);
 * - the cursor and the msgids already handed out are kept per workflow in its static data (see
 *   shared/workflowState.ts: saved by n8n at the end of the execution, newest state wins);
 * - the cursor moves only when every page was read: a failed page throws and the next callback
 *   pulls the same messages again, none are lost, and the msgid list drops what was already out;
 * - a manual run (Execute step in the editor) reads from the cursor but moves nothing;
 * - paging follows has_more, never the emptiness of msg_list (WeCom documents has_more = 1 with an
 *   empty list).
 */

/** sync_msg's origin codes and the names items carry. */
const ORIGINS: Record<number, KfOrigin> = { 3: 'customer', 4: 'event', 5: 'servicer' };
type KfOrigin = 'customer' | 'event' | 'servicer';

/**
 * msgids remembered per kf account, a safety net beside the cursor (a page WeCom repeats). One
 * page holds at most 1000; n8n saves the whole static data after every execution, so this stays
 * small (about 35 KB).
 */
const SEEN_MSGIDS = 1000;
/** A bound on one pull, so a misbehaving server cannot keep an execution looping. */
const MAX_PAGES = 200;
const STATE_NAMESPACE = 'kefuKfSync';

interface AccountState {
	cursor?: string;
	/** Newest last. */
	seen: string[];
	/** When this account was last pulled (ms), for people reading the static data. */
	pulledAt?: number;
}

interface SyncState {
	accounts: Record<string, AccountState>;
}

const properties: INodeProperties[] = [
	{
		displayName:
			'Put this right after a WeCom Trigger that listens to the event "Customer Service Message or Event" (kf_msg_or_event): the callback only says that messages are waiting, this node fetches them, once each. Run from the editor (Execute step), it shows what is waiting without marking it read, so the published workflow still answers it.',
		name: 'pullNotice',
		type: 'notice',
		default: '',
	},
	{
		displayName: 'Kf Account ID',
		name: 'openKfId',
		type: 'string',
		default: '={{ $json.OpenKfId }}',
		required: true,
		description: 'The open_kfid of the customer-service account, from the callback (OpenKfId)',
	},
	{
		displayName: 'Callback Token',
		name: 'token',
		type: 'string',
		typeOptions: { password: true },
		default: '={{ $json.Token }}',
		description:
			'The Token of the kf_msg_or_event callback (valid 10 minutes). Without it WeCom applies a much stricter rate limit.',
	},
	{
		displayName: 'Message Origins',
		name: 'origins',
		type: 'multiOptions',
		options: [
			{ name: 'Customer Messages', value: 'customer', description: 'What WeChat customers wrote (origin 3)' },
			{
				name: 'Events',
				value: 'event',
				description: 'System events such as enter_session (with welcome_code), session_status_change, msg_send_fail (origin 4)',
			},
			{
				name: 'Servicer Messages',
				value: 'servicer',
				description: 'What a human servicer wrote from the WeCom client (origin 5): a sign a human has taken over',
			},
		],
		default: ['customer', 'event'],
		description: 'Which messages become items. The others are skipped but still counted as read.',
	},
	{
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add Option',
		default: {},
		options: [
			{
				displayName: 'First Pull Max Age (Minutes)',
				name: 'firstPullMaxAgeMinutes',
				type: 'number',
				typeOptions: { minValue: 0 },
				default: 10,
				description:
					'When this workflow has no cursor yet (first run, or its static data was reset), WeCom returns up to 3 days of history: skip messages older than this. 0 keeps them all.',
			},
			{
				displayName: 'Voice Format',
				name: 'voiceFormat',
				type: 'options',
				options: [
					{ name: 'AMR', value: 0 },
					{ name: 'SILK', value: 1 },
				],
				default: 0,
				description: 'The format of voice messages (voice_format)',
			},
		],
	},
];

export const description = updateDisplayOptions(
	{ show: { resource: ['kfMessage'], operation: ['pull'] } },
	properties,
);

function reviveState(stored: unknown): SyncState | undefined {
	if (typeof stored !== 'object' || stored === null) return undefined;
	const accounts = (stored as { accounts?: unknown }).accounts;
	if (typeof accounts !== 'object' || accounts === null) return undefined;
	const revived: SyncState = { accounts: {} };
	for (const [key, value] of Object.entries(accounts as Record<string, unknown>)) {
		if (typeof value !== 'object' || value === null) continue;
		const { cursor, seen, pulledAt } = value as Record<string, unknown>;
		revived.accounts[key] = {
			cursor: typeof cursor === 'string' && cursor !== '' ? cursor : undefined,
			seen: Array.isArray(seen) ? seen.filter((id): id is string => typeof id === 'string') : [],
			pulledAt: typeof pulledAt === 'number' ? pulledAt : undefined,
		};
	}
	return revived;
}

/** One sync_msg entry as an item: the fields a flow needs on top, WeCom's object kept as is. */
export function kfMessageItem(message: IDataObject): IDataObject {
	const originCode = Number(message.origin);
	const msgtype = String(message.msgtype ?? '');
	const event = (message.event ?? undefined) as IDataObject | undefined;
	const body = (message[msgtype] ?? undefined) as IDataObject | undefined;
	const sendTime = Number(message.send_time);
	const item: IDataObject = {
		origin: ORIGINS[originCode] ?? `unknown`,
		origin_code: originCode,
		msgid: message.msgid,
		msgtype,
		text: msgtype === 'text' ? String(body?.content ?? '') : '',
		open_kfid: message.open_kfid ?? event?.open_kfid,
		external_userid: message.external_userid ?? event?.external_userid,
		send_time: message.send_time,
		sendTime: Number.isFinite(sendTime) ? new Date(sendTime * 1000).toISOString() : undefined,
	};
	if (message.servicer_userid) item.servicer_userid = message.servicer_userid;
	if (event) item.event_type = event.event_type;
	// A text that answers a menu (msgmenu click) carries the menu item's id.
	if (msgtype === 'text' && body?.menu_id !== undefined) item.menu_id = body.menu_id;
	// WeCom's own object for the other types (image: media_id, location: name/address…); for text
	// its content is `text` above.
	if (msgtype && msgtype !== 'text') item[msgtype] = message[msgtype];
	return item;
}

interface Page {
	next_cursor?: string;
	has_more?: number;
	msg_list?: IDataObject[];
}

async function syncPage(
	this: IExecuteFunctions,
	itemIndex: number,
	body: IDataObject,
): Promise<Page> {
	return (await weComApiRequest.call(this, 'POST', '/cgi-bin/kf/sync_msg', body, undefined, {
		itemIndex,
	})) as Page;
}

function isExpiredToken(error: unknown): boolean {
	return error instanceof NodeApiError && error.context.errcode === 95007;
}

export async function execute(this: IExecuteFunctions, itemIndex: number): Promise<IDataObject[]> {
	const openKfId = String(this.getNodeParameter('openKfId', itemIndex, '') ?? '').trim();
	if (!openKfId) {
		throw new NodeOperationError(this.getNode(), 'No Kf Account ID (open_kfid) to pull messages for', {
			description:
				'sync_msg needs the open_kfid of the customer-service account. Map it from the callback: {{ $json.OpenKfId }}. If the input is not a kf_msg_or_event callback, set the WeCom Trigger to the event "Customer Service Message or Event".',
			itemIndex,
		});
	}
	const token = String(this.getNodeParameter('token', itemIndex, '') ?? '').trim();
	const origins = new Set(this.getNodeParameter('origins', itemIndex, ['customer']) as string[]);
	const options = this.getNodeParameter('options', itemIndex, {}) as IDataObject;
	const maxAgeMinutes = Number(options.firstPullMaxAgeMinutes ?? 10);
	const voiceFormat = Number(options.voiceFormat ?? 0);

	// "Execute step" in the editor (manual mode) shows what is waiting without marking it read: the
	// process's state is shared with the published workflow, which must still see these messages.
	const peekOnly = this.getMode() === 'manual';

	const { corpId } = await getWeComCredentials.call(this);
	const accountKey = `${corpId}:${openKfId}`;
	const workflowId = this.getWorkflow().id ?? '';

	return await runExclusive(`${workflowId}\u0000${accountKey}`, async () => {
		const state = openWorkflowState<SyncState>(this, STATE_NAMESPACE, () => ({ accounts: {} }), reviveState);
		const account = state.read().accounts[accountKey];
		const firstPull = account?.cursor === undefined;
		const seen = new Set(account?.seen ?? []);

		let cursor = account?.cursor;
		let useToken = token !== '';
		const received: IDataObject[] = [];
		for (let page = 0; ; page++) {
			if (page >= MAX_PAGES) {
				// Keep what was read; the next callback goes on from here.
				this.addExecutionHints({
					message: `kf/sync_msg still had more after ${MAX_PAGES} pages; the rest comes with the next callback.`,
					type: 'warning',
					location: 'outputPane',
				});
				break;
			}
			const body: IDataObject = { open_kfid: openKfId, limit: 1000, voice_format: voiceFormat };
			if (cursor) body.cursor = cursor;
			if (useToken) body.token = token;
			const attempt = await syncPage.call(this, itemIndex, body).then(
				(answer) => ({ answer }),
				(error: unknown) => ({ error }),
			);
			let answer: Page;
			if ('answer' in attempt) {
				answer = attempt.answer;
			} else if (useToken && isExpiredToken(attempt.error)) {
				// The callback's Token lasts 10 minutes (an execution that waited in a queue may
				// arrive later): pull without it, under WeCom's stricter rate limit, rather than fail.
				useToken = false;
				delete body.token;
				answer = await syncPage.call(this, itemIndex, body);
			} else {
				throw attempt.error;
			}
			received.push(...(answer.msg_list ?? []));
			if (typeof answer.next_cursor === 'string' && answer.next_cursor !== '') cursor = answer.next_cursor;
			if (Number(answer.has_more) !== 1) break;
		}

		const oldest = firstPull && maxAgeMinutes > 0 ? Date.now() / 1000 - maxAgeMinutes * 60 : undefined;
		const items: IDataObject[] = [];
		const newIds: string[] = [];
		let skippedOld = 0;
		for (const message of received) {
			const msgid = String(message.msgid ?? '');
			if (msgid) {
				if (seen.has(msgid)) continue;
				seen.add(msgid);
				newIds.push(msgid);
			}
			if (oldest !== undefined && Number(message.send_time) < oldest) {
				skippedOld++;
				continue;
			}
			const item = kfMessageItem(message);
			if (origins.has(String(item.origin))) items.push(item);
		}
		if (skippedOld > 0) {
			this.addExecutionHints({
				message: `First pull for ${openKfId}: skipped ${skippedOld} message(s) older than ${maxAgeMinutes} minutes (see First Pull Max Age).`,
				type: 'info',
				location: 'outputPane',
			});
		}

		if (peekOnly) {
			this.addExecutionHints({
				message: `Test run: ${items.length} message(s) shown, not marked as read. The published workflow still receives and answers them; sends you run from here reach real customers.`,
				type: 'info',
				location: 'outputPane',
			});
			return items;
		}
		state.update((draft) => {
			const kept = [...(draft.accounts[accountKey]?.seen ?? []), ...newIds];
			draft.accounts[accountKey] = {
				cursor,
				seen: kept.slice(Math.max(0, kept.length - SEEN_MSGIDS)),
				pulledAt: Date.now(),
			};
		});
		return items;
	});
}
