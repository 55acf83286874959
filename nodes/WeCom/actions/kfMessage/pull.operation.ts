import type { IDataObject, IExecuteFunctions, INodeProperties, NodeTypeAndVersion } from 'n8n-workflow';
import { NodeApiError, NodeConnectionTypes, NodeOperationError, updateDisplayOptions } from 'n8n-workflow';

import { runExclusive } from '../../../common/keyedQueue';
import { openWorkflowState, type WorkflowState } from '../../../common/workflowState';
import { getWeComCredentials, weComApiRequest } from '../../transport';
import { claimOf, flightPrefix, messageIdOf, readInFlight } from './claims';
import {
	emptySyncState,
	forgetExecution,
	hasInFlight,
	inFlightCount,
	MAX_IN_FLIGHT,
	orphansOf,
	readsOnlyAtEnd,
	recordHandOut,
	reviveSyncState,
	savedByExecution,
	type HandOut,
	type InFlightMessage,
	type SyncState,
} from './syncState';

/**
 * kf/sync_msg (doc 94670) after a kf_msg_or_event callback: the callback carries only a Token, the
 * messages are pulled from a cursor. Each message must reach the workflow once, and none may be lost
 * when n8n stops in the middle of an execution, so:
 * - pulls of one kf account run one at a time in this process (two pulls from the same cursor at
 *   once would return the same messages to two executions);
 * - the cursor, the msgids already handed out and the messages still in flight (handed out to an
 *   execution that has not ended) are kept per workflow in its static data (syncState.ts says how,
 *   docs/state.md why): a new n8n process hands out again what an execution of the old one never
 *   finished, marked `redelivered`;
 * - the cursor moves only when every page was read: a failed page throws and the next callback
 *   pulls the same messages again, none are lost, and the msgid list drops what was already out;
 * - a cursor WeCom refuses is dropped: the pull starts again without one, within the first pull's
 *   age window, rather than fail the same way at every callback;
 * - a manual run (Execute step in the editor) reads from the cursor but moves nothing;
 * - paging follows has_more, never the emptiness of msg_list (WeCom documents has_more = 1 with an
 *   empty list).
 */

/** sync_msg's origin codes and the names items carry. */
const ORIGINS: Record<number, KfOrigin> = { 3: 'customer', 4: 'event', 5: 'servicer' };
type KfOrigin = 'customer' | 'event' | 'servicer';

/** A bound on one pull, so a misbehaving server cannot keep an execution looping. */
const MAX_PAGES = 200;
const STATE_NAMESPACE = 'kefuKfSync';

/** Static data of executions whose end is awaited to take their messages out of flight (once each). */
const awaitingEnd = new WeakSet<object>();
/** Per workflow: executions whose end n8n is saving (syncState.ts, savedByExecution). */
const endingByWorkflow = new Map<string, Set<string>>();

/**
 * The node types of the workflow this execution runs: everything reachable from the nodes before this
 * one, and the sub-nodes (models, tools, memory) of those.
 */
