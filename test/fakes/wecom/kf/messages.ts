// kf messages: kf/sync_msg [doc 94670], kf/send_msg [doc 94677] and kf/send_msg_on_event [doc 95122].
//
// Where the docs name no errcode, the fake picks one, and says so where it answers it:
// - a msgid already used on the same kf account: doc 94677 says only "若指定msgid，开发者需确保客服账号内唯一，
//   否则接口返回错误" (an error, no code); wxkefu-rs's examples/send_text.rs say the same. The fake answers
//   40058 不合法的参数 (the generic code of doc 90313) and sends nothing.
// - an unknown, used or expired code in send_msg_on_event: 40058 likewise.
// - sync_msg without open_kfid: 40058 with WeCom's errmsg "field open_kfid unexpected empty string. invalid
//   Request Parameter" (silenceper/wechat PR #672 saw this errmsg for `""`); an unknown cursor: 40058 too.
import { randomBytes } from 'node:crypto';

import type { FakeMedia } from '../media';
import {
	DAY,
	cutField,
	isObject,
	missingField,
	nonEmpty,
	type Answer,
	type JsonObject,
	type Reply,
	type RequestContext,
	type Routes,
} from '../platform';
import type { KfFaults } from './faults';
import { KF_REPLY_QUOTA, KF_REPLY_WINDOW, type FakeKfCodeKind, type KfState } from './state';

/** A message sent through kf/send_msg or kf/send_msg_on_event, as WeCom keeps it. */
export interface FakeKfSentMessage {
	msgid: string;
	via: 'send_msg' | 'send_msg_on_event';
	open_kfid: string;
	external_userid: string;
	msgtype: string;
	/** The request body with over-long fields already truncated. */
	body: JsonObject;
	/** text.content after truncation. */
	content?: string;
	truncated: boolean;
	/** send_msg_on_event: the code used and what it was for. */
	code?: string;
	codeKind?: FakeKfCodeKind;
	time: number;
}

export interface FakeKfPaging {
	/** At most this many messages a page (below the request's limit); default no cap below the limit. */
	pageSize?: number;
	/** The next this-many sync_msg calls answer has_more 1 with an empty msg_list ("可能会出现has_more为1，而
	 * msg_list为空的情况" [doc 94670]); the position does not move. */
	emptyPagesWithHasMore?: number;
}

export interface FakeKfMessagesApi {
	/** Messages that reached a customer through send_msg and send_msg_on_event, in order. */
	readonly kfSent: FakeKfSentMessage[];
	setKfSyncPaging(paging: FakeKfPaging): void;
}

/** "limit 期望请求的数据量，默认值和最大值都为1000" [doc 94670]. */
const SYNC_MAX = 1000;
/** sync_msg returns "最近3天内" messages [doc 94670]. */
const SYNC_HISTORY = 3 * DAY;
/** Message types each code allows [doc 95122]: 文本、菜单 for welcome and closing, 文本 otherwise. */
const CODE_TYPES: Record<FakeKfCodeKind, readonly string[]> = {
	welcome: ['text', 'msgmenu'],
	closing: ['text', 'msgmenu'],
	queue: ['text'],
	accept: ['text'],
};
/** msgid: "不多于32字节，字符串取值范围(正则表达式)：[0-9a-zA-Z_-]*" [doc 94677, 95122]. */
const MSGID = /^[0-9a-zA-Z_-]{1,32}$/;
/** msgmenu: list "不超过50个" of which click/view/miniprogram "不超过10个" [doc 94677]; send_msg_on_event
 * "不超过10个" items at all [doc 95122]. */
const MENU_MAX_ITEMS = 50;
const MENU_MAX_LINKS = 10;
const EVENT_MENU_MAX_ITEMS = 10;
const SEND_TYPES = new Set([
	'text',
	'image',
	'voice',
	'video',
	'file',
	'link',
	'miniprogram',
	'msgmenu',
	'location',
	'ca_link',
]);

