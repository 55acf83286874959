/** Which callbacks start the workflow: the WeCom Trigger's Message Types and Events settings. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { eventFilterValue, passesFilter } from '../../nodes/WeCom/callback/filter';

describe('passesFilter', () => {
	it('passes the chosen message types only', () => {
		const filter = { messageTypes: ['text', 'image'], events: [] };
		assert.equal(passesFilter({ MsgType: 'text' }, filter), true);
		assert.equal(passesFilter({ MsgType: 'image' }, filter), true);
		assert.equal(passesFilter({ MsgType: 'voice' }, filter), false);
		assert.equal(passesFilter({}, filter), false);
	});

	it('passes every event when no event is chosen, else the chosen ones', () => {
		assert.equal(passesFilter({ MsgType: 'event', Event: 'subscribe' }, { messageTypes: ['event'], events: [] }), true);
		const clicks = { messageTypes: ['event'], events: ['click', 'kf_msg_or_event'] };
		assert.equal(passesFilter({ MsgType: 'event', Event: 'click' }, clicks), true);
		assert.equal(passesFilter({ MsgType: 'event', Event: 'kf_msg_or_event' }, clicks), true);
		assert.equal(passesFilter({ MsgType: 'event', Event: 'subscribe' }, clicks), false);
		assert.equal(passesFilter({ MsgType: 'event', Event: 'click' }, { messageTypes: ['text'], events: ['click'] }), false);
	});

	it('chooses the variants of menu photo and scan events together', () => {
		for (const event of ['pic_sysphoto', 'pic_photo_or_album', 'pic_weixin']) assert.equal(eventFilterValue(event), 'pic');
		for (const event of ['scancode_push', 'scancode_waitmsg']) assert.equal(eventFilterValue(event), 'scancode');
		assert.equal(passesFilter({ MsgType: 'event', Event: 'pic_weixin' }, { messageTypes: ['event'], events: ['pic'] }), true);
		assert.equal(eventFilterValue('LOCATION'), 'LOCATION');
	});
});
