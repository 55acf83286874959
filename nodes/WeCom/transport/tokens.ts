/**
 * Keys of WeCom's expiring strings: the app access_token (gettoken) and the JS-SDK tickets
 * (get_jsapi_ticket, ticket/get?type=agent_config), cached by nodes/common/expiringCache.ts.
 *
 * Why a cache at all: WeCom rate-limits gettoken ("不能频繁调用gettoken接口，否则会受到频率拦截",
 * doc 91039) and jsapi tickets (400/h per corp, 100/h per app, doc 90454). WeCom's gettoken does not
 * invalidate tokens other processes hold, so a cache per n8n process (per worker in queue mode) is safe.
 */
import { sha256Hex } from '../../common/expiringCache';

export { ExpiringValueCache, sha256Hex } from '../../common/expiringCache';
export type { ExpiringCacheOptions, FetchedValue } from '../../common/expiringCache';

/**
 * One token per app: WeCom issues a token per corp ID + app secret, and a proxy base URL may lead
 * to a different WeCom (a test fake, another region). The secret enters the key only as its hash.
 */
export function accessTokenKey(baseUrl: string, corpId: string, secret: string): string {
	return `${baseUrl}|${corpId}|${sha256Hex(secret)}`;
}

/** `corp`: get_jsapi_ticket (wx.config). `agent`: ticket/get?type=agent_config (wx.agentConfig). */
export type JsApiTicketType = 'corp' | 'agent';

export function jsApiTicketKey(tokenKey: string, ticketType: JsApiTicketType): string {
	return `${tokenKey}|ticket:${ticketType}`;
}
