// App messages: message/send [doc 90236] and message/recall [doc 94867].
import { randomBytes } from 'node:crypto';

import type { FakeMedia } from './media';
import {
	HOUR,
	cutField,
	isObject,
	nonEmpty,
	type Answer,
	type Clock,
	type FakeWeComApp,
	type JsonObject,
	type RequestContext,
	type Routes,
} from './platform';

export interface FakeAppOptions {
	/** User ids outside the app's visible range: reported in invaliduser (compared case-insensitively). */
	unknownUsers?: string[];
	/** Department ids reported in invalidparty. */
	unknownParties?: string[];
	/** Tag ids reported in invalidtag. */
	unknownTags?: string[];
}

export interface FakeSentMessage {
	msgid: string;
	agentId: number;
	msgtype: string;
	/** The request body as WeCom keeps it: over-long fields already truncated. */
	body: JsonObject;
	/** text.content or markdown.content after truncation. */
	content?: string;
	/** Whether WeCom's length limits cut any field. */
	truncated: boolean;
	invaliduser: string;
	invalidparty: string;
	invalidtag: string;
	response_code?: string;
	time: number;
}

export interface FakeAppApi {
	readonly sentMessages: FakeSentMessage[];
	/** msgids recalled with message/recall. */
	readonly recalled: string[];
}

/** message/recall: "可以撤回24小时内…推送的消息" [doc 94867]. */
const RECALL_WINDOW = 24 * HOUR;
/** msgtypes of message/send handled here [doc 90236]. */
const MESSAGE_TYPES = new Set([
	'text',
	'markdown',
	'textcard',
	'news',
	'image',
	'voice',
	'video',
	'file',
	'mpnews',
	'template_card',
]);
/** template_card card_type values; the interactive ones return response_code [doc 90236]. */
const CARD_TYPES = new Set([
	'text_notice',
	'news_notice',
	'button_interaction',
	'vote_interaction',
	'multiple_interaction',
]);
const INTERACTIVE_CARD_TYPES = new Set(['button_interaction', 'vote_interaction', 'multiple_interaction']);

export class FakeAppMessages implements FakeAppApi {
	readonly sentMessages: FakeSentMessage[] = [];
	readonly recalled: string[] = [];
	readonly routes: Routes = {
		'/cgi-bin/message/send': { auth: true, handle: (c, app) => this.send(c, app) },
		'/cgi-bin/message/recall': { auth: true, handle: (c, app) => this.recall(c, app) },
	};
	private readonly unknownUsers: Set<string>;
	private readonly unknownParties: Set<string>;
	private readonly unknownTags: Set<string>;
	private readonly sentById = new Map<string, FakeSentMessage>();

	constructor(
		options: FakeAppOptions,
		private readonly now: Clock,
		private readonly media: FakeMedia,
	) {
		this.unknownUsers = new Set((options.unknownUsers ?? []).map((id) => id.toLowerCase()));
		this.unknownParties = new Set(options.unknownParties ?? []);
		this.unknownTags = new Set(options.unknownTags ?? []);
	}

	reset(): void {
		this.sentMessages.length = 0;
		this.recalled.length = 0;
		this.sentById.clear();
	}

	// --- message/send [doc 90236] --------------------------------------------------------------------

	private send({ body }: RequestContext, app: FakeWeComApp): Answer {
		if (body.agentid === undefined || body.agentid === '') return { errcode: 41011 };
		// A token belongs to one app: "获取到的access_token只能本应用使用" [doc 91039] → 301002.
		if (Number(body.agentid) !== app.agentId) return { errcode: 301002 };
		const msgtype = body.msgtype;
		if (typeof msgtype !== 'string' || !MESSAGE_TYPES.has(msgtype)) return { errcode: 40008 };

		const users = splitIds(body.touser);
		const parties = splitIds(body.toparty);
		const tags = splitIds(body.totag);
		// "touser、toparty、totag不能同时为空" [doc 90236]; the errcode for it is 82001 指定的成员/部门/标签全部为空
		// [doc 90313], and WeCom answers it with errmsg "All touser & toparty & totag invalid" (cnblogs
		// HLeng/p/5683514: a body that spelled `toUser` got exactly that).
		if (users.length + parties.length + tags.length === 0) return { errcode: 82001 };
		// "最多支持1000个" users, "最多支持100个" parties and tags [doc 90236]; codes from doc 90313.
		if (users.length > 1000) return { errcode: 40032 };
		if (parties.length > 100) return { errcode: 82002 };
		if (tags.length > 100) return { errcode: 82003 };

		const checked = this.checkBody(msgtype, body);
		if ('errcode' in checked) return checked;

		// "@all" sends to the whole visible range and ignores toparty/totag [doc 90236].
		const toAll = users.includes('@all');
		// "返回包中的userid，不区分大小写，统一转为小写" [doc 90236].
		const invalidUsers = toAll
			? []
			: users.map((id) => id.toLowerCase()).filter((id) => this.unknownUsers.has(id));
		const invalidParties = toAll ? [] : parties.filter((id) => this.unknownParties.has(id));
		const invalidTags = toAll ? [] : tags.filter((id) => this.unknownTags.has(id));
		const lists = {
			invaliduser: invalidUsers.join('|'),
			invalidparty: invalidParties.join('|'),
			invalidtag: invalidTags.join('|'),
			unlicenseduser: '',
		};
		const invalidCount = invalidUsers.length + invalidParties.length + invalidTags.length;
		// "如果部分接收人无权限或不存在，发送仍然执行…如果全部接收人无权限或不存在，则本次调用返回失败，errcode为81013"
		if (!toAll && invalidCount === users.length + parties.length + tags.length)
			return { errcode: 81013, ...lists };

		const msgid = randomBytes(47).toString('base64url');
		// response_code only for the interactive template cards (and text/news notices with action_menu)
		// [doc 90236 "参数说明"].
		const responseCode = checked.interactive ? randomBytes(32).toString('base64url') : undefined;
		const sent: FakeSentMessage = {
			msgid,
			agentId: app.agentId,
			msgtype,
			body: checked.body,
			...(checked.content === undefined ? {} : { content: checked.content }),
			truncated: checked.truncated,
			invaliduser: lists.invaliduser,
			invalidparty: lists.invalidparty,
			invalidtag: lists.invalidtag,
			...(responseCode === undefined ? {} : { response_code: responseCode }),
			time: this.now(),
		};
		this.sentMessages.push(sent);
		this.sentById.set(msgid, sent);
		return { errcode: 0, ...lists, msgid, ...(responseCode === undefined ? {} : { response_code: responseCode }) };
	}

