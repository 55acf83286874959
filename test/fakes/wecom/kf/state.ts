// The world behind the kf (微信客服) APIs: accounts, servicers, customers, sessions and the message store
// that sync_msg reads, with the test side that plays customers, servicers and WeCom's events.
// Sources: doc 94670 接收消息和事件, 94677 发送消息, 95122 发送欢迎语等事件响应消息, 94669 分配客服会话
// (mirrored in funcodingdev/n8n-nodes-wecom @ f6ba5db `docs/001-企业内部开发/002-服务端API/016-微信客服/…`).
import { randomBytes } from 'node:crypto';

import {
	HOUR,
	MINUTE,
	SECOND,
	withoutUndefined,
	type Clock,
	type JsonObject,
} from '../platform';

/** A kf account [doc 94661]. */
export interface FakeKfAccount {
	open_kfid: string;
	name: string;
	avatar?: string;
	/** Whether this app may manage the account ("通过API管理"); default true. */
	manage_privilege?: boolean;
}

/** An entry of servicer/list [doc 94645]: a member (status 0 接待中 / 1 停止接待) or a department. */
export type FakeKfServicer =
	| { userid: string; status?: 0 | 1; stop_type?: 0 | 1 }
	| { department_id: number };

/** A WeChat customer as customer/batchget returns it [doc 95159]. */
export interface FakeKfCustomer {
	external_userid: string;
	nickname?: string;
	avatar?: string;
	/** 0 unknown, 1 male, 2 female. */
	gender?: number;
	unionid?: string;
}

/** A message as a customer (origin 3) or a servicer (origin 5) sends it: `{ msgtype, <msgtype>: {...} }`. */
export type FakeKfMessage = { msgtype: string } & JsonObject;

/** Events the tests can play (origin 4) [doc 94670 事件消息]. */
export type FakeKfEvent =
	| {
			event_type: 'enter_session';
			scene?: string;
			scene_param?: string;
			wechat_channels?: JsonObject;
			/** Force (true) or suppress (false) the welcome_code; default: the doc's rule. */
			welcome?: boolean;
	  }
	| {
			/** 1 从接待池接入, 2 转接, 3 结束, 4 重新接入已结束/已转接会话. */
			event_type: 'session_status_change';
			change_type: 1 | 2 | 3 | 4;
			old_servicer_userid?: string;
			new_servicer_userid?: string;
	  }
	| { event_type: 'msg_send_fail'; fail_msgid: string; fail_type: number }
	| {
			/** A servicer starts (status 1 接待中) or stops (2 停止接待; stop_type 0 停止接待, 1 暂时挂起)
			 * receiving; servicer/list follows (status 0 / 1 there). The event names no customer. */
			event_type: 'servicer_status_change';
			servicer_userid: string;
			status: 1 | 2;
			stop_type?: 0 | 1;
	  }
	| {
			event_type: 'user_recall_msg' | 'servicer_recall_msg' | 'reject_customer_msg_switch_change';
			[key: string]: unknown;
	  };

export interface FakeKfPulled {
	msgid: string;
	/** A fresh callback Token for kf/sync_msg, valid 10 minutes on the fake's clock. */
	token: string;
	/** welcome_code (enter_session) or msg_code (session_status_change 1 and 3), when issued. */
	code?: string;
}

export type FakeKfCodeKind = 'welcome' | 'queue' | 'accept' | 'closing';

export interface FakeKfSessionState {
	service_state: number;
	servicer_userid?: string;
}

export interface FakeKfOptions {
	/** Default one account: { open_kfid: 'wkFAKEKF0001', name: '客服小助手' }. */
	kfAccounts?: FakeKfAccount[];
	/** Servicers per open_kfid; default: 'zhangsan' (接待中) on the default account. */
	kfServicers?: Record<string, FakeKfServicer[]>;
	/** Customers known from the start; a customer who sends is added anyway. */
	kfCustomers?: FakeKfCustomer[];
}

