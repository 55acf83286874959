// Subscribe messages in the fake: the account's templates (wxaapi/newtmpl/gettemplate), the users'
// acceptances from wx.requestSubscribeMessage, and message/subscribe/send with WeChat's checks in its order:
// recipient, template, page, each keyword by its type, then an acceptance left.
import { keywordAccepted, keywordsOf } from './keywords';

export interface FakeSubscribeTemplate {
	priTmplId: string;
	title: string;
	/** 2: one-time (每次接受可发一条), 3: long-term. */
	type: 2 | 3;
	/** "客户姓名:{{thing1.DATA}}\n时间:{{time2.DATA}}\n" */
	content: string;
	example?: string;
	/** keywordCode as WeChat writes it: "phrase3.DATA". */
	keywordEnumValueList?: Array<{ keywordCode: string; enumValueList: string[] }>;
}

export interface FakeSentSubscribeMessage {
	touser: string;
	template_id: string;
	page?: string;
	data: Record<string, { value: string }>;
	miniprogram_state?: string;
	lang?: string;
}

type Answer = Record<string, unknown>;
type ErrorAnswer = (errcode: number, detail?: string) => Answer;

/** A page path as app.json lists it, with an optional query: "pages/index/index?id=1". */
const PAGE = /^\/?[\w-]+(?:\/[\w-]+)*(?:\?\S*)?$/;
const STATES = ['developer', 'trial', 'formal'];
const LANGS = ['zh_CN', 'en_US', 'zh_HK', 'zh_TW'];

export class FakeSubscribe {
	readonly sent: FakeSentSubscribeMessage[] = [];

	private readonly openids = new Set<string>();

	private readonly accepted = new Map<string, number>();

	constructor(private readonly templates: FakeSubscribeTemplate[]) {}

	/** An openid of this app (it logged in, or accepted a template). */
	knowOpenid(openid: string): void {
		this.openids.add(openid);
	}

	accept(openid: string, templateId: string, times: number): void {
		this.knowOpenid(openid);
		const key = `${openid}|${templateId}`;
		this.accepted.set(key, (this.accepted.get(key) ?? 0) + times);
	}

	acceptances(openid: string, templateId: string): number {
		return this.accepted.get(`${openid}|${templateId}`) ?? 0;
	}

	templateList(): FakeSubscribeTemplate[] {
		return this.templates.map((template) => ({ ...template }));
	}

	send(body: Answer, error: ErrorAnswer): Answer {
		const touser = typeof body.touser === 'string' ? body.touser : '';
		if (!this.openids.has(touser)) return error(40003);
		const template = this.templates.find((t) => t.priTmplId === body.template_id);
		if (!template) return error(40037);
		const page = body.page;
		if (page !== undefined && page !== '' && (typeof page !== 'string' || !PAGE.test(page))) return error(41030);
		if (body.miniprogram_state !== undefined && !STATES.includes(String(body.miniprogram_state))) {
			return error(47003, 'argument invalid! miniprogram_state invalid');
		}
		if (body.lang !== undefined && !LANGS.includes(String(body.lang))) return error(47003, 'argument invalid! lang invalid');

		const data = (body.data && typeof body.data === 'object' ? body.data : {}) as Record<string, unknown>;
		for (const { key, type } of keywordsOf(template.content)) {
			const entry = data[key] as { value?: unknown } | undefined;
			const value = typeof entry?.value === 'string' ? entry.value : typeof entry?.value === 'number' ? String(entry.value) : '';
			const enumValues = template.keywordEnumValueList?.find((e) => e.keywordCode === `${key}.DATA`)?.enumValueList;
			if (!keywordAccepted(type, value, enumValues)) {
				return error(47003, `argument invalid! data.${key}.value invalid`);
			}
		}

		const key = `${touser}|${template.priTmplId}`;
		const left = this.accepted.get(key) ?? 0;
		if (left <= 0) return error(43101);
		// A one-time acceptance allows one message; a long-term one stays.
		if (template.type === 2) this.accepted.set(key, left - 1);
		this.sent.push({
			touser,
			template_id: template.priTmplId,
			...(typeof page === 'string' && page ? { page } : {}),
			data: Object.fromEntries(
				keywordsOf(template.content).map(({ key: name }) => [name, { value: String((data[name] as { value: unknown }).value) }]),
			),
			...(body.miniprogram_state !== undefined ? { miniprogram_state: String(body.miniprogram_state) } : {}),
			...(body.lang !== undefined ? { lang: String(body.lang) } : {}),
		});
		return { errcode: 0, errmsg: 'ok', msgid: Math.floor(Math.random() * 2 ** 40) };
	}
}
