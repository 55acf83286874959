/**
 * Where a subscribe event's entries sit varies with the data format and from WeChat's own samples
 * (docs/miniprogram-push.md); each shape gives the same items.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { pushItems } from '../../nodes/WeChatMiniProgram/trigger/events';
import { parseJsonPush } from '../../nodes/WeChatMiniProgram/trigger/push';
import { parseXml } from '../../nodes/WeCom/callback/xml';

const ALL = ['subscribe_msg_popup_event', 'subscribe_msg_change_event', 'subscribe_msg_sent_event', 'other'];
const head = '"ToUserName":"gh_1","FromUserName":"oUser","CreateTime":"1610968440","MsgType":"event","Event":"subscribe_msg_change_event"';
const entry = (id: string) => `{"TemplateId":"${id}","SubscribeStatusString":"reject"}`;

function templates(message: Record<string, unknown>): string[] {
	return pushItems(message as never, ALL).map((item) => String((item as { templateId?: string }).templateId));
}

describe('mini-program push: subscribe event entries', () => {
	it('JSON: List as an object, List as an array, and the array under the wrapper name', () => {
		assert.deepEqual(templates(parseJsonPush(`{${head},"List":${entry('a')}}`)), ['a']);
		assert.deepEqual(templates(parseJsonPush(`{${head},"List":[${entry('a')},${entry('b')}]}`)), ['a', 'b']);
		assert.deepEqual(templates(parseJsonPush(`{${head},"SubscribeMsgChangeEvent":[${entry('a')},${entry('b')}]}`)), ['a', 'b']);
	});

	it('XML: the entries of a change event under SubscribeMsgPopupEvent, as one official sample has them', () => {
		const xml =
			'<xml><ToUserName>gh_1</ToUserName><FromUserName>oUser</FromUserName><CreateTime>1610969440</CreateTime>' +
			'<MsgType>event</MsgType><Event>subscribe_msg_change_event</Event><SubscribeMsgPopupEvent>' +
			'<List><TemplateId>a</TemplateId><SubscribeStatusString>reject</SubscribeStatusString></List>' +
			'</SubscribeMsgPopupEvent></xml>';
		const [item] = pushItems(parseXml(xml), ALL) as Array<Record<string, unknown>>;
		assert.deepEqual(item, {
			event: 'subscribe_msg_change_event',
			openid: 'oUser',
			createTime: 1610969440,
			toUserName: 'gh_1',
			templateId: 'a',
			status: 'reject',
		});
	});

	it('a subscribe event without entries starts nothing; an event not asked for neither', () => {
		assert.deepEqual(pushItems(parseJsonPush(`{${head}}`), ALL), []);
		assert.deepEqual(pushItems(parseJsonPush(`{${head},"List":${entry('a')}}`), ['subscribe_msg_popup_event']), []);
	});
});