/** The test side of the kf world: who exists, who writes, what WeCom's events do to a session. */
export interface FakeKfWorldApi {
	readonly kfAccounts: readonly FakeKfAccount[];
	addKfAccount(account: FakeKfAccount): void;
	/** Adds (or replaces, by userid) a servicer of the account. */
	addKfServicer(open_kfid: string, servicer: FakeKfServicer): void;
	setKfServicerStatus(open_kfid: string, userid: string, status: 0 | 1): void;
	addKfCustomer(customer: FakeKfCustomer): void;
	/** The customer writes (origin 3): a new session if there was none or it had ended (state 4 → 0), and the
	 * 48-hour window and the 5-message quota start again [doc 94677]. */
	kfCustomerSends(open_kfid: string, external_userid: string, message: FakeKfMessage): FakeKfPulled;
	/** A system event (origin 4); applies its state change and issues codes as the doc says. */
	kfEvent(open_kfid: string, external_userid: string, event: FakeKfEvent): FakeKfPulled;
	/** A servicer writes from the WeCom client (origin 5). Into an ended session (state 4) this brings the
	 * customer back to that servicer (state 3) with a session_status_change event, change_type 4 [doc 94669]. */
	kfServicerSends(
		open_kfid: string,
		external_userid: string,
		servicer_userid: string,
		message: FakeKfMessage,
	): FakeKfPulled;
	/** Sets the state directly (no codes, no checks), e.g. to put a session with a human. */
	setKfSessionState(open_kfid: string, external_userid: string, state: number, servicer_userid?: string): void;
	kfSessionState(open_kfid: string, external_userid: string): FakeKfSessionState;
	/** A fresh callback Token for the account, as a kf_msg_or_event callback would carry. */
	kfCallbackToken(open_kfid: string): string;
}

const DEFAULT_ACCOUNT: FakeKfAccount = { open_kfid: 'wkFAKEKF0001', name: '客服小助手' };
const DEFAULT_SERVICERS: Record<string, FakeKfServicer[]> = {
	[DEFAULT_ACCOUNT.open_kfid]: [{ userid: 'zhangsan', status: 0 }],
};
/** Callback Token: "10分钟内有效" [doc 94670]. */
const CALLBACK_TOKEN_TTL = 10 * MINUTE;
/** "仅当微信客户在主动发送消息给客服后的48小时内，企业可发送消息给客户，最多可发送5条消息；若用户继续发送消息，企业
 * 可再次下发消息" [doc 94677]. The same 48 hours bound a session [doc 94669], customer/batchget [doc 95159]
 * and the welcome_code rule [doc 94670]. */
export const KF_REPLY_WINDOW = 48 * HOUR;
export const KF_REPLY_QUOTA = 5;
/** send_msg_on_event code validity [doc 95122]: welcome and closing 20 s, the others 48 h. */
const CODE_TTL: Record<FakeKfCodeKind, number> = {
	welcome: 20 * SECOND,
	closing: 20 * SECOND,
	queue: 48 * HOUR,
	accept: 48 * HOUR,
};
/** The session state a code stays valid in: "除“用户进入会话事件”以外，响应消息仅支持会话处于获取该code的会话状态时
 * 发送" [doc 95122]. */
const CODE_STATE: Record<FakeKfCodeKind, number | undefined> = {
	welcome: undefined,
	queue: 2,
	accept: 3,
	closing: 4,
};

export interface KfSession {
	state: number;
	servicer_userid?: string;
	/** Time of the customer's last message (origin 3); undefined = never wrote. */
	lastCustomerMessageAt?: number;
	/** Messages sent through send_msg since that message. */
	sentSinceCustomer: number;
	/** Last customer activity (a message or entering the session): customer/batchget's 48-hour rule. */
	lastActiveAt?: number;
	lastWelcomeAt?: number;
	/** States 2 and 3 already reached in this session (msg_code comes "初次变更为…2和3时" only). */
	reached: Set<number>;
	enterContext?: JsonObject;
}

export interface KfStoredMessage {
	seq: number;
	open_kfid: string;
	time: number;
	item: JsonObject;
}