export class KfMessages implements FakeKfMessagesApi {
	readonly kfSent: FakeKfSentMessage[] = [];
	readonly routes: Routes = {
		'/cgi-bin/kf/sync_msg': { auth: true, handle: (c) => this.syncMsg(c) },
		'/cgi-bin/kf/send_msg': { auth: true, handle: (c) => this.sendMsg(c) },
		'/cgi-bin/kf/send_msg_on_event': { auth: true, handle: (c) => this.sendMsgOnEvent(c) },
	};
	private paging: FakeKfPaging = {};
	private readonly cursorByPosition = new Map<string, string>();
	private readonly positionByCursor = new Map<string, { open_kfid: string; seq: number }>();

	constructor(
		private readonly state: KfState,
		private readonly faults: KfFaults,
		private readonly media: FakeMedia,
	) {}

	reset(): void {
		this.kfSent.length = 0;
		this.paging = {};
		this.cursorByPosition.clear();
		this.positionByCursor.clear();
	}

	setKfSyncPaging(paging: FakeKfPaging): void {
		this.paging = { ...this.paging, ...paging };
	}

	/** POST /cgi-bin/kf/sync_msg [doc 94670]. */
	private syncMsg({ body }: RequestContext): Answer {
		const openKfId = body.open_kfid;
		// open_kfid is required (是) in the current doc; the errcode is a guess (see the top of this file).
		if (!nonEmpty(openKfId)) return missingField('open_kfid');
		if (!this.state.account(openKfId)) return { errcode: 95004 };
		const now = this.state.now();
		if (nonEmpty(body.token)) {
			const token = this.state.callbackTokens.get(body.token);
			// 95007 不合法的msgtoken: unknown, expired (10 minutes) or another account's token.
			if (!token || now >= token.expiresAt || token.open_kfid !== openKfId) return { errcode: 95007 };
		}
		let after = -1;
		if (nonEmpty(body.cursor)) {
			const position = this.positionByCursor.get(body.cursor);
			// Guess: no errcode is documented for a cursor WeCom never gave; 40058.
			if (!position || position.open_kfid !== openKfId) return { errcode: 40058, errmsg: 'invalid cursor' };
			after = position.seq;
		}
		const requested = Number(body.limit ?? SYNC_MAX);
		// Default and maximum 1000; the fake reads a larger or non-positive limit as the maximum (a guess).
		let limit = Number.isInteger(requested) && requested > 0 ? Math.min(requested, SYNC_MAX) : SYNC_MAX;
		if (this.paging.pageSize !== undefined) limit = Math.min(limit, this.paging.pageSize);

		if ((this.paging.emptyPagesWithHasMore ?? 0) > 0) {
			this.paging.emptyPagesWithHasMore = (this.paging.emptyPagesWithHasMore ?? 0) - 1;
			return { errcode: 0, next_cursor: this.cursorAt(openKfId, after), has_more: 1, msg_list: [] };
		}
		const oldest = now - SYNC_HISTORY;
		const pending = this.state.messages.filter(
			(message) => message.open_kfid === openKfId && message.seq > after && message.time >= oldest,
		);
		const page = pending.slice(0, limit);
		const last = page.length > 0 ? page[page.length - 1].seq : after;
		return {
			errcode: 0,
			next_cursor: this.cursorAt(openKfId, last),
			has_more: pending.length > page.length ? 1 : 0,
			msg_list: page.map((message) => structuredClone(message.item)),
		};
	}

