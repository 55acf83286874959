/* eslint-disable @n8n/community-nodes/no-restricted-imports -- test code, never shipped */
/**
 * The WeCom transport's limits, run by n8n-core through the node against small servers of this file
 * (they behave badly on purpose) and the shared fake's rude answers:
 * - a call that WeCom accepts and never answers fails with a timeout error instead of hanging;
 * - a refused gettoken is remembered per credential for a while: concurrent and later executions get
 *   the same error without asking WeCom, a changed credential is asked at once;
 * - a 5xx, a proxy's HTML page, JSON cut short and `{}` without errcode each fail with an error that
 *   says which, and are retried or not as the send retry policy decides.
 * Needs `npm run build` first (the harness loads dist/ as n8n does).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { after, afterEach, before, beforeEach, describe, it, mock } from 'node:test';

import type { ExecutionError, IDataObject, INodeParameters } from 'n8n-workflow';

import { startFakeWeComApi, type FakeWeComApi } from '../fakes/wecom';
import { cleanupHarness, requireBuilt, runNode, type RunNodeResult } from './harness';
import { everything } from '../support/errors';

type Transport = typeof import('../../nodes/WeCom/transport');
type Errors = typeof import('../../nodes/WeCom/transport/errors');

const CORP_ID = 'ww_transport_corp';
const AGENT_ID = '1000002';
/** Random per run, so a leak test cannot pass by luck. */
const SECRET = randomBytes(20).toString('hex');
const KF = 'wkTRANSPORT01';
/** A regression hangs for n8n's 300 s: every test here fails long before that instead. */
const GUARD = { timeout: 20_000 };

/** What a test server does with a request: answer this JSON, or never answer ('stall'). */
type Behaviour = (path: string, query: URLSearchParams) => IDataObject | 'stall';

interface TestServer {
	url: string;
	/** Paths of every request received, in order. */
	paths: string[];
	count(path: string): number;
	behave(behaviour: Behaviour): void;
	close(): Promise<void>;
}

