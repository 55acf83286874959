// Who is there: kf/account/list [doc 94661], kf/servicer/list [doc 94645], kf/customer/batchget [doc 95159].
import type { Answer, JsonObject, RequestContext, Routes } from '../platform';
import { KF_REPLY_WINDOW, type KfState } from './state';

export class KfAccounts {
	readonly routes: Routes = {
		'/cgi-bin/kf/account/list': { auth: true, handle: (c) => this.accountList(c) },
		'/cgi-bin/kf/servicer/list': { auth: true, handle: (c) => this.servicerList(c) },
		'/cgi-bin/kf/customer/batchget': { auth: true, handle: (c) => this.customerBatchget(c) },
	};

	constructor(private readonly state: KfState) {}

	/** POST /cgi-bin/kf/account/list [doc 94661]: offset, limit 1–100 (default 100). */
	private accountList({ body }: RequestContext): Answer {
		const offset = body.offset === undefined ? 0 : Number(body.offset);
		const limit = body.limit === undefined ? 100 : Number(body.limit);
		// Guess: no errcode documented for an offset or limit out of range; 40058 不合法的参数.
		if (!Number.isInteger(offset) || offset < 0 || !Number.isInteger(limit) || limit < 1 || limit > 100)
			return { errcode: 40058 };
		return {
			errcode: 0,
			account_list: this.state.kfAccounts.slice(offset, offset + limit).map((account) => ({
				open_kfid: account.open_kfid,
				name: account.name,
				avatar: account.avatar ?? `https://wework.qpic.cn/wwhead/${account.open_kfid}/0`,
				manage_privilege: account.manage_privilege ?? true,
			})),
		};
	}

	/** GET /cgi-bin/kf/servicer/list?open_kfid= [doc 94645]. */
	private servicerList({ query }: RequestContext): Answer {
		if (!query.open_kfid) return { errcode: 95000 };
		if (!this.state.account(query.open_kfid)) return { errcode: 95004 };
		return {
			errcode: 0,
			servicer_list: (this.state.servicers.get(query.open_kfid) ?? []).map((servicer) =>
				'userid' in servicer
					? {
							userid: servicer.userid,
							status: servicer.status ?? 0,
							...(servicer.status === 1 ? { stop_type: servicer.stop_type ?? 0 } : {}),
						}
					: { department_id: servicer.department_id },
			),
		};
	}

	/** POST /cgi-bin/kf/customer/batchget [doc 95159]: only customers active within 48 hours. */
	private customerBatchget({ body }: RequestContext): Answer {
		const ids = Array.isArray(body.external_userid_list) ? body.external_userid_list.map(String) : [];
		// "external_userid_list … 可填充个数：1 ~ 100"; outside that the fake answers 40058 (a guess: no code
		// is documented).
		if (ids.length < 1 || ids.length > 100) return { errcode: 40058 };
		const withContext = Number(body.need_enter_session_context) === 1;
		const now = this.state.now();
		const customerList: JsonObject[] = [];
		const invalid: string[] = [];
		for (const id of ids) {
			const customer = this.state.customers.get(id);
			const sessions = this.state.sessionsOf(id);
			const active = sessions.some((s) => s.lastActiveAt !== undefined && now - s.lastActiveAt < KF_REPLY_WINDOW);
			if (!customer || !active) {
				invalid.push(id);
				continue;
			}
			const latest = sessions
				.filter((s) => s.enterContext)
				.sort((a, b) => (b.lastActiveAt ?? 0) - (a.lastActiveAt ?? 0))[0];
			customerList.push({
				external_userid: id,
				nickname: customer.nickname ?? '',
				avatar: customer.avatar ?? '',
				gender: customer.gender ?? 0,
				unionid: customer.unionid ?? '',
				...(withContext ? { enter_session_context: latest?.enterContext ?? {} } : {}),
			});
		}
		return { errcode: 0, customer_list: customerList, invalid_external_userid: invalid };
	}
}
