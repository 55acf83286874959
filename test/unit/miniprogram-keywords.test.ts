import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
	checkData,
	checkKeyword,
	parseTemplateContent,
	readWeChat47003,
} from '../../nodes/WeChatMiniProgram/subscribe/keywords';

function accepted(type: string, value: string, options = {}): string {
	const result = checkKeyword(type, value, options);
	assert.ok(result.ok, `${type} ${JSON.stringify(value)} refused: ${result.ok ? '' : result.message}`);
	return result.value;
}

function refused(type: string, value: string, options = {}): string {
	const result = checkKeyword(type, value, options);
	assert.ok(!result.ok, `${type} ${JSON.stringify(value)} accepted as ${JSON.stringify(result.ok && result.value)}`);
	return result.message;
}

// Held-out: these cases were written from WeChat's published rules BEFORE keywords.ts existed, and were
// not changed to fit it. A failure here is a disagreement between the code and the rules, not a test to edit.
describe('held-out cases (written before the implementation)', () => {
	it('parses a template as gettemplate returns it', () => {
		assert.deepEqual(parseTemplateContent('客户姓名:{{thing1.DATA}}\n时间:{{time2.DATA}}\n'), [
			{ key: 'thing1', type: 'thing', label: '客户姓名' },
			{ key: 'time2', type: 'time', label: '时间' },
		]);
		assert.deepEqual(parseTemplateContent('订单号： {{ character_string12.DATA }}\n{{phrase3.DATA}}\n备注:{{short_thing4.DATA}}'), [
			{ key: 'character_string12', type: 'character_string', label: '订单号' },
			{ key: 'phrase3', type: 'phrase', label: '' },
			{ key: 'short_thing4', type: 'short_thing', label: '备注' },
		]);
		assert.deepEqual(parseTemplateContent(''), []);
	});

	it('thing: 20 characters of anything, counted as code points', () => {
		accepted('thing', '一二三四五六七八九十一二三四五六七八九十');
		assert.match(refused('thing', '一二三四五六七八九十一二三四五六七八九十一', { key: 'thing3', label: '客户姓名' }), /thing3 \(客户姓名\) has 21 characters.*at most 20/);
		accepted('thing', '😀'.repeat(20));
		refused('thing', '😀'.repeat(21));
		accepted('thing', 'Order #12 is ready!');
		refused('thing', '');
		refused('thing', '   ');
	});

	it('shortens a thing with an ellipsis, never past 20, never inside an emoji', () => {
		const long = '客户张三查看了您的简历并想要预约明天下午的服务';
		const cut = checkKeyword('thing', long, { shorten: true });
		assert.ok(cut.ok);
		assert.equal([...cut.value].length, 20);
		assert.ok(cut.value.endsWith('…'));
		assert.ok(long.startsWith(cut.value.slice(0, -1)));
		const emoji = checkKeyword('thing', '😀'.repeat(30), { shorten: true });
		assert.ok(emoji.ok);
		assert.equal(emoji.value, '😀'.repeat(19) + '…');
	});

	it('number: digits with an optional decimal part, at most 32 digits, never shortened', () => {
		accepted('number', '339208499');
		accepted('number', '3.14');
		accepted('number', '1'.repeat(32));
		refused('number', '1'.repeat(33));
		refused('number', '1'.repeat(33), { shorten: true });
		refused('number', '12a');
		refused('number', '三');
		refused('number', '');
	});

	it('letter, symbol, character_string', () => {
		accepted('letter', 'a'.repeat(32));
		refused('letter', 'a'.repeat(33));
		refused('letter', 'abc1');
		accepted('symbol', '+-*/%');
		refused('symbol', '+-*/%!');
		refused('symbol', 'a');
		accepted('character_string', 'SO-2024-0001');
		accepted('character_string', 'x'.repeat(32));
		refused('character_string', 'x'.repeat(33));
		refused('character_string', '订单123');
	});

	it('time: 24-hour, may carry a date, ranges with ~', () => {
		accepted('time', '15:01');
		accepted('time', '15:01:30');
		accepted('time', '2019年10月1日 15:01');
		accepted('time', '2024-01-01 12:00:00');
		accepted('time', '15:01~17:30');
		accepted('time', '2019年10月1日 15:01~2019年10月1日 17:00');
		refused('time', '25:00');
		refused('time', '3pm');
		refused('time', '明天下午');
		refused('time', '');
	});

	it('date: a date, may carry a time, ranges with ~', () => {
		accepted('date', '2019年10月1日');
		accepted('date', '2019年10月1日 15:01');
		accepted('date', '2018-01-01');
		accepted('date', '2018/01/01');
		accepted('date', '2018.01.01');
		accepted('date', '2019年10月1日~2019年10月7日');
		refused('date', '2019年13月1日');
		refused('date', 'tomorrow');
		refused('date', '');
	});

	it('amount: a currency symbol, at most 10 digits, decimals, optional 元', () => {
		accepted('amount', '¥12.50');
		accepted('amount', '12.5元');
		accepted('amount', '$3');
		accepted('amount', '￥100元');
		refused('amount', '¥12345678901');
		refused('amount', '¥¥12');
		refused('amount', '¥12,000');
		refused('amount', '十二元');
		refused('amount', '');
	});

	it('phone_number, car_number', () => {
		accepted('phone_number', '+86-0766-66888866');
		accepted('phone_number', '13800138000');
		refused('phone_number', '+86-0766-668888661');
		refused('phone_number', '电话13800138000');
		accepted('car_number', '粤A8Z888挂');
		accepted('car_number', '粤AD12345');
		refused('car_number', '粤A8Z8888挂');
		refused('car_number', '粤A8中888');
	});

	it('name: 10 Chinese characters or 20 letters; mixed counts as Chinese', () => {
		accepted('name', '张三');
		accepted('name', '欧阳一二三四五六七八');
		refused('name', '欧阳一二三四五六七八九');
		accepted('name', 'Alexander Hamilton');
		accepted('name', 'a'.repeat(20));
		refused('name', 'a'.repeat(21));
		accepted('name', '张San');
		refused('name', '张' + 'a'.repeat(10));
	});

	it('phrase: at most 5 Chinese characters only', () => {
		accepted('phrase', '配送中');
		accepted('phrase', '一二三四五');
		refused('phrase', '一二三四五六');
		refused('phrase', '配送ok');
		refused('phrase', '😀');
	});

	it('enum: only a value from the template list', () => {
		accepted('enum', '已送达', { enumValues: ['配送中', '已送达'] });
		refused('enum', '送达了', { enumValues: ['配送中', '已送达'] });
	});

	it('reads the keyword from a 47003 errmsg', () => {
		assert.equal(readWeChat47003('argument invalid! data.thing3.value invalid rid: 676d614b-19a23fcf-18023ffa'), 'thing3');
		assert.equal(readWeChat47003('argument invalid! data.car_number12.value is emp rid: 65b87c16-3061a299-2740a332'), 'car_number12');
		assert.equal(readWeChat47003('invalid credential rid: x'), undefined);
		assert.equal(readWeChat47003(''), undefined);
	});

	it('checkData reports every bad keyword, not only the first', () => {
		const template = { content: '客户姓名:{{thing1.DATA}}\n时间:{{time2.DATA}}\n电话:{{phone_number3.DATA}}\n' };
		const bad = checkData(
			[
				{ key: 'thing1', value: '一'.repeat(21) },
				{ key: 'time2', value: 'soon' },
				{ key: 'phone_number3', value: '13800138000' },
			],
			template,
		);
		assert.ok(!bad.ok);
		assert.deepEqual(bad.problems.map((p) => p.key), ['thing1', 'time2']);
		const good = checkData(
			[
				{ key: 'thing1', value: '新客户查看了您的简历' },
				{ key: 'time2', value: '2024-01-01 12:00:00' },
				{ key: 'phone_number3', value: '13800138000' },
			],
			template,
		);
		assert.ok(good.ok);
		assert.deepEqual(good.data, {
			thing1: { value: '新客户查看了您的简历' },
			time2: { value: '2024-01-01 12:00:00' },
			phone_number3: { value: '13800138000' },
		});
	});
});
