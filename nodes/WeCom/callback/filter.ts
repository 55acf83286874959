/** Which callbacks start the workflow: the trigger's Message Types and Events settings. */
export interface CallbackFilter {
	messageTypes: readonly string[];
	/** Empty: every event (when Event is among the message types). */
	events: readonly string[];
}

/** Menu events that come in variants are chosen together in the editor. */
export function eventFilterValue(event: string): string {
	if (event.startsWith('pic_')) return 'pic';
	if (event.startsWith('scancode_')) return 'scancode';
	return event;
}

/** False for a callback the operator did not ask for: it is acknowledged to WeCom and dropped. */
export function passesFilter(message: Record<string, unknown>, filter: CallbackFilter): boolean {
	const msgType = String(message.MsgType ?? '');
	if (!filter.messageTypes.includes(msgType)) return false;
	if (msgType !== 'event' || filter.events.length === 0) return true;
	return filter.events.includes(eventFilterValue(String(message.Event ?? '')));
}
