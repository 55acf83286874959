import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';

import { contentFields, contentOf, requiredText, retriesOf } from '../fields';
import { kfSendOptions, msgidOf } from '../kf/fields';
import { attemptKfRequestWithRetries } from '../kf/requests';
import { MAX_EVENT_MENU_ITEMS } from '../kf/rules';
import { menuFields, menuOf } from './menu';

const properties: INodeProperties[] = [
	{
		displayName: 'Event Code',
		name: 'code',
		type: 'string',
		default: '={{ $json.msg_code ?? $json.event?.welcome_code ?? $json.event?.msg_code }}',
		required: true,
		description:
			'The code WeCom gave for this event: welcome_code of an enter_session event (valid 20 seconds), msg_code of a session_status_change event or of WeChat Customer Service Session → Transfer (closing: 20 seconds; queue and accept: 48 hours). Each code sends one message.',
	},
	{
		displayName: 'Message Type',
		name: 'messageType',
		type: 'options',
		options: [
			{ name: 'Menu', value: 'msgmenu', description: 'Welcome and closing codes only, at most 10 items' },
			{ name: 'Text', value: 'text' },
		],
		default: 'text',
	},
	...updateDisplayOptions({ show: { messageType: ['text'] } }, contentFields('text')),
	...updateDisplayOptions({ show: { messageType: ['msgmenu'] } }, menuFields(MAX_EVENT_MENU_ITEMS)),
	kfSendOptions(false),
];

export const description = updateDisplayOptions(
	{ show: { resource: ['kfMessage'], operation: ['sendOnEvent'] } },
	properties,
);

/**
 * kf/send_msg_on_event (doc 95122): a welcome message on entering, a queue or off-hours notice, a closing
 * message or satisfaction menu. Not limited by the 48-hour / 5-message rule, but each code works once.
 */
export async function execute(this: IExecuteFunctions, itemIndex: number): Promise<IDataObject> {
	const code = requiredText.call(this, itemIndex, 'code', 'Event Code');
	const msgid = msgidOf.call(this, itemIndex);
	const msgtype = this.getNodeParameter('messageType', itemIndex, 'text') as string;
	let notice: IDataObject | undefined;
	const body: IDataObject = { code, msgtype };
	if (msgid) body.msgid = msgid;
	if (msgtype === 'msgmenu') {
		body.msgmenu = menuOf.call(this, itemIndex, MAX_EVENT_MENU_ITEMS);
	} else {
		const text = contentOf.call(this, itemIndex);
		body.text = { content: text.content };
		notice = text.notice;
	}
	const { attempt } = await attemptKfRequestWithRetries.call(
		this,
		'/cgi-bin/kf/send_msg_on_event',
		body,
		itemIndex,
		retriesOf.call(this, itemIndex),
	);
	if (attempt.ok) return { sent: true, msgid: attempt.answer.msgid, msgtype, ...notice };

	const error = attempt.error;
	const said = `(WeCom: ${String(error.context.errmsg ?? '')})`;
	if (attempt.errcode === 40058) {
		error.message = 'WeCom refused the event code: it was used already, has expired or is not one WeCom issued';
		error.description = `Each code sends one message. A welcome code (enter_session) and a closing code last 20 seconds, so send right after the event arrives; queue and accept codes last 48 hours.${msgid ? ' WeCom also refuses a Message ID already used on this customer service account.' : ''} ${said}`;
	} else if (attempt.errcode === 95018) {
		error.message = 'The session is no longer in the state this event code was issued for';
		error.description = `Apart from welcome codes, a code can only be used while the session is still in that state: a queue code while queued, an accept code while with the servicer, a closing code after the end. ${said}`;
	}
	throw error;
}