export interface KfCode {
	kind: FakeKfCodeKind;
	open_kfid: string;
	external_userid: string;
	expiresAt: number;
	/** The state the session must still be in (all but welcome) [doc 95122]. */
	state?: number;
	used: boolean;
}

/** State shared by the kf APIs, and the test side that changes it. */
export class KfState implements FakeKfWorldApi {
	readonly kfAccounts: FakeKfAccount[] = [];
	readonly servicers = new Map<string, FakeKfServicer[]>();
	readonly customers = new Map<string, FakeKfCustomer>();
	readonly sessions = new Map<string, KfSession>();
	/** Everything sync_msg can return, in order (`seq` rises). */
	readonly messages: KfStoredMessage[] = [];
	readonly callbackTokens = new Map<string, { open_kfid: string; expiresAt: number }>();
	readonly codes = new Map<string, KfCode>();
	/** msgids used per account, by send_msg and send_msg_on_event. */
	private readonly usedMsgids = new Map<string, Set<string>>();
	private seq = 0;

	constructor(
		private readonly options: FakeKfOptions,
		readonly now: Clock,
	) {
		this.reset();
	}

	reset(): void {
		this.kfAccounts.length = 0;
		this.kfAccounts.push(...(this.options.kfAccounts ?? [DEFAULT_ACCOUNT]).map((a) => ({ ...a })));
		this.messages.length = 0;
		for (const map of [
			this.servicers,
			this.customers,
			this.sessions,
			this.callbackTokens,
			this.codes,
			this.usedMsgids,
		]) {
			map.clear();
		}
		const servicers = this.options.kfServicers ?? (this.options.kfAccounts ? {} : DEFAULT_SERVICERS);
		for (const [openKfId, list] of Object.entries(servicers)) {
			this.servicers.set(openKfId, list.map((servicer) => ({ ...servicer })));
		}
		for (const customer of this.options.kfCustomers ?? [])
			this.customers.set(customer.external_userid, { ...customer });
		this.seq = 0;
	}

	// --- test side -----------------------------------------------------------------------------------

	addKfAccount(account: FakeKfAccount): void {
		this.kfAccounts.push({ ...account });
	}

	addKfServicer(openKfId: string, servicer: FakeKfServicer): void {
		const list = (this.servicers.get(openKfId) ?? []).filter(
			(entry) => !('userid' in servicer && 'userid' in entry && entry.userid === servicer.userid),
		);
		list.push({ ...servicer });
		this.servicers.set(openKfId, list);
	}

	setKfServicerStatus(openKfId: string, userid: string, status: 0 | 1): void {
		const servicer = this.servicer(openKfId, userid);
		if (!servicer) throw new Error(`fake kf: ${userid} is not a servicer of ${openKfId}`);
		servicer.status = status;
	}

	addKfCustomer(customer: FakeKfCustomer): void {
		this.customers.set(customer.external_userid, { ...customer });
	}

	kfCustomerSends(openKfId: string, externalUserId: string, message: FakeKfMessage): FakeKfPulled {
		this.requireAccount(openKfId);
		if (!this.customers.has(externalUserId)) {
			this.customers.set(externalUserId, {
				external_userid: externalUserId,
				nickname: `客户${this.customers.size + 1}`,
			});
		}
		const session = this.session(openKfId, externalUserId);
		const now = this.now();
		// "客户发消息咨询后会话状态变为“未处理”" [doc 94669]: a new session begins.
		if (session.state === 4) {
			session.state = 0;
			session.servicer_userid = undefined;
			session.reached.clear();
		}
		session.lastCustomerMessageAt = now;
		session.lastActiveAt = now;
		session.sentSinceCustomer = 0;
		const msgid = this.store(openKfId, {
			open_kfid: openKfId,
			external_userid: externalUserId,
			origin: 3,
			...structuredClone(message),
		});
		return { msgid, token: this.kfCallbackToken(openKfId) };
	}

