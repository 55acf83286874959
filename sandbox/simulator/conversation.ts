// What the simulator page shows for one customer of one sandbox bot: what the customer did, what the fake
// platform received from the bot (app/message/send; kf/send_msg, send_msg_on_event, service_state/trans;
// the WhatsApp gateway's /send), and the executions each of the customer's actions started. Pure: it reads
// the fakes' records.
import type { FakeKfAttempt, FakeKfSentMessage, FakeSentMessage } from '../../test/fakes/wecom';
import type { SandboxBotKind } from '../copies';
import type { GatewaySentMessage } from '../gateway';
import { SANDBOX_SERVICER, SANDBOX_WHATSAPP_TEAM } from '../world';
import type { ExecutionRow } from '../executions';

/**
 * Something the customer (or, for 微信客服, the person taking over; for WhatsApp, a colleague on the
 * business's phone) did in the simulator.
 */
export interface CustomerAction {
	workflowId: string;
	user: string;
	time: number;
	kind: 'message' | 'enter' | 'servicerEnds' | 'colleagueTypes';
	text?: string;
	/** What n8n (for WhatsApp: the gateway) answered, or why it could not be delivered. */
	delivery: string;
}

export interface ExecutionLink {
	id: string;
	status: string;
	url: string;
}

export interface Entry {
	time: number;
	from: 'customer' | 'bot' | 'colleague' | 'event';
	text: string;
	/** How it travelled: "app/message/send", "kf/send_msg", "welcome (send_msg_on_event)", … */
	via: string;
	/** For a customer's action: the executions it started. */
	executions?: ExecutionLink[];
	/** For a customer's action: n8n's answer when it was not WeCom's expected "success". */
	problem?: string;
}

/** service_state of a 微信客服 session [doc 94669], in the words of WeCom's admin console. */
export const KF_SERVICE_STATES: Record<number, string> = {
	0: '未处理 (new: the bot may answer)',
	1: '由智能助手接待 (with the bot)',
	2: '待接入池排队中 (waiting for a person: handed off)',
	3: '由人工接待 (a person is answering)',
	4: '已结束 (ended, or not begun yet)',
};

function textOf(message: { msgtype: string; content?: string; body: Record<string, unknown> }): string {
	if (message.content !== undefined) return message.content;
	const part = message.body[message.msgtype];
	return `[${message.msgtype}] ${JSON.stringify(part ?? {})}`;
}

/** Assigns each execution to the latest action of its workflow that came before it. */
export function executionsByAction(
	actions: CustomerAction[],
	executions: ExecutionRow[],
	link: (id: string) => string,
): Map<CustomerAction, ExecutionLink[]> {
	const ordered = [...actions].sort((a, b) => a.time - b.time);
	const result = new Map<CustomerAction, ExecutionLink[]>(ordered.map((action) => [action, []]));
	for (const execution of executions) {
		// n8n stores startedAt in milliseconds, the actions are stamped before the callback is sent.
		const owner = ordered.filter((action) => action.time <= execution.startedAt).at(-1);
		if (owner) result.get(owner)?.push({ id: execution.id, status: execution.status, url: link(execution.id) });
	}
	return result;
}

export interface ConversationInput {
	kind: SandboxBotKind;
	user: string;
	openKfId: string;
	/** Every action on this workflow (all customers): executions are matched against all of them. */
	actions: CustomerAction[];
	executions: ExecutionRow[];
	executionUrl: (id: string) => string;
	appMessages: readonly FakeSentMessage[];
	kfMessages: readonly FakeKfSentMessage[];
	kfAttempts: readonly FakeKfAttempt[];
	/** What went out through the WhatsApp gateway (empty without one). */
	whatsAppSent: readonly GatewaySentMessage[];
}

/** The words of the page for a WhatsApp chat that a colleague took over. */
export const WHATSAPP_SILENT = 'The bot stays silent in this chat: a colleague is answering (until AutoReply\'s pause ends).';

