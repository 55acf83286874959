/**
 * Synonym groups for FAQ matching: every word of a group is read as the group's first word, in the
 * FAQ entries and in the customer's message alike, so 退钱 and "money back" meet 退款 in the index.
 * Groups can mix Chinese and English: a message in one language then reaches an entry written in
 * the other.
 *
 * Words are replaced in the text before it is cut into terms (faqIndex.ts), longest word first at
 * each position. A Latin word only matches a whole word (so "cost" does not match inside
 * "costume") and also in its plain English inflections (refunds, refunded, refunding); Chinese
 * words match anywhere, since Chinese has no spaces to mark a word.
 */

/**
 * The shipped set: customer-service wording in Chinese and English, written from general
 * after-sales, shop, booking and subscription language (docs/autoreply.md lists it). The first
 * word of each group is what the others are read as.
 */
export const DEFAULT_SYNONYM_GROUPS: readonly (readonly string[])[] = [
	['退款', '退钱', '退费', '钱退回', '退回的钱', 'refund', 'money back', 'reimburse'],
	['退货', '退掉商品', '寄回去', 'return the item', 'send it back', 'send back'],
	['换货', '调换', '换一个', 'exchange', 'swap'],
	['发货', '寄出', '出货', '发出', 'dispatch', 'ship out', 'send out'],
	['快递', '物流', '配送', '送货', '派送', 'delivery', 'courier', 'shipping', 'shipment'],
	['运费', '邮费', '快递费', '配送费', 'shipping fee', 'shipping cost', 'postage', 'delivery fee'],
	['包邮', '免运费', '免邮', 'free shipping', 'free delivery'],
	['价格', '多少钱', '价钱', '收费', '费用', '报价', '价位', 'price', 'cost', 'how much', 'fee', 'charge', 'pricing'],
	['免费', '不要钱', '不收费', '白送', 'free of charge', 'for free'],
	['优惠', '折扣', '打折', '便宜点', 'discount', 'sale'],
	['优惠码', '优惠券', '折扣码', '兑换码', '券码', 'coupon', 'voucher', 'promo code', 'discount code', 'promo'],
	['发票', '开票', '票据', 'invoice', 'fapiao', 'tax receipt'],
	['取消', '撤销', '作废', 'cancel', 'call off'],
	['地址', '收货地址', '住址', 'address'],
	['账号', '账户', '帐号', '帐户', 'account'],
	['密码', 'password', 'passcode'],
	['登录', '登陆', '登入', 'log in', 'login', 'sign in', 'signin'],
	['注册', '开户', 'sign up', 'signup', 'register', 'registration'],
	['注销', '销户', '删除账号', 'delete account', 'close account', 'close my account', 'delete my account'],
	['会员', 'vip', 'membership', 'member'],
	['多久', '多长时间', '几天', '多少天', 'how long', 'how many days'],
	['营业时间', '上班时间', '工作时间', '几点开门', '几点关门', 'opening hours', 'business hours', 'open hours', 'working hours'],
	['电话', '手机号', '联系方式', '联系电话', 'phone number', 'phone', 'telephone', 'contact number'],
	['修改', '更改', '变更', 'change', 'modify', 'edit', 'update'],
	['付款', '支付', '付钱', '结账', '买单', 'pay', 'payment', 'checkout'],
	['订单', '单子', 'order'],
	['包裹', '快件', 'parcel', 'package'],
	['损坏', '坏了', '破损', '碎了', '摔坏', '弄坏', 'broken', 'damaged', 'damage'],
	['质量问题', '质量不好', '次品', '瑕疵', 'defective', 'faulty', 'quality problem'],
	['尺码', '尺寸', '码数', 'size'],
	['有货', '库存', '现货', '缺货', 'in stock', 'stock', 'out of stock'],
	['保修', '质保', '保修期', 'warranty', 'guarantee'],
	['安装', '装机', 'install', 'installation', 'set up', 'setup'],
	['试用', '免费试用', '体验', 'trial', 'free trial', 'try it'],
	['续费', '续订', '续期', '自动续费', 'renew', 'renewal', 'auto renew'],
	['套餐', '版本', 'plan', 'subscription', 'tier'],
	['积分', 'points', 'reward points'],
	['预约', '预定', '预订', '约个时间', 'book', 'booking', 'reservation', 'appointment', 'reserve'],
	['投诉', '举报', 'complain', 'complaint'],
	['没收到', '未收到', '还没到', '没到货', '收不到', 'not received', 'not arrived', 'never arrived', 'not arrive', "haven't received", "didn't arrive"],
	['查物流', '物流信息', '追踪', '跟踪', '快递单号', '运单号', 'track', 'tracking', 'tracking number'],
	['清关', '海关', 'customs', 'customs clearance'],
	['关税', '税费', '进口税', 'import tax', 'duty', 'duties', 'tax'],
	['保洁', '打扫', '清洁', '搞卫生', '打扫卫生', '做卫生', 'cleaning', 'cleaner', 'clean'],
	['工资', '薪资', '薪水', '月薪', '工钱', 'salary', 'wage', 'wages'],
	['周末', '周六', '周日', '星期六', '星期天', '星期日', '礼拜天', 'weekend', 'saturday', 'sunday'],
	['节假日', '节日', '假期', '过年', '春节', 'holiday', 'holidays', 'public holiday'],
	['打印机', '小票机', '打单机', 'printer', 'receipt printer'],
	['员工', '店员', '收银员', 'staff', 'employee', 'cashier'],
	['手续费', '服务费', '佣金', 'service fee', 'commission', 'handling fee'],
	['到账', '到帐', '退回来', 'credited', 'arrive in my account'],
	['过期', '失效', '到期', 'expire', 'expired', 'expiry'],
];

