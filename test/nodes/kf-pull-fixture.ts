/**
 * What the kf pull tests share: a loopback fake WeCom with a clock that can be moved back, reset before each
 * test, and one execution of WeCom → Kf Message → Pull Messages at a time through n8n-core (harness.ts).
 * `useKfPullFixture()` registers the hooks of the file that calls it.
 */
import { after, before, beforeEach } from 'node:test';

import type { IDataObject, INodeParameters } from 'n8n-workflow';

import { startFakeWeComApi, type FakeRequestRecord, type FakeWeComApi } from '../fakes/wecom';
import { cleanupHarness, runNode } from './harness';

export const CORP_ID = 'ww_kf_pull_corp';
export const KF = 'wkFAKEKF0001';
const SECRET = 'kf-pull-secret';

/** One workflow: its id and the static data n8n keeps in its database. */
export interface PullWorkflow {
	workflowId: string;
	staticData: IDataObject;
}

export interface KfPullFixture {
	readonly api: FakeWeComApi;
	/** The fake's clock offset: the node reads the real clock, so it only moves back for "old" messages. */
	clockOffsetMs: number;
	/** Called after the fake answered a request (a test can arm a failure for the next one). */
	onAnswered: ((record: FakeRequestRecord) => void) | undefined;
	newWorkflow(): PullWorkflow;
	/** One execution of Pull Messages: its items, and the hints it put on its output. */
	pullRun(
		wf: PullWorkflow,
		token: string,
		parameters?: INodeParameters,
		mode?: 'webhook' | 'manual',
	): Promise<{ items: IDataObject[]; hints: string[] }>;
	pull(wf: PullWorkflow, token: string, parameters?: INodeParameters): Promise<IDataObject[]>;
	/** A customer's text message, as the fake's kf account receives it. */
	says(customer: string, content: string): ReturnType<FakeWeComApi['kfCustomerSends']>;
}

export function useKfPullFixture(): KfPullFixture {
	let api: FakeWeComApi | undefined;
	let workflowCounter = 0;
	const fixture: KfPullFixture = {
		get api() {
			if (!api) throw new Error('the fake WeCom starts in before()');
			return api;
		},
		clockOffsetMs: 0,
		onAnswered: undefined,
		newWorkflow: () => ({ workflowId: `kf-pull-wf-${++workflowCounter}`, staticData: {} }),
		async pullRun(wf, token, parameters = {}, mode = 'webhook') {
			const result = await runNode({
				nodeType: 'weCom',
				parameters: { resource: 'kfMessage', operation: 'pull', ...parameters },
				credentials: { weComApi: { corpId: CORP_ID, agentId: '1000002', secret: SECRET, baseUrl: fixture.api.url } },
				items: [{ ToUserName: CORP_ID, MsgType: 'event', Event: 'kf_msg_or_event', Token: token, OpenKfId: KF }],
				mode,
				workflowId: wf.workflowId,
				staticData: wf.staticData,
			});
			if (result.error) throw result.error;
			const task = result.run?.data.resultData.runData['Node Under Test']?.[0];
			return {
				items: (result.outputs[0] ?? []).map((item) => item.json),
				hints: (task?.hints ?? []).map((hint) => hint.message),
			};
		},
		async pull(wf, token, parameters = {}) {
			return (await fixture.pullRun(wf, token, parameters)).items;
		},
		says: (customer, content) => fixture.api.kfCustomerSends(KF, customer, { msgtype: 'text', text: { content } }),
	};
	before(async () => {
		api = await startFakeWeComApi({
			corpId: CORP_ID,
			apps: [{ agentId: 1000002, secret: SECRET }],
			now: () => Date.now() + fixture.clockOffsetMs,
			onRequest: (record) => fixture.onAnswered?.(record),
		});
	});
	beforeEach(() => {
		fixture.api.reset();
		fixture.api.setKfSyncPaging({});
		fixture.clockOffsetMs = 0;
		fixture.onAnswered = undefined;
	});
	after(async () => {
		await api?.close();
		cleanupHarness();
	});
	return fixture;
}