function nodeTypesOfWorkflow(this: IExecuteFunctions): string[] {
	const self = this.getNode();
	const nodes = new Map<string, string>([[self.name, self.type]]);
	const add = (node: NodeTypeAndVersion) => nodes.set(node.name, node.type);
	const ancestors = this.getParentNodes(self.name);
	for (const node of ancestors) add(node);
	for (const start of [self.name, ...ancestors.map((node) => node.name)]) {
		for (const node of this.getChildNodes(start)) add(node);
	}
	const subNodeConnections = Object.values(NodeConnectionTypes).filter((type) => type !== NodeConnectionTypes.Main);
	for (const name of [...nodes.keys()]) {
		for (const connectionType of subNodeConnections) {
			for (const node of this.getParentNodes(name, { connectionType })) add(node);
		}
	}
	return [...nodes.values()];
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
		displayName: 'Customer Service Account ID',
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
		displayName: 'Shared State',
		name: 'sharedState',
		type: 'options',
		options: [
			{
				name: 'This N8n Process',
				value: 'process',
				description: 'One n8n process (regular mode): the node itself remembers what it handed out',
			},
			{
				name: 'Claimed in the Workflow (Queue Mode)',
				value: 'workflow',
				description:
					'Several n8n workers (EXECUTIONS_MODE=queue): every message comes out with its claim keys, and Redis nodes after this one claim it, as in the template "WeChat Customer Service bot (queue mode)"',
			},
		],
		default: 'process',
		description:
			'Who makes sure each message is answered once. Change it only when n8n runs in queue mode: there each worker has its own memory, and only a claim in Redis (the queue\'s) stops two workers from answering the same message.',
	},
	{
		displayName: 'In-Flight Messages',
		name: 'inFlightMessages',
		type: 'json',
		default: '={{ $json }}',
		displayOptions: { show: { sharedState: ['workflow'] } },
		description:
			'The messages still being answered, as listed by a Redis node (Keys, with values) on the in-flight keys of this account just before this node. One whose lease is over (its execution died) is handed out again, marked redelivered.',
	},
	{
		displayName: 'Claim Lease (Seconds)',
		name: 'claimLeaseSeconds',
		type: 'number',
		typeOptions: { minValue: 1 },
		default: 600,
		displayOptions: { show: { sharedState: ['workflow'] } },
		description:
			'How long a claimed message belongs to the execution that claimed it. After that it is handed out again, so it must be longer than any execution of this workflow: set the workflow\'s timeout (Settings) below it.',
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

function errcodeOf(error: unknown): unknown {
	return error instanceof NodeApiError ? error.context.errcode : undefined;
}

/** 95007: the callback's Token is invalid or expired (doc 90313). */
function isExpiredToken(error: unknown): boolean {
	return errcodeOf(error) === 95007;
}

/**
 * Whether WeCom may have refused the cursor itself. WeCom documents no errcode for a cursor it does not
 * know (an older version's, another corp's, one it expired); 40058 "invalid parameter" is what it gives
 * for a bad parameter value, and what the project's fake answers. Only a hint: the pull asks again
 * without the cursor and takes the cursor as refused only when that answers.
 */
function mayBeRefusedCursor(error: unknown): boolean {
	return errcodeOf(error) === 40058;
}

interface Pulled {
	received: IDataObject[];
	cursor: string | undefined;
	/** The stored cursor was refused and the pull started again without one. */
	restarted: boolean;
}

/** Reads pages from `cursor` until has_more is 0 or a bound is reached (then the rest waits in WeCom). */
async function pullPages(
	this: IExecuteFunctions,
	itemIndex: number,
	request: { openKfId: string; token: string; voiceFormat: number; cursor?: string; inFlight: number },
): Promise<Pulled> {
	let cursor = request.cursor;
	let useToken = request.token !== '';
	let restarted = false;
	const received: IDataObject[] = [];
	for (let page = 0; ; page++) {
		const room = Math.min(1000, MAX_IN_FLIGHT - request.inFlight - received.length);
		if (page >= MAX_PAGES || room <= 0) {
			// Keep what was read; the next callback goes on from here.
			this.addExecutionHints({
				message:
					room <= 0
						? `${request.inFlight + received.length} messages of ${request.openKfId} are being answered already (at most ${MAX_IN_FLIGHT} at once): newer ones wait in WeCom and come with the next callback.`
						: `kf/sync_msg still had more after ${MAX_PAGES} pages; the rest comes with the next callback.`,
				type: 'warning',
				location: 'outputPane',
			});
			break;
		}
		// "limit: 期望请求的数据量，默认值和最大值都为1000" (doc 94670); the cursor then stops after what came.
		const body: IDataObject = { open_kfid: request.openKfId, limit: room, voice_format: request.voiceFormat };
		if (cursor) body.cursor = cursor;
		if (useToken) body.token = request.token;
		const ask = async () =>
			await syncPage.call(this, itemIndex, body).then(
				(answer) => ({ answer }),
				(error: unknown) => ({ error }),
			);
		let attempt = await ask();
		if ('error' in attempt && useToken && isExpiredToken(attempt.error)) {
			// The callback's Token lasts 10 minutes (an execution that waited in a queue may
			// arrive later): pull without it, under WeCom's stricter rate limit, rather than fail.
			useToken = false;
			delete body.token;
			attempt = await ask();
		}
		if ('error' in attempt && page === 0 && cursor && mayBeRefusedCursor(attempt.error)) {
			delete body.cursor;
			const fresh = await ask();
			if (!('answer' in fresh)) throw attempt.error;
			cursor = undefined;
			restarted = true;
			attempt = fresh;
		}
		if ('error' in attempt) throw attempt.error;
		const { answer } = attempt;
		received.push(...(answer.msg_list ?? []));
		if (typeof answer.next_cursor === 'string' && answer.next_cursor !== '') cursor = answer.next_cursor;
		if (Number(answer.has_more) !== 1) break;
	}
	return { received, cursor, restarted };
}

/**
 * Once n8n has ended this execution (and saved its static data), its messages are no longer in flight.
 * n8n 2.41 calls onExecutionFinish's handlers after its own save. Without it (an older n8n), this pull
 * records no messages in flight: a crash could then lose them, as before.
 */
function forgetWhenEnded(
	this: IExecuteFunctions,
	state: WorkflowState<SyncState>,
	executionId: string,
	ending: Set<string>,
): boolean {
	if (typeof this.onExecutionFinish !== 'function') return false;
	const staticData = this.getWorkflowStaticData('global');
	if (awaitingEnd.has(staticData)) return true;
	awaitingEnd.add(staticData);
	this.onExecutionFinish(() => {
		if (hasInFlight(state.read(), executionId)) state.update((draft) => forgetExecution(draft, executionId));
		ending.delete(executionId);
	});
	return true;
}

export async function execute(this: IExecuteFunctions, itemIndex: number): Promise<IDataObject[]> {
	const openKfId = String(this.getNodeParameter('openKfId', itemIndex, '') ?? '').trim();
	if (!openKfId) {
		throw new NodeOperationError(this.getNode(), 'No Customer Service Account ID (open_kfid) to pull messages for', {
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
	if (this.getNodeParameter('sharedState', itemIndex, 'process') === 'workflow') {
		return await pullClaimed.call(this, itemIndex, {
			corpId,
			openKfId,
			token,
			origins,
			maxAgeMinutes,
			voiceFormat,
			peekOnly,
			lockKey: `${workflowId}\u0000${accountKey}`,
		});
	}
	const executionId = String(this.getExecutionId() ?? '');
	let ending = endingByWorkflow.get(workflowId);
	if (!ending) endingByWorkflow.set(workflowId, (ending = new Set()));

	return await runExclusive(`${workflowId}\u0000${accountKey}`, async () => {
		const state = openWorkflowState<SyncState>(
			this,
			STATE_NAMESPACE,
			emptySyncState,
			reviveSyncState,
			undefined,
			savedByExecution(ending, readsOnlyAtEnd(nodeTypesOfWorkflow.call(this))),
		);
		const account = state.read().accounts[accountKey];
		const now = Date.now();
		const orphans = orphansOf(account, now);
		const seen = new Set(account?.seen ?? []);
		const pulled = await pullPages.call(this, itemIndex, {
			openKfId,
			token,
			voiceFormat,
			cursor: account?.cursor,
			inFlight: inFlightCount(account),
		});

		const items: IDataObject[] = [];
		const handedOut: HandOut['handedOut'] = [];
		const dropped: InFlightMessage[] = [];
		for (const orphan of orphans) {
			// A copy: items go on to nodes that may change them, and the message stays in the state.
			const item = kfMessageItem(JSON.parse(JSON.stringify(orphan.message)) as IDataObject);
			if (!origins.has(String(item.origin))) {
				dropped.push(orphan);
				continue;
			}
			items.push({ ...item, redelivered: true });
			handedOut.push({ message: orphan.message, orphan });
		}
		const firstPull = account?.cursor === undefined || pulled.restarted;
		const oldest = firstPull && maxAgeMinutes > 0 ? now / 1000 - maxAgeMinutes * 60 : undefined;
		const newIds: string[] = [];
		let skippedOld = 0;
		for (const message of pulled.received) {
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
			if (!origins.has(String(item.origin))) continue;
			items.push(item);
			handedOut.push({ message });
		}
		hintPull.call(this, { openKfId, maxAgeMinutes, skippedOld, restarted: pulled.restarted, orphans: handedOut });

		if (peekOnly) {
			this.addExecutionHints({
				message: `Test run: ${items.length} message(s) shown, not marked as read. The published workflow still receives and answers them; sends you run from here reach real customers.`,
				type: 'info',
				location: 'outputPane',
			});
			return items;
		}
		const tracked = handedOut.length > 0 && forgetWhenEnded.call(this, state, executionId, ending);
		// An execution that never ended for n8n (one that went into waiting) leaves `ending` with its messages.
		for (const id of ending) if (!hasInFlight(state.read(), id)) ending.delete(id);
		state.update((draft) =>
			recordHandOut(draft, accountKey, {
				executionId,
				now,
				cursor: pulled.cursor,
				newIds,
				handedOut: tracked ? handedOut : [],
				dropped: tracked ? dropped : [...dropped, ...orphans],
			}),
		);
		return items;
	});
}

/** The process's cursor per account in claimed mode: a hint only, so no in-flight or msgid memory. */
const CLAIMED_NAMESPACE = 'kefuKfCursor';
interface CursorState {
	cursors: Record<string, string>;
}
function reviveCursorState(stored: unknown): CursorState | undefined {
	const cursors = (stored as Partial<CursorState> | undefined)?.cursors;
	if (!cursors || typeof cursors !== 'object') return undefined;
	const kept: Record<string, string> = {};
	for (const [key, value] of Object.entries(cursors)) if (typeof value === 'string') kept[key] = value;
	return { cursors: kept };
}

/**
 * Pull Messages in "Claimed in the Workflow" mode (claims.ts says why). Exactly once rests on the claims
 * the workflow makes in Redis, not on this process: every message read is handed out with its claim,
 * already-seen ones included (their claim answers more than 1), and so are messages whose lease in
 * flight is over. The cursor is kept as before but only saves re-reading: a cursor another worker moved
 * further, or one that went back when two workers saved theirs, costs a longer pull, never a message.
 */
async function pullClaimed(
	this: IExecuteFunctions,
	itemIndex: number,
	pull: {
		corpId: string;
		openKfId: string;
		token: string;
		origins: Set<string>;
		maxAgeMinutes: number;
		voiceFormat: number;
		peekOnly: boolean;
		lockKey: string;
	},
): Promise<IDataObject[]> {
	const leaseMs = Math.max(1, Number(this.getNodeParameter('claimLeaseSeconds', itemIndex, 600))) * 1000;
	const inFlightInput = this.getNodeParameter('inFlightMessages', itemIndex, {}) as unknown;
	const accountKey = `${pull.corpId}:${pull.openKfId}`;
	return await runExclusive(pull.lockKey, async () => {
		const state = openWorkflowState<CursorState>(this, CLAIMED_NAMESPACE, () => ({ cursors: {} }), reviveCursorState);
		const cursor = state.read().cursors[accountKey];
		const now = Date.now();
		const inFlight = readInFlight(inFlightInput, flightPrefix(pull.corpId, pull.openKfId), now, leaseMs);
		const pulled = await pullPages.call(this, itemIndex, {
			openKfId: pull.openKfId,
			token: pull.token,
			voiceFormat: pull.voiceFormat,
			cursor,
			inFlight: inFlight.active.size,
		});

		const items: IDataObject[] = [];
		const out = new Set<string>();
		const redelivered: HandOut['handedOut'] = [];
		for (const message of inFlight.expired) {
			const item = kfMessageItem(message);
			if (!pull.origins.has(String(item.origin))) continue;
			out.add(messageIdOf(message));
			items.push({ ...item, redelivered: true, claim: claimOf(pull.corpId, pull.openKfId, message, now, { leaseMs }) });
			redelivered.push({ message, orphan: { message, executionId: '', handedOutAt: now } });
		}
		const firstPull = cursor === undefined || pulled.restarted;
		const oldest = firstPull && pull.maxAgeMinutes > 0 ? now / 1000 - pull.maxAgeMinutes * 60 : undefined;
		let skippedOld = 0;
		for (const message of pulled.received) {
			const id = messageIdOf(message);
			// Being answered, or taken back above: its claim is made.
			if (out.has(id) || inFlight.active.has(id)) continue;
			if (oldest !== undefined && Number(message.send_time) < oldest) {
				skippedOld++;
				continue;
			}
			const item = kfMessageItem(message);
			if (!pull.origins.has(String(item.origin))) continue;
			out.add(id);
			items.push({ ...item, claim: claimOf(pull.corpId, pull.openKfId, message, now) });
		}
		hintPull.call(this, {
			openKfId: pull.openKfId,
			maxAgeMinutes: pull.maxAgeMinutes,
			skippedOld,
			restarted: pulled.restarted,
			orphans: redelivered,
		});
		if (pull.peekOnly) {
			this.addExecutionHints({
				message: `Test run: ${items.length} message(s) shown, not marked as read. The published workflow still receives and answers them; sends you run from here reach real customers.`,
				type: 'info',
				location: 'outputPane',
			});
			return items;
		}
		if (pulled.cursor !== undefined && pulled.cursor !== cursor) {
			state.update((draft) => {
				draft.cursors[accountKey] = pulled.cursor as string;
			});
		}
		return items;
	});
}

/** What the operator should know about this pull, on the node's output. */
function hintPull(
	this: IExecuteFunctions,
	pull: {
		openKfId: string;
		maxAgeMinutes: number;
		skippedOld: number;
		restarted: boolean;
		orphans: HandOut['handedOut'];
	},
): void {
	const agedOut = `skipped ${pull.skippedOld} message(s) older than ${pull.maxAgeMinutes} minutes (see First Pull Max Age)`;
	if (pull.restarted) {
		this.addExecutionHints({
			message: `WeCom refused the stored cursor of ${pull.openKfId}, so this pull started again without it: none of the last 1,000 messages handed out came again${pull.skippedOld > 0 ? `, and it ${agedOut}` : ''}.`,
			type: 'warning',
			location: 'outputPane',
		});
	} else if (pull.skippedOld > 0) {
		this.addExecutionHints({
			message: `First pull for ${pull.openKfId}: ${agedOut}.`,
			type: 'info',
			location: 'outputPane',
		});
	}
	const again = pull.orphans.filter((entry) => entry.orphan);
	if (again.length > 0) {
		const executions = [...new Set(again.map((entry) => entry.orphan?.executionId).filter(Boolean))].join(', ');
		this.addExecutionHints({
			message: `${again.length} message(s) handed out again (redelivered: true): n8n stopped before the execution(s) that had them ended${executions ? ` (${executions})` : ''}. A reply that went out before is refused by WeCom when it carries a Message ID made from the customer's msgid, as the template's replies do.`,
			type: 'warning',
			location: 'outputPane',
		});
	}
}