	kfServicerSends(
		openKfId: string,
		externalUserId: string,
		servicerUserId: string,
		message: FakeKfMessage,
	): FakeKfPulled {
		this.requireAccount(openKfId);
		const msgid = this.store(openKfId, {
			open_kfid: openKfId,
			external_userid: externalUserId,
			origin: 5,
			servicer_userid: servicerUserId,
			...structuredClone(message),
		});
		// "接待人员通过客户端在已结束会话中成功发送消息后，会话状态变为“由人工接待”，此时会产生会话状态变更回调事件
		// （4-重新接入已结束/已转接会话）" [doc 94669].
		const session = this.existingSession(openKfId, externalUserId);
		if (session?.state === 4) {
			session.state = 3;
			session.servicer_userid = servicerUserId;
			session.reached.add(3);
			this.store(openKfId, {
				origin: 4,
				msgtype: 'event',
				event: {
					event_type: 'session_status_change',
					open_kfid: openKfId,
					external_userid: externalUserId,
					change_type: 4,
					new_servicer_userid: servicerUserId,
				},
			});
		}
		return { msgid, token: this.kfCallbackToken(openKfId) };
	}

	kfEvent(openKfId: string, externalUserId: string, input: FakeKfEvent): FakeKfPulled {
		this.requireAccount(openKfId);
		const now = this.now();
		// open_kfid and external_userid of an event are inside `event` only [doc 94670].
		let event: JsonObject = {
			event_type: input.event_type,
			open_kfid: openKfId,
			external_userid: externalUserId,
		};
		let code: string | undefined;
		switch (input.event_type) {
			case 'servicer_status_change': {
				// The doc's fields, in its order; no customer.
				event = {
					event_type: input.event_type,
					servicer_userid: input.servicer_userid,
					status: input.status,
					stop_type: input.stop_type ?? 0,
					open_kfid: openKfId,
				};
				const servicer = this.servicer(openKfId, input.servicer_userid);
				if (servicer) {
					servicer.status = input.status === 1 ? 0 : 1;
					servicer.stop_type = input.stop_type ?? 0;
				}
				break;
			}
			case 'enter_session': {
				const session = this.session(openKfId, externalUserId);
				const { welcome, ...fields } = input;
				session.enterContext = withoutUndefined({
					scene: fields.scene,
					scene_param: fields.scene_param,
					wechat_channels: fields.wechat_channels,
				});
				Object.assign(event, session.enterContext);
				session.lastActiveAt = now;
				// welcome_code only if the customer "在过去48小时里未收过欢迎语，且未向客服发过消息" [doc 94670].
				const recent = (time: number | undefined) => time !== undefined && now - time < KF_REPLY_WINDOW;
				const eligible = !recent(session.lastWelcomeAt) && !recent(session.lastCustomerMessageAt);
				if (welcome ?? eligible) {
					code = this.issueCode('welcome', openKfId, externalUserId);
					event.welcome_code = code;
				}
				break;
			}
			case 'session_status_change': {
				const session = this.session(openKfId, externalUserId);
				event.change_type = input.change_type;
				if (input.old_servicer_userid) event.old_servicer_userid = input.old_servicer_userid;
				if (input.new_servicer_userid) event.new_servicer_userid = input.new_servicer_userid;
				if (input.change_type === 3) {
					session.state = 4;
					session.servicer_userid = undefined;
				} else {
					session.state = 3;
					session.servicer_userid = input.new_servicer_userid ?? session.servicer_userid;
					session.reached.add(3);
				}
				// msg_code for 1 (从接待池接入) and 3 (结束会话) [doc 94670]; valid in the state it was issued in.
				if (input.change_type === 1 || input.change_type === 3) {
					code = this.issueCode(input.change_type === 1 ? 'accept' : 'closing', openKfId, externalUserId);
					event.msg_code = code;
				}
				break;
			}
			default: {
				const { event_type: _type, ...fields } = input;
				Object.assign(event, fields);
			}
		}
		const msgid = this.store(openKfId, { origin: 4, msgtype: 'event', event });
		return { msgid, token: this.kfCallbackToken(openKfId), ...(code === undefined ? {} : { code }) };
	}

