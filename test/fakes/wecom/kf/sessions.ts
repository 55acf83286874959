// kf session state: kf/service_state/get and kf/service_state/trans [doc 94669].
//
// States: 0 未处理, 1 由智能助手接待, 2 待接入池排队中, 3 由人工接待, 4 已结束/未开始. The doc's table allows
// 0 → 1 (API replies), 2 (queue), 3 (servicer); 1 → 2, 3; 2 → 3; 3 → 3 (another servicer), 4 (end); 4 →
// nothing through the API. Guess: ending (→ 4) from 0, 1 and 2 as well, read from the same page's
// "主动结束会话前（包括…企业通过API结束会话）" and its flow chart (an image). Anything else: 95016 不允许这种状态转移.
import { missingField, nonEmpty, type Answer, type JsonObject, type Reply, type RequestContext, type Routes } from '../platform';
import type { KfFaults } from './faults';
import type { KfState } from './state';

const TRANSITIONS: Record<number, readonly number[]> = {
	0: [1, 2, 3, 4],
	1: [2, 3, 4],
	2: [3, 4],
	3: [3, 4],
	4: [],
};

export class KfSessions {
	readonly routes: Routes = {
		'/cgi-bin/kf/service_state/get': { auth: true, handle: (c) => this.get(c) },
		'/cgi-bin/kf/service_state/trans': { auth: true, handle: (c) => this.trans(c) },
	};

	constructor(
		private readonly state: KfState,
		private readonly faults: KfFaults,
	) {}

	/** POST /cgi-bin/kf/service_state/get [doc 94669]. */
	private get({ body }: RequestContext): Answer {
		const error = this.checkParams(body);
		if (error) return error;
		return { errcode: 0, ...this.state.kfSessionState(body.open_kfid as string, body.external_userid as string) };
	}

	/** POST /cgi-bin/kf/service_state/trans [doc 94669]. */
	private trans({ body }: RequestContext): Reply | Promise<Reply> {
		const customer = {
			open_kfid: typeof body.open_kfid === 'string' ? body.open_kfid : '',
			external_userid: typeof body.external_userid === 'string' ? body.external_userid : '',
		};
		return this.faults.attempt('/cgi-bin/kf/service_state/trans', customer, body, () => {
			const error = this.checkParams(body);
			if (error) return error;
			const { open_kfid: openKfId, external_userid: externalUserId } = customer;
			const target = Number(body.service_state);
			if (!Number.isInteger(target) || target < 0 || target > 4) return { errcode: 40058 };
			const session = this.state.existingSession(openKfId, externalUserId);
			const current = session?.state ?? 4;
			if (!TRANSITIONS[current].includes(target)) return { errcode: 95016 };
			let servicerUserId: string | undefined;
			if (target === 3) {
				// "当state=3时要求必填，接待人员须处于“正在接待”中。注意：要求接待人员必须在企业微信激活使用，否则会返回
				// 95014错误".
				if (!nonEmpty(body.servicer_userid)) return missingField('servicer_userid');
				const servicer = this.state.servicer(openKfId, body.servicer_userid);
				if (!servicer) return { errcode: 95014 };
				// Inferred: doc 94669 names no code for a servicer who is not "正在接待"; doc 90313's 95019
				// 接待人员已停止接待或暂时挂起 says exactly that.
				if (servicer.status === 1) return { errcode: 95019 };
				servicerUserId = body.servicer_userid;
			}
			const active = session ?? this.state.session(openKfId, externalUserId);
			active.state = target;
			active.servicer_userid = servicerUserId;
			// msg_code: "将会话初次变更为service_state为2和3时，返回回复语code，service_state为4时，返回结束语code".
			let msgCode: string | undefined;
			if (target === 4) {
				msgCode = this.state.issueCode('closing', openKfId, externalUserId);
			} else if ((target === 2 || target === 3) && !active.reached.has(target)) {
				msgCode = this.state.issueCode(target === 2 ? 'queue' : 'accept', openKfId, externalUserId);
			}
			if (target === 2 || target === 3) active.reached.add(target);
			if (target === 4) active.reached.clear();
			return { errcode: 0, ...(msgCode === undefined ? {} : { msg_code: msgCode }) };
		});
	}

	/** open_kfid and external_userid, both required (是) [doc 94669]. */
	private checkParams(body: JsonObject): Answer | undefined {
		if (!nonEmpty(body.open_kfid)) return { errcode: 95000 };
		if (!this.state.account(body.open_kfid)) return { errcode: 95004 };
		// Guess: no errcode documented for a missing external_userid; 40058 as for other fields.
		if (!nonEmpty(body.external_userid)) return missingField('external_userid');
		return undefined;
	}
}