	/**
	 * Validates the part of a message/send body that belongs to its msgtype and applies WeCom's truncation
	 * ("超过将截断"). Missing fields get the doc 90313 code that names them (41006 media_id, 41010 url, 41016
	 * title, 41033 description, 44004 content); a media_id the fake never issued (or older than 3 days) gets
	 * 40007.
	 */
	private checkBody(
		msgtype: string,
		original: JsonObject,
	): Answer | { body: JsonObject; content?: string; truncated: boolean; interactive: boolean } {
		const body = structuredClone(original);
		const part = isObject(body[msgtype]) ? (body[msgtype] as JsonObject) : {};
		let truncated = false;
		const cut = (obj: JsonObject, key: string, max: number, unit: 'bytes' | 'chars') => {
			truncated = cutField(obj, key, max, unit) || truncated;
		};
		let content: string | undefined;
		let interactive = false;

		switch (msgtype) {
			case 'text':
			case 'markdown': {
				if (!nonEmpty(part.content)) return { errcode: 44004 };
				// text and markdown: "最长不超过2048个字节，超过将截断". Cut at a character boundary.
				cut(part, 'content', 2048, 'bytes');
				content = part.content as string;
				break;
			}
			case 'textcard': {
				if (!nonEmpty(part.title)) return { errcode: 41016 };
				if (!nonEmpty(part.description)) return { errcode: 41033 };
				if (!nonEmpty(part.url)) return { errcode: 41010 };
				cut(part, 'title', 128, 'chars');
				cut(part, 'description', 512, 'chars');
				cut(part, 'btntxt', 4, 'chars');
				break;
			}
			case 'news':
			case 'mpnews': {
				const articles = Array.isArray(part.articles) ? part.articles : [];
				// "一个图文消息支持1到8条图文"; 45008 图文消息的文章数量不符合系统限制.
				if (articles.length < 1 || articles.length > 8) return { errcode: 45008 };
				for (const article of articles) {
					const item: JsonObject = isObject(article) ? article : {};
					if (!nonEmpty(item.title)) return { errcode: 41016 };
					if (msgtype === 'news') {
						// "小程序或者url必须填写一个"
						if (!nonEmpty(item.url) && !(nonEmpty(item.appid) && nonEmpty(item.pagepath)))
							return { errcode: 41010 };
						cut(item, 'description', 512, 'bytes');
					} else {
						const error = this.media.mediaIdError(item.thumb_media_id);
						if (error) return error;
						if (!nonEmpty(item.content)) return { errcode: 44004 };
						cut(item, 'digest', 512, 'bytes');
					}
					cut(item, 'title', 128, 'bytes');
				}
				break;
			}
			case 'image':
			case 'voice':
			case 'video':
			case 'file': {
				const error = this.media.mediaIdError(part.media_id);
				if (error) return error;
				if (msgtype === 'video') {
					cut(part, 'title', 128, 'bytes');
					cut(part, 'description', 512, 'bytes');
				}
				break;
			}
			case 'template_card': {
				// 42031 Template_Card.CardType 字段不合法 [doc 90313].
				if (typeof part.card_type !== 'string' || !CARD_TYPES.has(part.card_type)) return { errcode: 42031 };
				interactive = INTERACTIVE_CARD_TYPES.has(part.card_type) || isObject(part.action_menu);
				break;
			}
		}
		return { body, ...(content === undefined ? {} : { content }), truncated, interactive };
	}

	// --- message/recall [doc 94867] ------------------------------------------------------------------

	private recall({ body }: RequestContext, app: FakeWeComApp): Answer {
		const msgid = typeof body.msgid === 'string' ? body.msgid : '';
		const sent = this.sentById.get(msgid);
		// Guess: no errcode is documented for a msgid that was never sent (or was already recalled); the
		// fake answers doc 90313's generic 40058 不合法的参数. 42052 "msgid已过期 仅可撤回24小时内的消息" is
		// documented.
		if (!sent || sent.agentId !== app.agentId || this.recalled.includes(msgid)) return { errcode: 40058 };
		if (this.now() - sent.time > RECALL_WINDOW) return { errcode: 42052 };
		this.recalled.push(msgid);
		return { errcode: 0 };
	}
}

/** "UserID1|UserID2" → ids; WeCom's own examples put spaces around the bars ("TagID1 | TagID2"). */
function splitIds(value: unknown): string[] {
	if (typeof value !== 'string' && typeof value !== 'number') return [];
	return String(value)
		.split('|')
		.map((id) => id.trim())
		.filter((id) => id !== '');
}