/** Plain English inflections of a word, so a group lists only the base form. */
function inflections(word: string): string[] {
	if (!/^[a-z]+$/.test(word)) return [word];
	const forms = [word, `${word}s`, `${word}es`, `${word}ed`, `${word}ing`];
	if (word.endsWith('e')) forms.push(`${word}d`, `${word.slice(0, -1)}ing`);
	if (word.endsWith('y')) forms.push(`${word.slice(0, -1)}ies`, `${word.slice(0, -1)}ied`);
	return forms;
}

const LATIN_WORD = /[\p{L}\p{N}]/u;
const UNSPACED = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]/u;

function isLatinWordCharacter(character: string | undefined): boolean {
	return character !== undefined && LATIN_WORD.test(character) && !UNSPACED.test(character);
}

/** Normal form of a synonym word or of text before rewriting: NFKC, lower case. */
export function foldCase(text: string): string {
	return text.normalize('NFKC').toLowerCase();
}

/**
 * Reads text with every synonym replaced by its group's first word. Build once per synonym list
 * (the FAQ index holds one); `rewrite` is called for every entry and every message.
 */
export class Synonyms {
	/** First character of a word → [word, what it is read as], longest word first. */
	private readonly byFirst = new Map<string, Array<[string, string]>>();
	readonly size: number;

	constructor(groups: readonly (readonly string[])[]) {
		const seen = new Map<string, string>();
		for (const group of groups) {
			const words = group.map((word) => foldCase(word).trim().replace(/\s+/g, ' ')).filter((word) => word !== '');
			if (words.length < 2) continue;
			const canonical = words[0];
			for (const word of words.slice(1)) {
				for (const form of inflections(word)) {
					// The first group that names a word keeps it: an operator's groups come first.
					if (form !== canonical && !seen.has(form)) seen.set(form, canonical);
				}
			}
		}
		for (const [word, canonical] of seen) {
			const first = word[0];
			let list = this.byFirst.get(first);
			if (!list) this.byFirst.set(first, (list = []));
			list.push([word, canonical]);
		}
		for (const list of this.byFirst.values()) list.sort((a, b) => b[0].length - a[0].length);
		this.size = seen.size;
	}

	/** `text` (already case-folded) with each synonym replaced, longest first, left to right. */
	rewrite(text: string): string {
		if (this.size === 0) return text;
		let out = '';
		let copiedUntil = 0;
		for (let i = 0; i < text.length; ) {
			const candidates = this.byFirst.get(text[i]);
			let matched: [string, string] | undefined;
			if (candidates) {
				for (const candidate of candidates) {
					const word = candidate[0];
					if (!text.startsWith(word, i)) continue;
					// A Latin word matches whole words only: "cost" is not in "costume".
					if (isLatinWordCharacter(word[0]) && isLatinWordCharacter(text[i - 1])) continue;
					if (isLatinWordCharacter(word[word.length - 1]) && isLatinWordCharacter(text[i + word.length])) continue;
					matched = candidate;
					break;
				}
			}
			if (!matched) {
				i++;
				continue;
			}
			// Spaces keep a Latin replacement from gluing onto the words around it.
			out += `${text.slice(copiedUntil, i)} ${matched[1]} `;
			i += matched[0].length;
			copiedUntil = i;
		}
		return copiedUntil === 0 ? text : out + text.slice(copiedUntil);
	}
}

/**
 * Groups from the node's Synonyms field: one group per line, words separated by "=" or commas
 * (full-width ones too). Lines with fewer than two words are ignored.
 */
export function parseSynonymGroups(text: string): string[][] {
	return text
		.split(/\r?\n/)
		.map((line) =>
			line
				.split(/[=,，、＝]/)
				.map((word) => word.trim())
				.filter((word) => word !== ''),
		)
		.filter((group) => group.length >= 2);
}
