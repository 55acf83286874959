import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
	checkData,
	checkKeyword,
	parseTemplateContent,
	explain47003,
	readWeChat47003,
} from '../../nodes/WeChatMiniProgram/subscribe/keywords';
import { seeded } from '../support/random';

function accepted(type: string, value: unknown, options = {}): string {
	const result = checkKeyword(type, value, options);
	assert.ok(result.ok, `${type} ${JSON.stringify(value)} refused: ${result.ok ? '' : result.message}`);
	return result.value;
}

function refused(type: string, value: unknown, options = {}): string {
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

// Written after the implementation: the exact sentences, the shorten option per type, and the edges.
const FAMILY = '👨‍👩‍👧'; // 3 emoji joined by ZWJ: 5 code points, one picture

describe('refusals say what is wrong and what WeChat takes, in one sentence', () => {
	it('names the keyword with its label, counts, and offers the shorten option where it applies', () => {
		assert.equal(
			refused('thing', '一'.repeat(23), { key: 'thing3', label: '客户姓名' }),
			'thing3 (客户姓名) has 23 characters; WeChat takes at most 20 for a thing (or turn on "Shorten Text That Is Too Long").',
		);
		assert.equal(refused('number', '1'.repeat(33), { key: 'number1' }), 'number1 has 33 digits; WeChat takes at most 32 for a number.');
		assert.equal(refused('phrase', '一二三四五六', { label: '状态' }), '状态 has 6 Chinese characters; WeChat takes at most 5 for a phrase (or turn on "Shorten Text That Is Too Long").');
		assert.match(refused('thing', ''), /^The value is empty; WeChat refuses a keyword without a value/);
	});

	it('names the character that does not belong, and a line break without printing it', () => {
		assert.equal(
			refused('character_string', 'SO订单1', { key: 'character_string2' }),
			'character_string2 contains "订" (a Chinese character); a character_string takes digits, letters and symbols, at most 32, and no Chinese characters.',
		);
		assert.match(refused('thing', '第一行\n第二行', { key: 'thing1' }), /^thing1 contains a line break; a thing takes .*without line breaks\.$/);
		assert.match(refused('phrase', '配送ok'), /contains "o" \(a letter\)/);
		assert.match(refused('name', '张三2'), /contains "2" \(a digit\)/);
	});

	it('says how to write a time from an n8n expression when the format is wrong', () => {
		const message = refused('time', '2026-11-30T17:44:35.123+00:00', { key: 'time2', label: '时间' });
		assert.match(message, /^time2 \(时间\) "2026-11-30T17:44:35\.123\+00:00" is not a time WeChat takes; it takes a 24-hour time/);
		assert.match(message, /\$now\.toFormat\('yyyy-MM-dd HH:mm'\)/);
		assert.match(refused('date', 'x'.repeat(60)), /"x{40}…" is not a date/);
	});

	it('lists the enum values, and at most eight of them', () => {
		assert.equal(
			refused('enum', '送达了', { key: 'phrase3', enumValues: ['配送中', '已送达'] }),
			'phrase3 "送达了" is not one of this template\'s values; WeChat takes only 配送中, 已送达.',
		);
		const many = Array.from({ length: 12 }, (_, i) => `值${i}`);
		assert.match(refused('enum', '别的', { enumValues: many }), /值7 and 4 more\.$/);
	});
});

describe('checkKeyword edges', () => {
	it('sends a number from an expression as text, and refuses an object', () => {
		assert.equal(accepted('number', 12.5), '12.5');
		assert.match(refused('thing', { name: '张三' }, { key: 'thing1' }), /^thing1 is a list or an object, not text/);
		assert.match(refused('thing', null), /is empty/);
	});

	it('drops surrounding spaces and line breaks from the value to send', () => {
		assert.equal(accepted('thing', '  新客户想要联系您\n'), '新客户想要联系您');
		assert.equal(accepted('number', ' 42 '), '42');
	});

	it('counts code points: a ZWJ emoji is as many as it has', () => {
		accepted('thing', FAMILY.repeat(4));
		assert.match(refused('thing', FAMILY.repeat(5)), /has 25 characters/);
		accepted('thing', 'Ünïcødé café');
	});

	it('time and date: seconds, single-digit hours, full-width ～, and the calendar', () => {
		accepted('time', '9:05');
		refused('time', '9:5');
		refused('time', '24:00');
		refused('time', '12:60');
		refused('time', '2024-01-01');
		refused('time', '15:00-17:00');
		refused('time', '15:01~16:00~17:00');
		refused('time', '~15:01');
		assert.equal(accepted('time', '15:01～17:30'), '15:01~17:30');
		accepted('time', '2019年10月1日15:01');
		accepted('time', '10月1日 08:00 ~ 10月2日 20:00');
		accepted('date', '2018-01');
		accepted('date', '01-01');
		accepted('date', '2019年10月');
		accepted('date', '10月1日');
		accepted('date', '2024-02-29');
		refused('date', '2023-02-29');
		accepted('date', '2月29日');
		refused('date', '4月31日');
		refused('date', '2018-01/01');
		refused('date', '18-01-01');
		refused('date', '15:01');
	});

	it('amount: the currency is a symbol or 元, ten digits in all', () => {
		accepted('amount', '€0.99');
		accepted('amount', '¥1234567890');
		accepted('amount', '¥12345678.90');
		assert.match(refused('amount', '¥123456789.01'), /has 11 digits; WeChat takes at most 10 for an amount/);
		refused('amount', '12.50');
		refused('amount', '-¥5');
		refused('amount', '¥ 12');
		refused('amount', '12¥');
	});

	it('phone_number, car_number, letter and symbol edges', () => {
		accepted('phone_number', '(0766) 6688 8866');
		refused('phone_number', '0766-6688 ext 1');
		refused('car_number', '粤A·8Z888');
		accepted('car_number', 'A12345');
		accepted('letter', 'Café');
		refused('letter', 'two words');
		accepted('symbol', '★');
		refused('symbol', '1');
	});

	it('sends a type WeChat does not document as it is, and still refuses it empty', () => {
		assert.equal(accepted('short_thing', 'anything at all, of any length'), 'anything at all, of any length');
		refused('short_thing', '');
	});

	it('an enum without its list is not checked', () => {
		accepted('enum', '随便');
	});
});

describe('the shorten option', () => {
	it('cuts thing, name and phrase, with … only where the type takes symbols', () => {
		const thing = checkKeyword('thing', 'Your order has shipped and is on its way', { shorten: true });
		assert.deepEqual(thing, { ok: true, value: 'Your order has ship…', shortened: true });
		const chineseName = checkKeyword('name', '欧阳一二三四五六七八九', { shorten: true });
		assert.deepEqual(chineseName, { ok: true, value: '欧阳一二三四五六七八', shortened: true });
		const name = checkKeyword('name', 'Alexander Christopher Hamilton', { shorten: true });
		assert.deepEqual(name, { ok: true, value: 'Alexander Christoph…', shortened: true });
		const phrase = checkKeyword('phrase', '配送中已完成', { shorten: true });
		assert.deepEqual(phrase, { ok: true, value: '配送中已完', shortened: true });
		assert.deepEqual(checkKeyword('thing', '短', { shorten: true }), { ok: true, value: '短', shortened: false });
	});

	it('drops a space before the …', () => {
		const cut = checkKeyword('thing', 'abcdefghijklmnopqr stuvwxyz', { shorten: true });
		assert.deepEqual(cut, { ok: true, value: 'abcdefghijklmnopqr…', shortened: true });
	});

	it('never cuts values whose meaning a cut would change', () => {
		for (const [type, value] of [
			['character_string', 'x'.repeat(33)],
			['letter', 'a'.repeat(33)],
			['symbol', '!!!!!!'],
			['number', '1'.repeat(33)],
			['amount', '¥12345678901'],
			['phone_number', '1'.repeat(18)],
			['car_number', '粤A8Z8888挂'],
		]) {
			const message = refused(type, value, { shorten: true });
			assert.doesNotMatch(message, /Shorten/, type);
		}
	});

	it('does not fix a character the type does not take', () => {
		refused('phrase', '配送ok配送ok', { shorten: true });
		refused('thing', '一\n'.repeat(15), { shorten: true });
	});

	it('gives a value the check then accepts as it is, never split inside an emoji (seeded fuzz)', () => {
		const random = seeded(11);
		const pieces = { thing: ['a', '退', '😀', FAMILY, ' ', '!', '9'], name: ['a', 'B', ' ', '.', '张'], phrase: ['退', '款', '中'] };
		for (let round = 0; round < 600; round++) {
			const type = (['thing', 'name', 'phrase'] as const)[round % 3];
			const choices = pieces[type];
			const text = Array.from({ length: 1 + Math.floor(random() * 40) }, () => choices[Math.floor(random() * choices.length)]).join('');
			const result = checkKeyword(type, text, { shorten: true });
			if (!result.ok) continue; // e.g. a name of letters and spaces only that trims to nothing
			const again = checkKeyword(type, result.value);
			assert.ok(again.ok && again.value === result.value, JSON.stringify({ type, text, cut: result.value }));
			assert.ok(!/\u200d(…|$)/.test(result.value), JSON.stringify({ text, cut: result.value }));
		}
	});
});

describe('parseTemplateContent edges', () => {
	it('takes labels between placeholders on one line, each keyword once, and CRLF', () => {
		assert.deepEqual(parseTemplateContent('从:{{date1.DATA}} 到：{{date2.DATA}}\r\n重复:{{date1.DATA}}'), [
			{ key: 'date1', type: 'date', label: '从' },
			{ key: 'date2', type: 'date', label: '到' },
		]);
		assert.deepEqual(parseTemplateContent('{{thing.DATA}}'), [{ key: 'thing', type: 'thing', label: '' }]);
		assert.deepEqual(parseTemplateContent('no placeholders here {{thing1}}'), []);
	});
});

describe('explain47003', () => {
	const template = {
		content: '客户姓名:{{thing1.DATA}}\n状态:{{phrase3.DATA}}\n',
		keywordEnumValueList: [{ keywordCode: 'phrase3.DATA', enumValueList: ['配送中', '已送达'] }],
	};

	it('names the keyword, its label and its rule', () => {
		assert.equal(
			explain47003('argument invalid! data.thing1.value invalid rid: 1', template),
			'WeChat refused thing1 (客户姓名) (47003): it may be empty or break the rule for its type; a thing takes at most 20 characters of any kind (Chinese, letters, digits, symbols), without line breaks.',
		);
		assert.match(explain47003('argument invalid! data.phrase3.value invalid rid: 1', template), /phrase3 \(状态\).*only one of the template's values/);
		assert.match(explain47003('argument invalid! data.number9.value invalid rid: 1'), /number9 \(47003\).*a number takes only digits/);
		assert.match(explain47003('argument invalid! data.short_thing2.value invalid'), /short_thing is not one this node knows/);
		assert.match(explain47003('argument invalid! rid: 1'), /without naming it/);
	});
});

describe('checkData edges', () => {
	const template = {
		content: '客户姓名:{{thing1.DATA}}\n状态:{{phrase3.DATA}}\n',
		keywordEnumValueList: [{ keywordCode: 'phrase3.DATA', enumValueList: ['配送中', '已送达'] }],
	};

	it('takes enum values from the template and labels from its content', () => {
		const bad = checkData([{ key: 'thing1', value: '张三' }, { key: 'phrase3', value: '送达' }], template);
		assert.ok(!bad.ok);
		assert.equal(bad.message, 'phrase3 (状态) "送达" is not one of this template\'s values; WeChat takes only 配送中, 已送达.');
	});

	it('reports keywords without a row, rows the template does not have, duplicates and rows without a key', () => {
		const bad = checkData(
			[
				{ key: 'thing2', value: '张三' },
				{ key: '', value: 'x' },
				{ key: 'phrase3', value: '配送中' },
				{ key: 'phrase3', value: '已送达' },
			],
			template,
		);
		assert.ok(!bad.ok);
		assert.deepEqual(bad.problems, [
			{ key: 'thing2', message: 'thing2 is not a keyword of this template; its keywords are thing1, phrase3.' },
			{ key: '', message: 'A keyword row has no keyword: give it one such as thing1, or remove the row.' },
			{ key: 'phrase3', message: 'phrase3 has more than one row: keep one.' },
			{ key: 'thing1', message: 'thing1 (客户姓名) has no row; the template shows every keyword, so add a row with its value.' },
		]);
		assert.equal(bad.message, bad.problems.map((p) => p.message).join(' '));
	});

	it('without a template, takes the type from each key and sends the values it checked', () => {
		const good = checkData(
			[
				{ key: ' thing1 ', value: ' 客户张三查看了您的简历，并且想要预约明天的上门服务 ' },
				{ key: 'amount2', value: '¥12.50' },
			],
			undefined,
			{ shorten: true },
		);
		assert.deepEqual(good, {
			ok: true,
			data: { thing1: { value: '客户张三查看了您的简历，并且想要预约明…' }, amount2: { value: '¥12.50' } },
			shortened: ['thing1'],
		});
	});
});