	setKfSessionState(openKfId: string, externalUserId: string, state: number, servicerUserId?: string): void {
		const session = this.session(openKfId, externalUserId);
		session.state = state;
		session.servicer_userid = state === 3 ? servicerUserId : undefined;
	}

	kfSessionState(openKfId: string, externalUserId: string): FakeKfSessionState {
		const session = this.sessions.get(sessionKey(openKfId, externalUserId));
		if (!session) return { service_state: 4 };
		return session.state === 3
			? { service_state: 3, servicer_userid: session.servicer_userid }
			: { service_state: session.state };
	}

	kfCallbackToken(openKfId: string): string {
		const token = `ENC${randomBytes(33).toString('base64url')}`;
		this.callbackTokens.set(token, { open_kfid: openKfId, expiresAt: this.now() + CALLBACK_TOKEN_TTL });
		return token;
	}

	// --- for the API handlers ------------------------------------------------------------------------

	account(openKfId: string): FakeKfAccount | undefined {
		return this.kfAccounts.find((account) => account.open_kfid === openKfId);
	}

	servicer(openKfId: string, userid: string): Extract<FakeKfServicer, { userid: string }> | undefined {
		for (const servicer of this.servicers.get(openKfId) ?? [])
			if ('userid' in servicer && servicer.userid === userid) return servicer;
		return undefined;
	}

	/** The session of a customer with an account; one in state 4 (已结束/未开始) is made when there is none. */
	session(openKfId: string, externalUserId: string): KfSession {
		const key = sessionKey(openKfId, externalUserId);
		let session = this.sessions.get(key);
		if (!session) {
			session = { state: 4, sentSinceCustomer: 0, reached: new Set() };
			this.sessions.set(key, session);
		}
		return session;
	}

	existingSession(openKfId: string, externalUserId: string): KfSession | undefined {
		return this.sessions.get(sessionKey(openKfId, externalUserId));
	}

	/** Every session of a customer, with any account. */
	sessionsOf(externalUserId: string): KfSession[] {
		return [...this.sessions.entries()]
			.filter(([key]) => key.endsWith(`\n${externalUserId}`))
			.map(([, session]) => session);
	}

	issueCode(kind: FakeKfCodeKind, openKfId: string, externalUserId: string): string {
		const code = randomBytes(24).toString('base64url');
		const state = CODE_STATE[kind];
		this.codes.set(code, {
			kind,
			open_kfid: openKfId,
			external_userid: externalUserId,
			expiresAt: this.now() + CODE_TTL[kind],
			...(state === undefined ? {} : { state }),
			used: false,
		});
		return code;
	}

	isUsedMsgid(openKfId: string, msgid: string): boolean {
		return this.usedMsgids.get(openKfId)?.has(msgid) ?? false;
	}

	/** The msgid given ("原样返回") or a generated one, remembered for the duplicate check. */
	useMsgid(openKfId: string, given: unknown): string {
		const msgid = typeof given === 'string' && given !== '' ? given : randomBytes(16).toString('hex');
		const used = this.usedMsgids.get(openKfId) ?? new Set<string>();
		used.add(msgid);
		this.usedMsgids.set(openKfId, used);
		return msgid;
	}

	private requireAccount(openKfId: string): void {
		if (!this.account(openKfId)) throw new Error(`fake kf: no account ${openKfId}`);
	}

	private store(openKfId: string, fields: JsonObject): string {
		const msgid = randomBytes(16).toString('hex').toUpperCase();
		const time = this.now();
		this.seq += 1;
		// Field order as in the doc's sample: msgid, open_kfid, external_userid, send_time, origin, …
		const { open_kfid, external_userid, ...rest } = fields;
		const item = withoutUndefined({
			msgid,
			open_kfid,
			external_userid,
			send_time: Math.floor(time / 1000),
			...rest,
		});
		this.messages.push({ seq: this.seq, open_kfid: openKfId, time, item });
		return msgid;
	}
}

function sessionKey(openKfId: string, externalUserId: string): string {
	return `${openKfId}\n${externalUserId}`;
}