	/** POST /cgi-bin/kf/send_msg [doc 94677]. */
	private sendMsg({ body }: RequestContext): Reply | Promise<Reply> {
		const customer = { open_kfid: stringOr(body.open_kfid), external_userid: stringOr(body.touser) };
		return this.faults.attempt('/cgi-bin/kf/send_msg', customer, body, () => {
			const { open_kfid: openKfId, external_userid: touser } = customer;
			if (openKfId === '') return { errcode: 95000 };
			if (!this.state.account(openKfId)) return { errcode: 95004 };
			// Guess: touser is required, no errcode documented for its absence; 40058 as for other fields.
			if (touser === '') return missingField('touser');
			const msgidError = this.checkMsgid(openKfId, body.msgid);
			if (msgidError) return msgidError;
			const msgtype = body.msgtype;
			if (typeof msgtype !== 'string' || !SEND_TYPES.has(msgtype)) return { errcode: 40008 };
			const checked = this.checkBody(msgtype, body, MENU_MAX_ITEMS);
			if ('errcode' in checked) return checked;

			const session = this.state.existingSession(openKfId, touser);
			// Only "新接入待处理" (0) and "由智能助手接待" (1) may be sent to [doc 94677]; no session = 4.
			if (!session || (session.state !== 0 && session.state !== 1)) return { errcode: 95018 };
			const now = this.state.now();
			// 95002 发送客服消息时间限制: "仅当微信客户在主动发送消息给客服后的48小时内，企业可发送消息给客户" [doc 94677].
			// Guess: the session keeps its state here past 48 h, so a client meets 95002 rather than 95018 (a
			// session lasts "在48h内，或主动结束会话前" [doc 94669]; which code WeCom gives then is undocumented).
			if (session.lastCustomerMessageAt === undefined || now - session.lastCustomerMessageAt >= KF_REPLY_WINDOW)
				return { errcode: 95002 };
			// 95001 发送客服消息次数限制: "最多可发送5条消息；若用户继续发送消息，企业可再次下发消息".
			if (session.sentSinceCustomer >= KF_REPLY_QUOTA) return { errcode: 95001 };

			session.sentSinceCustomer += 1;
			const msgid = this.state.useMsgid(openKfId, body.msgid);
			this.kfSent.push({
				msgid,
				via: 'send_msg',
				open_kfid: openKfId,
				external_userid: touser,
				msgtype,
				body: checked.body,
				...(checked.content === undefined ? {} : { content: checked.content }),
				truncated: checked.truncated,
				time: now,
			});
			return { errcode: 0, msgid };
		});
	}

	/** POST /cgi-bin/kf/send_msg_on_event [doc 95122]. */
	private sendMsgOnEvent({ body }: RequestContext): Reply | Promise<Reply> {
		const codeValue = stringOr(body.code);
		const code = this.state.codes.get(codeValue);
		const customer = { open_kfid: code?.open_kfid ?? '', external_userid: code?.external_userid ?? '' };
		return this.faults.attempt('/cgi-bin/kf/send_msg_on_event', customer, body, () => {
			const now = this.state.now();
			// "仅可使用一次"; welcome and closing codes last 20 s, the others 48 h. Unknown, used or expired: 40058,
			// a guess (see the top of this file).
			if (!code || code.used || now >= code.expiresAt)
				return { errcode: 40058, errmsg: 'invalid code, hint: code is expired or has been used' };
			const msgidError = this.checkMsgid(code.open_kfid, body.msgid);
			if (msgidError) return msgidError;
			const msgtype = body.msgtype;
			if (typeof msgtype !== 'string' || !CODE_TYPES[code.kind].includes(msgtype)) return { errcode: 40008 };
			const checked = this.checkBody(msgtype, body, EVENT_MENU_MAX_ITEMS);
			if ('errcode' in checked) return checked;
			// "除“用户进入会话事件”以外，响应消息仅支持会话处于获取该code的会话状态时发送" [doc 95122].
			const session = this.state.session(code.open_kfid, code.external_userid);
			if (code.state !== undefined && session.state !== code.state) return { errcode: 95018 };

			code.used = true;
			if (code.kind === 'welcome') session.lastWelcomeAt = now;
			const msgid = this.state.useMsgid(code.open_kfid, body.msgid);
			this.kfSent.push({
				msgid,
				via: 'send_msg_on_event',
				open_kfid: code.open_kfid,
				external_userid: code.external_userid,
				msgtype,
				body: checked.body,
				...(checked.content === undefined ? {} : { content: checked.content }),
				truncated: checked.truncated,
				code: codeValue,
				codeKind: code.kind,
				time: now,
			});
			return { errcode: 0, msgid };
		});
	}

	// --- cursors -------------------------------------------------------------------------------------

	/** The cursor of a position in an account's messages: the same position always gets the same cursor. */
	private cursorAt(openKfId: string, seq: number): string {
		const key = `${openKfId}\n${seq}`;
		let cursor = this.cursorByPosition.get(key);
		if (!cursor) {
			cursor = randomBytes(12).toString('base64url');
			this.cursorByPosition.set(key, cursor);
			this.positionByCursor.set(cursor, { open_kfid: openKfId, seq });
		}
		return cursor;
	}

	// --- bodies --------------------------------------------------------------------------------------

