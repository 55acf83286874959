// From a pushed message to the trigger's items: one per template entry of a subscribe-message event, one for
// anything else. Pure logic: no n8n imports. Formats: docs/miniprogram-push.md.
import type { XmlObject, XmlValue } from '../../WeCom/callback/xml';

export const SUBSCRIBE_EVENTS = [
	'subscribe_msg_popup_event',
	'subscribe_msg_change_event',
	'subscribe_msg_sent_event',
] as const;

export type SubscribeEvent = (typeof SUBSCRIBE_EVENTS)[number];

/** The filter value for every message or event that is not one of the three subscribe events. */
export const OTHER_EVENTS = 'other';

/**
 * Where the entries sit. XML wraps them per event (<SubscribeMsgPopupEvent><List>…</List></SubscribeMsgPopupEvent>,
 * though one official sample wraps a change event in SubscribeMsgPopupEvent). JSON has a top-level List that is
 * an object for one entry and an array for several, and one official sample puts the array under the wrapper's
 * name instead; all of these are read.
 */
const WRAPPERS = ['SubscribeMsgPopupEvent', 'SubscribeMsgChangeEvent', 'SubscribeMsgSentEvent'];

export interface SubscribeEventItem {
	event: SubscribeEvent;
	/** The user's openid (FromUserName). */
	openid: string;
	templateId: string;
	/** accept or reject for popup and change events; the sent event's ErrorStatus (e.g. success). */
	status: string;
	/** Seconds since the epoch, as WeChat sent it (a string in XML, a number or a string in JSON). */
	createTime: number;
	/** Where the popup was shown (popup events only). */
	popupScene?: string;
	/** The sent message's ID (sent events only); a string, since it is a 64-bit number. */
	msgId?: string;
	/** 0 when the message was delivered (sent events only). */
	errorCode?: number;
	/** The mini-program's original ID (gh_…), to which WeChat addressed the push. */
	toUserName: string;
}

function asList(value: XmlValue | XmlValue[] | undefined): XmlValue[] {
	if (value === undefined) return [];
	return Array.isArray(value) ? value : [value];
}

function isObject(value: unknown): value is XmlObject {
	return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function entriesIn(value: XmlValue | XmlValue[] | undefined): XmlObject[] {
	return asList(value).flatMap((entry) => {
		if (!isObject(entry)) return [];
		if ('List' in entry) return entriesIn(entry.List);
		return 'TemplateId' in entry ? [entry] : [];
	});
}

function text(value: unknown): string {
	return typeof value === 'string' || typeof value === 'number' ? String(value) : '';
}

export function isSubscribeEvent(event: string): event is SubscribeEvent {
	return (SUBSCRIBE_EVENTS as readonly string[]).includes(event);
}

/** The filter value of a message: its subscribe event, or OTHER_EVENTS. */
export function filterValueOf(message: XmlObject): string {
	const event = text(message.Event);
	return text(message.MsgType) === 'event' && isSubscribeEvent(event) ? event : OTHER_EVENTS;
}

/** One item per template entry of a subscribe event, in the order WeChat listed them. */
export function subscribeEventItems(message: XmlObject, event: SubscribeEvent): SubscribeEventItem[] {
	let entries = entriesIn(message.List);
	for (const wrapper of WRAPPERS) {
		if (entries.length > 0) break;
		entries = entriesIn(message[wrapper]);
	}
	const base = {
		event,
		openid: text(message.FromUserName),
		createTime: Number(text(message.CreateTime)),
		toUserName: text(message.ToUserName),
	};
	return entries.map((entry) => {
		const templateId = text(entry.TemplateId);
		if (event === 'subscribe_msg_sent_event') {
			const errorCode = Number(text(entry.ErrorCode));
			return { ...base, templateId, status: text(entry.ErrorStatus), msgId: text(entry.MsgID), errorCode };
		}
		const item: SubscribeEventItem = { ...base, templateId, status: text(entry.SubscribeStatusString) };
		if (event === 'subscribe_msg_popup_event') item.popupScene = text(entry.PopupScene);
		return item;
	});
}

/**
 * The items a message starts the workflow with, or none when the operator's filter leaves it out. A subscribe
 * event without any entry starts nothing: there is nothing in it to count.
 */
export function pushItems(message: XmlObject, events: readonly string[]): Array<SubscribeEventItem | XmlObject> {
	const value = filterValueOf(message);
	if (!events.includes(value)) return [];
	if (value === OTHER_EVENTS) return [message];
	return subscribeEventItems(message, value as SubscribeEvent);
}
