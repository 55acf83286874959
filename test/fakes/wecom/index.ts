// A loopback fake of the WeCom (企业微信) server API (qyapi.weixin.qq.com) for unit tests, in-process node
// tests, e2e tests in a real n8n, benchmarks and the local demo. One server; its APIs by area:
//   auth.ts    gettoken and the access_token check, OAuth codes, JS-SDK tickets
//   app.ts     app messages: message/send, message/recall
//   media.ts   media/upload, and which media_ids the message APIs accept
//   kf/        微信客服: sync_msg and sends (messages.ts), service_state (sessions.ts), accounts, servicers,
//              customers (accounts.ts), the world the tests play (state.ts), per-customer faults (faults.ts)
//   directory.ts  通讯录 reads: departments, members, user/list_id; visible range and the 2022 restrictions
//   server.ts  dispatch, request log, errmsg wording, injectError / stall / injectHttpFault / waitFor
//   http-faults.ts  what answers instead of WeCom: a gateway's 5xx, a proxy's HTML page, a cut answer, `{}`
// It never imports the product (nodes/): it implements the platform from its docs, so it can catch the
// product's mistakes instead of repeating them.
export { startFakeWeComApi } from './server';
export type {
	FakeMultipartPart,
	FakeRequestRecord,
	FakeWeComApi,
	FakeWeComOptions,
	FakeWeComServerApi,
} from './server';
export type { FakeAppApi, FakeAppOptions, FakeSentMessage } from './app';
export type { FakeHttpFault } from './http-faults';
export type { FakeAuthApi, FakeAuthOptions, FakeOAuthIdentity } from './auth';
export type { FakeMediaApi, FakeMediaType, FakeUploadedMedia } from './media';
export type {
	FakeKfAccount,
	FakeKfApi,
	FakeKfAttempt,
	FakeKfCodeKind,
	FakeKfCustomer,
	FakeKfEvent,
	FakeKfFault,
	FakeKfFaultPath,
	FakeKfMessage,
	FakeKfOptions,
	FakeKfPaging,
	FakeKfPulled,
	FakeKfSentMessage,
	FakeKfServicer,
	FakeKfSessionState,
} from './kf';
export type { FakeTimes, FakeWeComApp, JsonObject } from './platform';
export type { FakeDepartment, FakeDirectoryApi, FakeDirectoryOptions, FakeMember } from './directory';
export { generateDirectory } from './directory';
