// 微信客服 (WeChat Customer Service, "kf"): the state every kf API shares, and its APIs by area.
// Any app's token may call them here (WeCom also wants the app in 「微信客服-可调用接口的应用」 [doc 94638]).
import type { FakeMedia } from '../media';
import type { Clock, Routes } from '../platform';
import { KfAccounts } from './accounts';
import { KfFaults, type FakeKfFaultsApi } from './faults';
import { KfMessages, type FakeKfMessagesApi } from './messages';
import { KfSessions } from './sessions';
import { KfState, type FakeKfOptions, type FakeKfWorldApi } from './state';

export type {
	FakeKfAttempt,
	FakeKfFault,
	FakeKfFaultPath,
	FakeKfFaultsApi,
} from './faults';
export type { FakeKfMessagesApi, FakeKfPaging, FakeKfSentMessage } from './messages';
export type {
	FakeKfAccount,
	FakeKfCodeKind,
	FakeKfCustomer,
	FakeKfEvent,
	FakeKfMessage,
	FakeKfOptions,
	FakeKfPulled,
	FakeKfServicer,
	FakeKfSessionState,
	FakeKfWorldApi,
} from './state';

/** The test side of the kf fake. */
export interface FakeKfApi extends FakeKfWorldApi, FakeKfMessagesApi, FakeKfFaultsApi {}

export class FakeKf {
	readonly state: KfState;
	readonly faults: KfFaults;
	readonly messages: KfMessages;
	readonly routes: Routes;

	constructor(options: FakeKfOptions, now: Clock, media: FakeMedia) {
		this.state = new KfState(options, now);
		this.faults = new KfFaults(now);
		this.messages = new KfMessages(this.state, this.faults, media);
		this.routes = {
			...this.messages.routes,
			...new KfSessions(this.state, this.faults).routes,
			...new KfAccounts(this.state).routes,
		};
	}

	reset(): void {
		this.state.reset();
		this.faults.reset();
		this.messages.reset();
	}
}
