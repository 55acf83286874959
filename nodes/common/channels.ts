import type { TextLimit } from './text';

/**
 * The most one text message may hold on each channel, counted the way the platform counts it. Nodes
 * that cut, check or describe a text read the limit here, so each is stated once.
 */
export const TEXT_LIMITS = {
	/**
	 * WeCom app messages (message/send, doc 90236) and WeChat Customer Service (kf/send_msg, doc
	 * 94677): text and markdown content "最长不超过2048个字节", counted in UTF-8 (a Chinese character is 3).
	 */
	weCom: { unit: 'bytes', max: 2048 },
	/**
	 * WhatsApp: 4096 "characters", without saying which; counted as UTF-16 code units, which never
	 * counts fewer than the platform does.
	 */
	whatsApp: { unit: 'chars', max: 4096 },
} as const satisfies Record<string, TextLimit>;
