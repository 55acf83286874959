/**
 * What kf/send_msg and kf/send_msg_on_event accept (docs 94677 and 95122), checked before sending so the
 * operator reads the rule instead of an errcode. Pure logic, no n8n imports.
 */

/** msgid: "不多于32字节，字符串取值范围(正则表达式)：[0-9a-zA-Z_-]*". */
const MSGID_PATTERN = /^[0-9a-zA-Z_-]*$/;
export const MAX_MSGID_BYTES = 32;

/** Why WeCom would refuse this msgid; undefined when it is acceptable (or empty: WeCom then makes one). */
export function msgidProblem(msgid: string): string | undefined {
	const bytes = Buffer.byteLength(msgid, 'utf8');
	if (bytes > MAX_MSGID_BYTES) return `it is ${bytes} bytes long; WeCom accepts at most ${MAX_MSGID_BYTES}`;
	if (!MSGID_PATTERN.test(msgid)) {
		const bad = [...msgid].find((character) => !MSGID_PATTERN.test(character));
		return `it contains ${JSON.stringify(bad)}; WeCom accepts only letters, digits, _ and -`;
	}
	return undefined;
}

export type KfMenuItemType = 'click' | 'view' | 'miniprogram' | 'text';

/** A msgmenu list entry as WeCom takes it: { type, <type>: {...} }. */
export interface KfMenuEntry {
	type: KfMenuItemType;
	[part: string]: unknown;
}

/** send_msg: "不超过50个" items, of which click/view/miniprogram "不超过10个" (doc 94677). */
export const MAX_MENU_ITEMS = 50;
/** send_msg_on_event: list "不超过10个" (doc 95122). */
export const MAX_EVENT_MENU_ITEMS = 10;
export const MAX_MENU_LINKS = 10;

/** Why WeCom would refuse this menu (95008), in words; undefined when it is acceptable. */
export function menuProblem(list: KfMenuEntry[], maxItems: number): string | undefined {
	if (list.length > maxItems) return `The menu has ${list.length} items; WeCom accepts at most ${maxItems} here.`;
	const links = list.filter((entry) => entry.type !== 'text').length;
	if (links > MAX_MENU_LINKS) {
		return `The menu has ${links} Click, View and Mini Program items; WeCom accepts at most ${MAX_MENU_LINKS} of them (Text items do not count).`;
	}
	return undefined;
}