/** A WeCom stand-in on 127.0.0.1 that reads each request and answers as told, or never. */
async function startServer(behaviour: Behaviour): Promise<TestServer> {
	let current = behaviour;
	const paths: string[] = [];
	const sockets = new Set<Socket>();
	const server: Server = createServer((req: IncomingMessage, res) => {
		const url = new URL(req.url ?? '/', 'http://127.0.0.1');
		paths.push(url.pathname);
		req.resume();
		req.on('end', () => {
			const answer = current(url.pathname, url.searchParams);
			if (answer === 'stall') return;
			res.setHeader('Content-Type', 'application/json');
			res.end(JSON.stringify(answer));
		});
	});
	server.on('connection', (socket) => {
		sockets.add(socket);
		socket.on('close', () => sockets.delete(socket));
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	return {
		url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
		paths,
		count: (path) => paths.filter((p) => p === path).length,
		behave: (next) => {
			current = next;
		},
		close: async () => {
			for (const socket of sockets) socket.destroy();
			await new Promise<void>((resolve) => server.close(() => resolve()));
		},
	};
}

/** Answers like WeCom for the right Corp ID and Secret; `overrides` decide the other paths. */
function weCom(overrides: Record<string, IDataObject | 'stall'> = {}, goodSecret = SECRET): Behaviour {
	return (path, query) => {
		if (path in overrides) return overrides[path];
		if (path === '/cgi-bin/gettoken') {
			if (query.get('corpid') !== CORP_ID) return { errcode: 40013, errmsg: 'invalid corpid' };
			if (query.get('corpsecret') !== goodSecret) return { errcode: 40001, errmsg: 'invalid credential' };
			return { errcode: 0, errmsg: 'ok', access_token: `token-${randomBytes(8).toString('hex')}`, expires_in: 7200 };
		}
		if (path === '/cgi-bin/message/send') return { errcode: 0, errmsg: 'ok', msgid: 'msg-1' };
		if (path === '/cgi-bin/kf/sync_msg') return { errcode: 0, errmsg: 'ok', next_cursor: 'c1', has_more: 0, msg_list: [] };
		return { errcode: 0, errmsg: 'ok' };
	};
}

const GETTOKEN = '/cgi-bin/gettoken';
// A 1×1 PNG.
const PNG = Buffer.from(
	'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
	'base64',
);

let transport: Transport;
let errors: Errors;
let server: TestServer;
let savedTimeouts: IDataObject;
let workflowCounter = 0;

/** An app message without the send retry policy on top: these tests count the transport's own calls. */
function sendText(): INodeParameters {
	return { resource: 'message', operation: 'sendText', toUser: 'zhangsan', content: 'hello', options: { retries: 0 } };
}

async function run(parameters: INodeParameters, secret = SECRET, extra: Partial<Parameters<typeof runNode>[0]> = {}) {
	return await runNode({
		nodeType: 'weCom',
		parameters,
		credentials: { weComApi: { corpId: CORP_ID, agentId: AGENT_ID, secret, baseUrl: server.url } },
		...extra,
	});
}

function failed(result: RunNodeResult): ExecutionError {
	assert.ok(result.error, 'the node failed');
	return result.error;
}

before(async () => {
	transport = await requireBuilt<Transport>('dist/nodes/WeCom/transport/index.js');
	errors = await requireBuilt<Errors>('dist/nodes/WeCom/transport/errors.js');
	// `?? {}`: without the knob (the code before time limits) the tests still run, and hang into GUARD.
	savedTimeouts = { ...(transport.WECOM_TIMEOUTS ?? {}) };
});

beforeEach(async () => {
	transport.resetWeComCaches();
	server = await startServer(weCom());
});

afterEach(async () => {
	Object.assign(transport.WECOM_TIMEOUTS ?? {}, savedTimeouts);
	mock.timers.reset();
	await server.close();
});

after(() => cleanupHarness());

describe('WeCom transport: a call that never gets an answer', () => {
	beforeEach(() => {
		// The real limits are seconds (timeouts.ts); here a stalled call must end in well under one.
		Object.assign(transport.WECOM_TIMEOUTS ?? {}, { tokenMs: 300, callMs: 400, syncMsgMs: 500 });
	});

	it('a stalled gettoken fails with a timeout error naming the call, and is asked again next time', GUARD, async () => {
		server.behave(weCom({ [GETTOKEN]: 'stall' }));
		const error = failed(await run(sendText()));
		assert.equal(error.name, 'NodeApiError');
		assert.equal(error.message, 'WeCom did not answer within 0.3 s: /cgi-bin/gettoken');
		assert.match(String(error.description), /Base URL/);
		assert.doesNotMatch(String(error.description), /may or may not have been applied/, 'reading a token twice is harmless');
		assert.ok(errors.isTransientWeComError(error), 'worth a retry');
		assert.ok(!everything(error).includes(SECRET), 'no secret in the error');
		// A network failure is not remembered: the next execution asks WeCom again, and succeeds.
		server.behave(weCom());
		assert.equal((await run(sendText())).error, undefined);
		assert.equal(server.count(GETTOKEN), 2);
	});

	it('a stalled send fails within its limit and says it may have been carried out', GUARD, async () => {
		server.behave(weCom({ '/cgi-bin/message/send': 'stall' }));
		const error = failed(await run(sendText()));
		assert.equal(error.message, 'WeCom did not answer within 0.4 s: /cgi-bin/message/send');
		assert.match(String(error.description), /may or may not have been applied/);
		assert.equal((error as { context?: IDataObject }).context?.mayHaveBeenApplied, true);
		assert.ok(errors.isTransientWeComError(error));
		const text = everything(error);
		assert.ok(!text.includes('access_token=token-'), 'no access_token in the error');
	});

	it('a stalled kf/sync_msg ends the pull and frees the account for the next one', GUARD, async () => {
		const workflow = { workflowId: `transport-wf-${++workflowCounter}`, staticData: {} as IDataObject };
		const pull = async () =>
			await run({ resource: 'kfMessage', operation: 'pull', openKfId: KF, token: '' }, SECRET, {
				items: [{ OpenKfId: KF }],
				mode: 'webhook',
				...workflow,
			});
		server.behave(weCom({ '/cgi-bin/kf/sync_msg': 'stall' }));
		const error = failed(await pull());
		assert.equal(error.message, 'WeCom did not answer within 0.5 s: /cgi-bin/kf/sync_msg');
		assert.doesNotMatch(String(error.description), /may or may not/, 'a pull read again returns the same messages');
		server.behave(weCom());
		const next = await pull();
		assert.equal(next.error, undefined, 'the pull lock of the account was released');
		assert.equal(server.count('/cgi-bin/kf/sync_msg'), 2);
	});

	it('a stalled media upload fails within the limit for its size', GUARD, async () => {
		server.behave(weCom({ '/cgi-bin/media/upload': 'stall' }));
		const error = failed(
			await run({ resource: 'media', operation: 'upload', type: 'image', binaryPropertyName: 'data' }, SECRET, {
				binary: { data: { data: PNG, fileName: 'a.png', mimeType: 'image/png' } },
			}),
		);
		// callMs plus the file at WECOM_TIMEOUTS.uploadBytesPerSecond: 400 ms + 70 bytes ≈ 0.4 s.
		assert.match(error.message, /^WeCom did not answer within 0\.4 s: \/cgi-bin\/media\/upload$/);
		assert.equal(server.count('/cgi-bin/media/upload'), 1);
	});
});

describe('WeCom transport: a refused gettoken is remembered per credential', () => {
	const WRONG = 'wrong-secret-0000000000000000000000000000';

	it('a wrong secret: 10 concurrent and 10 later executions cause one gettoken; after the window, one more', GUARD, async () => {
		mock.timers.enable({ apis: ['Date'], now: Date.now() });
		const concurrent = await Promise.all(Array.from({ length: 10 }, async () => await run(sendText(), WRONG)));
		const sequential: RunNodeResult[] = [];
		for (let i = 0; i < 10; i++) sequential.push(await run(sendText(), WRONG));
		assert.equal(server.count(GETTOKEN), 1, 'one gettoken for 20 executions');
		for (const result of [...concurrent, ...sequential]) {
			const error = failed(result);
			assert.match(error.message, /^WeCom error 40001: invalid secret/);
			assert.match(String(error.description), /gives this same answer for the next \d+ s without asking WeCom/);
			assert.ok(!errors.isTransientWeComError(error), 'a wrong secret is not worth a retry');
			assert.ok(!everything(error).includes(WRONG), 'no secret in the error');
		}
		assert.equal(server.count('/cgi-bin/message/send'), 0);

		const windowMs = transport.WECOM_TIMEOUTS?.refusedTokenMemoryMs ?? 60_000;
		mock.timers.tick(windowMs - 1000);
		failed(await run(sendText(), WRONG));
		assert.equal(server.count(GETTOKEN), 1, 'still inside the window');

		mock.timers.tick(1000);
		failed(await run(sendText(), WRONG));
		assert.equal(server.count(GETTOKEN), 2, 'after the window WeCom is asked once more');
		failed(await run(sendText(), WRONG));
		assert.equal(server.count(GETTOKEN), 2, 'and that answer is remembered again');
	});

	it('a changed secret is asked at once', GUARD, async () => {
		failed(await run(sendText(), WRONG));
		failed(await run(sendText(), `${WRONG}-2`));
		assert.equal(server.count(GETTOKEN), 2, 'another wrong secret is another credential');
		assert.equal((await run(sendText())).error, undefined, 'the corrected secret works at once');
		assert.equal(server.count(GETTOKEN), 3);
	});

	it('an untrusted IP (60020) is remembered; WeCom busy (-1) is not', GUARD, async () => {
		server.behave(
			weCom({ [GETTOKEN]: { errcode: 60020, errmsg: 'not allow to access from your ip, from ip: 203.0.113.7' } }),
		);
		const first = failed(await run(sendText()));
		assert.match(String(first.description), /203\.0\.113\.7/);
		failed(await run(sendText()));
		assert.equal(server.count(GETTOKEN), 1);

		transport.resetWeComCaches();
		server.behave(weCom({ [GETTOKEN]: { errcode: -1, errmsg: 'system busy' } }));
		const busy = failed(await run(sendText()));
		assert.ok(errors.isTransientWeComError(busy));
		assert.doesNotMatch(String(busy.description), /without asking WeCom/);
		server.behave(weCom());
		assert.equal((await run(sendText())).error, undefined, 'the next execution asks again and gets a token');
		assert.equal(server.count(GETTOKEN), 3);
	});
});

/**
 * What the node says when something other than WeCom's JSON answers (the shared fake's injectHttpFault: a
 * gateway's 5xx, a proxy's HTML page, JSON cut short, `{}`), and whether the send retry policy
 * (transport/retry.ts) tries again. Kf sends retry with the same msgid (idempotent); app messages without
 * Duplicate Check only when WeCom cannot have carried the call out.
 */
describe('WeCom transport: answers that are not WeCom’s', () => {
	const APP_AGENT = 1000002;
	const CUSTOMER = 'wmTRANSPORT1';
	const KF_SEND = '/cgi-bin/kf/send_msg';
	const APP_SEND = '/cgi-bin/message/send';
	let fake: FakeWeComApi;

	before(async () => {
		fake = await startFakeWeComApi({
			corpId: CORP_ID,
			apps: [{ agentId: APP_AGENT, secret: SECRET }],
			kfAccounts: [{ open_kfid: KF, name: '客服' }],
		});
	});
	beforeEach(() => {
		fake.reset();
		fake.kfCustomerSends(KF, CUSTOMER, { msgtype: 'text', text: { content: '你好' } });
	});
	after(async () => await fake.close());

	async function runOnFake(parameters: INodeParameters): Promise<RunNodeResult> {
		return await runNode({
			nodeType: 'weCom',
			parameters,
			credentials: { weComApi: { corpId: CORP_ID, agentId: String(APP_AGENT), secret: SECRET, baseUrl: fake.url } },
			items: [{ open_kfid: KF, external_userid: CUSTOMER }],
		});
	}
	const kfSend = (retries?: number) =>
		runOnFake({ resource: 'kfMessage', operation: 'sendText', content: '您好', options: retries === undefined ? {} : { retries } });
	const appSend = (options: INodeParameters = {}) =>
		runOnFake({ resource: 'message', operation: 'sendText', toUser: 'zhangsan', content: 'hello', options });
	const calls = (path: string) => fake.requests.filter((request) => request.path === path).length;

	/** A NodeApiError that names the HTTP status and what came back, points at the Base URL, and leaks nothing. */
	function assertActionable(result: RunNodeResult, status: number, what: RegExp): ExecutionError {
		const error = failed(result);
		assert.equal(error.name, 'NodeApiError');
		assert.match(error.message, new RegExp(`^WeCom request failed \\(HTTP ${status}\\): ${what.source}`));
		assert.match(String(error.description), /Base URL/);
		const text = everything(error);
		assert.ok(!text.includes(SECRET), 'no secret in the error');
		const tokens = fake.requests.map((request) => request.query.access_token).filter((token): token is string => !!token);
		for (const token of tokens) assert.ok(!text.includes(token), 'no access_token in the error');
		return error;
	}

	it('a gateway 503: the status and its text; worth a retry, and a kf send is retried and goes out once', GUARD, async () => {
		fake.injectHttpFault(KF_SEND, { status: 503 });
		const error = assertActionable(await kfSend(0), 503, /the answer is not JSON: "503 Service Temporarily Unavailable"$/);
		assert.ok(errors.isTransientWeComError(error));
		assert.equal(fake.kfSent.length, 0);

		fake.injectHttpFault(KF_SEND, { status: 503 });
		const retried = await kfSend();
		assert.equal(retried.error, undefined);
		assert.equal(retried.outputs[0][0].json.attempts, 2);
		assert.equal(fake.kfSent.length, 1);
	});

	it('a 503 on an app message: not sent again without Duplicate Check (WeCom may have sent it)', GUARD, async () => {
		fake.injectHttpFault(APP_SEND, { status: 503 });
		const error = assertActionable(await appSend(), 503, /the answer is not JSON/);
		assert.match(String(error.description), /may or may not have been applied/);
		assert.equal(calls(APP_SEND), 1);
	});

	it('a 502 whose JSON has no errcode: the status, and not taken for WeCom’s answer', GUARD, async () => {
		fake.injectHttpFault(KF_SEND, { status: 502, body: '{"message":"no healthy upstream"}', contentType: 'application/json' });
		const error = assertActionable(await kfSend(0), 502, /the answer has no errcode, so it is not WeCom’s$/);
		assert.ok(errors.isTransientWeComError(error), 'a 5xx is worth a retry');
	});

	it('a proxy’s HTML page with 200 on gettoken: named as such, its title shown, not retried, no secret from the page', GUARD, async () => {
		// The page repeats the URL it was asked for: /cgi-bin/gettoken?corpid=…&corpsecret=SECRET.
		fake.injectHttpFault(GETTOKEN, { htmlPage: 200 });
		const error = assertActionable(await kfSend(), 200, /a proxy answered with an HTML page$/);
		assert.match(String(error.description), /"Access Denied"/);
		assert.ok(!errors.isTransientWeComError(error), 'a block page does not lift in seconds');
		assert.equal(calls(GETTOKEN), 1, 'not retried');
		assert.equal(calls(KF_SEND), 0);

		// A page is known by its content type too, when its text does not start with markup.
		fake.injectHttpFault(KF_SEND, { status: 200, body: 'Blocked by policy', contentType: 'text/html' });
		assertActionable(await kfSend(), 200, /a proxy answered with an HTML page$/);
	});

	it('a proxy’s HTML page with 502 on a kf send: the status, retried with the same msgid, sent once', GUARD, async () => {
		fake.injectHttpFault(KF_SEND, { htmlPage: 502 });
		const error = assertActionable(await kfSend(0), 502, /a proxy answered with an HTML page$/);
		assert.match(String(error.description), /"ERROR: The requested URL could not be retrieved"/);
		assert.ok(errors.isTransientWeComError(error));

		fake.injectHttpFault(KF_SEND, { htmlPage: 502 });
		const retried = await kfSend();
		assert.equal(retried.error, undefined);
		assert.equal(calls(KF_SEND), 3);
		assert.equal(fake.kfSent.length, 1);
	});

	it('JSON cut short: "not JSON", worth a retry; a cut gettoken is fetched again and the message goes out once', GUARD, async () => {
		fake.injectHttpFault(GETTOKEN, 'truncated');
		const error = assertActionable(await appSend({ retries: 0 }), 200, /the answer is not JSON: it breaks off after \d+ bytes$/);
		assert.ok(errors.isTransientWeComError(error));
		assert.doesNotMatch(String(error.description), /may or may not have been applied/, 'a token read twice is harmless');

		fake.injectHttpFault(GETTOKEN, 'truncated');
		const retried = await appSend();
		assert.equal(retried.error, undefined);
		assert.equal(calls(GETTOKEN), 3);
		assert.equal(fake.sentMessages.length, 1);
		// The cut answer held the first half of this token (WeCom gives the same one while it is valid).
		const token = fake.requests.find((request) => request.path === APP_SEND)?.query.access_token ?? '';
		assert.ok(token.length >= 24);
		assert.ok(!everything(error).includes(token.slice(0, 12)), 'no part of the token in the error');
	});

	it('JSON cut short on an app message that WeCom did send: the error says it may have been applied, no blind retry', GUARD, async () => {
		fake.injectHttpFault(APP_SEND, 'truncated');
		const error = assertActionable(await appSend(), 200, /the answer is not JSON/);
		assert.match(String(error.description), /may or may not have been applied/);
		assert.equal(calls(APP_SEND), 1);
		assert.equal(fake.sentMessages.length, 1, 'WeCom did send it');
	});

	it('{} without errcode is not success: an app message fails, nothing is retried', GUARD, async () => {
		fake.injectHttpFault(APP_SEND, 'no-errcode');
		const error = assertActionable(await appSend({ enableDuplicateCheck: true }), 200, /the answer has no errcode, so it is not WeCom’s$/);
		assert.match(String(error.description), /errcode/);
		assert.ok(!errors.isTransientWeComError(error));
		assert.equal(calls(APP_SEND), 1);
		assert.equal(fake.sentMessages.length, 0);

		fake.injectHttpFault(KF_SEND, 'no-errcode');
		assertActionable(await kfSend(), 200, /the answer has no errcode/);
		assert.equal(calls(KF_SEND), 1);
	});

	it('{} without errcode on gettoken or a pull is not success either', GUARD, async () => {
		fake.injectHttpFault(GETTOKEN, 'no-errcode');
		assertActionable(await appSend({ retries: 0 }), 200, /the answer has no errcode/);
		fake.injectHttpFault('/cgi-bin/kf/sync_msg', 'no-errcode');
		const pull = await runNode({
			nodeType: 'weCom',
			parameters: { resource: 'kfMessage', operation: 'pull', openKfId: KF, token: '' },
			credentials: { weComApi: { corpId: CORP_ID, agentId: String(APP_AGENT), secret: SECRET, baseUrl: fake.url } },
			items: [{ OpenKfId: KF }],
			mode: 'webhook',
			workflowId: `transport-wf-${++workflowCounter}`,
			staticData: {},
		});
		assertActionable(pull, 200, /the answer has no errcode/);
	});
});