/** How each action reads on the page, and the way it travelled. */
function describeAction(kind: SandboxBotKind, action: CustomerAction): Pick<Entry, 'from' | 'text' | 'via'> {
	switch (action.kind) {
		case 'message': {
			const via = kind === 'kf' ? 'kf/sync_msg' : kind === 'whatsapp' ? 'WhatsApp (gateway webhook)' : 'app callback';
			return { from: 'customer', text: action.text ?? '', via };
		}
		case 'colleagueTypes':
			return { from: 'colleague', text: action.text ?? '', via: 'a colleague, typed on the linked phone (message.own)' };
		case 'enter':
			return { from: 'event', text: 'The customer opened the chat (enter_session)', via: 'kf event' };
		case 'servicerEnds':
			return { from: 'event', text: `${SANDBOX_SERVICER} ended the session (session_status_change 3)`, via: 'kf event' };
	}
}

/**
 * The bot's messages to the customer (`isCustomer(to)`), and those to a colleague (`colleague(to)` names them)
 * while the customer talked to it (a hand-off notice, say), from the customer's first action on.
 */
function botMessages(
	entries: Entry[],
	messages: Array<{ time: number; to: string; text: string }>,
	who: { isCustomer: (to: string) => boolean; colleague: (to: string) => string | undefined },
	via: string,
): void {
	const since = entries.length > 0 ? Math.min(...entries.map((entry) => entry.time)) : Number.POSITIVE_INFINITY;
	for (const message of messages) {
		const colleague = who.colleague(message.to);
		if (who.isCustomer(message.to)) entries.push({ time: message.time, from: 'bot', text: message.text, via });
		else if (colleague !== undefined && message.time >= since) {
			entries.push({ time: message.time, from: 'event', text: `To ${colleague}: ${message.text}`, via: `${via} (to a colleague)` });
		}
	}
}

export function conversation(input: ConversationInput): Entry[] {
	const links = executionsByAction(input.actions, input.executions, input.executionUrl);
	const entries: Entry[] = input.actions
		.filter((action) => action.user === input.user)
		.flatMap((action) => {
			const entry: Entry = {
				time: action.time,
				...describeAction(input.kind, action),
				executions: links.get(action) ?? [],
				...(action.delivery === 'success' ? {} : { problem: action.delivery }),
			};
			if (action.kind !== 'colleagueTypes' || action.delivery !== 'success') return [entry];
			return [entry, { time: action.time, from: 'event' as const, text: WHATSAPP_SILENT, via: 'AutoReply hand-off' }];
		});
	if (input.kind === 'app') {
		const messages = input.appMessages.map((message) => ({ time: message.time, to: String(message.body.touser ?? ''), text: textOf(message) }));
		botMessages(entries, messages, { isCustomer: (to) => to.split('|').includes(input.user), colleague: (to) => to }, 'app/message/send');
	} else if (input.kind === 'whatsapp') {
		const messages = input.whatsAppSent.map((message) => ({
			time: Date.parse(message.at),
			to: message.chatId,
			text: message.text ?? message.caption ?? '[media]',
		}));
		// Of the others the bot writes to, only the team: the rest are other customers' answers.
		const team = `${SANDBOX_WHATSAPP_TEAM}@c.us`;
		const colleague = (to: string) => (to === team ? `the team (+${SANDBOX_WHATSAPP_TEAM})` : undefined);
		botMessages(entries, messages, { isCustomer: (to) => to === `${input.user}@c.us`, colleague }, 'gateway /send');
	} else {
		for (const message of input.kfMessages) {
			if (message.external_userid !== input.user || message.open_kfid !== input.openKfId) continue;
			const via = message.via === 'send_msg' ? 'kf/send_msg' : `${message.codeKind ?? 'event'} (send_msg_on_event)`;
			entries.push({ time: message.time, from: 'bot', text: textOf(message), via });
		}
		for (const attempt of input.kfAttempts) {
			if (attempt.path !== '/cgi-bin/kf/service_state/trans' || attempt.external_userid !== input.user) continue;
			if (attempt.errcode !== 0 || attempt.service_state === undefined) continue;
			entries.push({
				time: attempt.time,
				from: 'event',
				text: `Transferred: the session is now ${KF_SERVICE_STATES[attempt.service_state] ?? attempt.service_state}`,
				via: 'kf/service_state/trans',
			});
		}
	}
	// A bot's answer and the action that caused it can share a millisecond: the action comes first.
	return entries.sort((a, b) => a.time - b.time || (a.from === 'bot' ? 1 : 0) - (b.from === 'bot' ? 1 : 0));
}