	/** msgid: optional, ≤32 bytes of [0-9a-zA-Z_-], unique per kf account (the errcode is a guess, above). */
	private checkMsgid(openKfId: string, msgid: unknown): Answer | undefined {
		if (msgid === undefined || msgid === '') return undefined;
		if (typeof msgid !== 'string' || !MSGID.test(msgid))
			return { errcode: 40058, errmsg: 'invalid msgid. invalid Request Parameter' };
		if (this.state.isUsedMsgid(openKfId, msgid))
			return { errcode: 40058, errmsg: 'msgid duplicated. invalid Request Parameter' };
		return undefined;
	}

	/**
	 * The msgtype part of a send_msg or send_msg_on_event body [doc 94677, 95122]: required fields, media
	 * issued by media/upload, WeCom's truncation of over-long text, and the menu limits (95008 菜单项个数超过
	 * 上限, 95009 不合法的菜单项类型).
	 */
	private checkBody(
		msgtype: string,
		original: JsonObject,
		maxMenuItems: number,
	): Answer | { body: JsonObject; content?: string; truncated: boolean } {
		const body = structuredClone(original);
		const part = isObject(body[msgtype]) ? (body[msgtype] as JsonObject) : {};
		let truncated = false;
		const cut = (obj: JsonObject, key: string, maxBytes: number) => {
			truncated = cutField(obj, key, maxBytes) || truncated;
		};
		let content: string | undefined;
		switch (msgtype) {
			case 'text': {
				if (!nonEmpty(part.content)) return { errcode: 44004 };
				// "消息内容，最长不超过2048个字节，超出部分截断".
				cut(part, 'content', 2048);
				content = part.content as string;
				break;
			}
			case 'image':
			case 'voice':
			case 'video':
			case 'file': {
				const error = this.media.mediaIdError(part.media_id);
				if (error) return error;
				break;
			}
			case 'link': {
				if (!nonEmpty(part.title)) return { errcode: 41016 };
				if (!nonEmpty(part.url)) return { errcode: 41010 };
				const error = this.media.mediaIdError(part.thumb_media_id);
				if (error) return error;
				// "标题，不超过128个字节，超过会自动截断", "描述，不超过512个字节，超过会自动截断".
				cut(part, 'title', 128);
				cut(part, 'desc', 512);
				break;
			}
			case 'miniprogram': {
				if (!nonEmpty(part.appid)) return missingField('appid');
				if (!nonEmpty(part.pagepath)) return missingField('pagepath');
				const error = this.media.mediaIdError(part.thumb_media_id);
				if (error) return error;
				// "最多64个字节，超过会自动截断".
				cut(part, 'title', 64);
				break;
			}
			case 'location': {
				// "location.latitude 是", "location.longitude 是" (required) [doc 94677]; the errcode for their
				// absence is not documented: 40058, a guess.
				if (typeof part.latitude !== 'number') return missingField('location.latitude');
				if (typeof part.longitude !== 'number') return missingField('location.longitude');
				break;
			}
			case 'ca_link': {
				// "ca_link.link_url 是" [doc 94677]; 40058 when missing, a guess likewise.
				if (!nonEmpty(part.link_url)) return missingField('ca_link.link_url');
				break;
			}
			case 'msgmenu': {
				const list = part.list === undefined ? [] : part.list;
				if (!Array.isArray(list)) return { errcode: 95009 };
				if (list.length > maxMenuItems) return { errcode: 95008 };
				let links = 0;
				for (const entry of list) {
					const item: JsonObject = isObject(entry) ? entry : {};
					const type = item.type;
					if (type !== 'click' && type !== 'view' && type !== 'miniprogram' && type !== 'text')
						return { errcode: 95009 };
					const fields: JsonObject = isObject(item[type]) ? (item[type] as JsonObject) : {};
					if (!nonEmpty(fields.content)) return missingField(`${type}.content`);
					if (type === 'view' && !nonEmpty(fields.url)) return missingField('view.url');
					if (type === 'miniprogram' && (!nonEmpty(fields.appid) || !nonEmpty(fields.pagepath)))
						return missingField('miniprogram.appid');
					if (type !== 'text') links += 1;
				}
				if (links > MENU_MAX_LINKS) return { errcode: 95008 };
				break;
			}
		}
		return { body, ...(content === undefined ? {} : { content }), truncated };
	}
}

function stringOr(value: unknown): string {
	return typeof value === 'string' ? value : '';
}
