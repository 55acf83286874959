/**
 * The three seed-002 CRM templates (workflows/miniprogram-*.json) in a real n8n against the fake mini-program
 * API: login (code → openid → session token), advisor subscriptions (the POST and WeChat's message push
 * counting acceptances) and customer actions (lead per phone, the action, the advisor's notification), with
 * the Data Tables created as the Read Me notes tell the operator. Every protected call is tried with a
 * missing, forged, expired and someone else's session token: 401 and no row changed.
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, before, describe, it } from 'node:test';

import type { FakeMiniProgram } from '../fakes/miniprogram';
import { safePush, subscribeEvent } from '../fakes/miniprogram/push';
import { withQuery } from '../fakes/wecom/callback';
import type { N8nInstance } from './harness';
import { ACTIONS, ADVISORS, CUSTOMERS, JWT_SECRET, type MiniProgramCrm, type Row, startMiniProgramCrm, TEMPLATE_ID } from './miniprogram-crm';

function base64url(value: string | Buffer): string {
	return Buffer.from(value).toString('base64url');
}

/** An HS256 token as jsonwebtoken writes one: what a forger with the wrong secret, or an old session, holds. */
function signToken(payload: Record<string, unknown>, secret: string, alg = 'HS256'): string {
	const head = `${base64url(JSON.stringify({ alg, typ: 'JWT' }))}.${base64url(JSON.stringify(payload))}`;
	if (alg === 'none') return `${head}.`;
	return `${head}.${base64url(createHmac('sha256', secret).update(head).digest())}`;
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

const RACE_PATH = 'api/customer/action-every-lookup-misses';

describe('Mini-program CRM templates (real n8n, fake mini-program API, n8n Data Tables)', () => {
	let crm: MiniProgramCrm;
	let fake: FakeMiniProgram;
	let n8n: N8nInstance;
	const rows = async (table: string): Promise<Row[]> => await crm.rows(table);
	const post: MiniProgramCrm['post'] = async (...args) => await crm.post(...args);
	const login = async (openid: string) => await crm.login(openid);

	/** WeChat's push of a subscribe event, one entry per template (TEMPLATE_ID unless named), and its execution. */
	async function pushEvent(event: string, openid: string, status: string, templateIds = [TEMPLATE_ID]): Promise<void> {
		const entries = templateIds.map((TemplateId) => ({ TemplateId, SubscribeStatusString: status, PopupScene: '0' }));
		const request = safePush(crm.push, subscribeEvent(event, openid, entries, 'json'), 'json');
		const known = await n8n.executionIds(crm.workflowIds.advisor);
		const res = await fetch(withQuery(crm.triggerUrl, request.query), { method: 'POST', headers: { 'content-type': 'application/json' }, body: request.body });
		assert.equal(await res.text(), 'success');
		const runs = await n8n.settledExecutionsSince(crm.workflowIds.advisor, known, 1_000);
		assert.deepEqual(runs.map((run) => run.status), ['success']);
	}

	const advisorRow = async (openid: string) => (await rows(ADVISORS)).find((row) => row.openid === openid && row.templateId === TEMPLATE_ID);

	before(async () => {
		crm = await startMiniProgramCrm({
			// A copy whose phone lookup never finds the lead, as when actions arrive before any of them wrote it: what
			// keeps one lead then is the oldest-row-wins step alone.
			extra: ({ action }) => ({
				race: {
					...action,
					name: `${action.name} (lookup off)`,
					nodes: action.nodes.map((node) =>
						node.name === 'Find Customer'
							? { ...node, disabled: true }
							: node.type === 'n8n-nodes-base.webhook'
								? { ...node, webhookId: 'e2e-race', parameters: { ...node.parameters, path: RACE_PATH } }
								: node,
					),
				},
			}),
		});
		({ fake, n8n } = crm);
	});

	after(async () => {
		await crm?.close();
	});

	describe('POST /api/wechat/openid', () => {
		it('a login code gives the openid and a session token signed with the JWT credential, valid 7 days', async () => {
			const answer = await post('api/wechat/openid', { code: fake.loginCode('oCustomerA') });
			assert.equal(answer.status, 200);
			assert.equal(answer.body.success, true);
			assert.equal(answer.body.message, '获取openid成功');
			assert.equal(answer.body.data?.openid, 'oCustomerA');
			assert.ok(Math.abs(answer.body.timestamp - Date.now()) < 60_000);
			const [head, payload, signature] = String(answer.body.data?.token).split('.');
			assert.equal(signature, base64url(createHmac('sha256', JWT_SECRET).update(`${head}.${payload}`).digest()));
			const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as { openid: string; exp: number };
			assert.equal(claims.openid, 'oCustomerA');
			assert.ok(Math.abs(claims.exp - (nowSeconds() + 7 * 86_400)) < 120, `exp ${claims.exp}`);
			assert.ok(!JSON.stringify(answer.body).includes('session_key'));
		});

		it('a used, made-up or missing code: HTTP 400, success false, a sentence saying to call wx.login() again', async () => {
			const code = fake.loginCode('oCustomerB');
			assert.equal((await post('api/wechat/openid', { code })).status, 200);
			for (const body of [{ code }, { code: 'made-up-code' }, {}]) {
				const answer = await post('api/wechat/openid', body);
				assert.equal(answer.status, 400, JSON.stringify(body));
				assert.equal(answer.body.success, false);
				assert.match(answer.body.message, /wx\.login\(\)/);
				assert.equal(answer.body.data, null);
			}
		});
		it('WeChat failing for another reason (here -1, busy): HTTP 502, not a request for a new code', async () => {
			fake.injectError('/sns/jscode2session', -1, 1);
			const answer = await post('api/wechat/openid', { code: fake.loginCode('oCustomerB2') });
			assert.equal(answer.status, 502);
			assert.equal(answer.body.success, false);
			assert.doesNotMatch(answer.body.message, /wx\.login/);
		});
	});

	describe('POST /api/advisor/subscribe and the message push', () => {
		it('saves the subscription for the token\'s openid, in the seed\'s response', async () => {
			const token = await login('oAdvisor1');
			const answer = await post(
				'api/advisor/subscribe',
				{ advisorId: 'advisor_1', openid: 'oAdvisor1', templateId: TEMPLATE_ID, subscribed: true, subscribeData: { timestamp: '2026-11-30T12:00:00.000Z', subscriptionStatus: 'accept' } },
				token,
			);
			assert.equal(answer.status, 200, JSON.stringify(answer.body));
			assert.equal(answer.body.message, '保存订阅状态成功');
			const { _id, ...data } = answer.body.data ?? {};
			assert.match(String(_id), /^\d+$/);
			assert.deepEqual(data, { advisorId: 'advisor_1', openid: 'oAdvisor1', templateId: TEMPLATE_ID, subscribed: true, subscribeTime: '2026-11-30T12:00:00.000Z' });
			const row = await advisorRow('oAdvisor1');
			assert.equal(row?.advisorId, 'advisor_1');
			assert.equal(row?.subscribed, true);
			assert.equal(Number(row?.acceptances ?? 0), 0, 'the POST itself counts no acceptance: WeChat\'s push does');
		});

		it('WeChat\'s accept events add one each, for that openid and template; a reject sets 0', async () => {
			await pushEvent('subscribe_msg_popup_event', 'oAdvisor1', 'accept');
			await pushEvent('subscribe_msg_popup_event', 'oAdvisor1', 'accept');
			assert.equal((await advisorRow('oAdvisor1'))?.acceptances, 2);
			assert.equal((await advisorRow('oAdvisor1'))?.advisorId, 'advisor_1');
			await pushEvent('subscribe_msg_change_event', 'oAdvisor1', 'reject');
			const row = await advisorRow('oAdvisor1');
			assert.equal(row?.acceptances, 0);
			assert.equal(row?.subscribed, false);
			// An accept before the advisor's POST makes the row, which the POST then completes.
			await pushEvent('subscribe_msg_popup_event', 'oAdvisor2', 'accept');
			assert.equal((await advisorRow('oAdvisor2'))?.acceptances, 1);
		});

		it('a popup accepting two templates, neither with a row yet, counts one for each', async () => {
			await pushEvent('subscribe_msg_popup_event', 'oAdvisor4', 'accept', ['tplOther', TEMPLATE_ID]);
			await pushEvent('subscribe_msg_popup_event', 'oAdvisor4', 'accept', [TEMPLATE_ID, 'tplOther']);
			const counts = (await rows(ADVISORS)).filter((row) => row.openid === 'oAdvisor4').map((row) => `${String(row.templateId)} ${String(row.acceptances)}`);
			assert.deepEqual(counts.sort(), [`${TEMPLATE_ID} 2`, 'tplOther 2']);
		});

		it('a missing, forged, expired, unsigned or other user\'s token: 401 and no row changed', async () => {
			const before = await rows(ADVISORS);
			const body = { advisorId: 'advisor_evil', openid: 'oAdvisor1', templateId: TEMPLATE_ID, subscribed: false };
			const other = await login('oSomeoneElse');
			for (const [what, token] of [
				['missing', undefined],
				['forged', signToken({ openid: 'oAdvisor1', exp: nowSeconds() + 3600 }, 'not-the-secret')],
				['expired', signToken({ openid: 'oAdvisor1', exp: nowSeconds() - 10 }, JWT_SECRET)],
				['unsigned', signToken({ openid: 'oAdvisor1', exp: nowSeconds() + 3600 }, '', 'none')],
				['another user\'s', other],
			] as const) {
				const answer = await post('api/advisor/subscribe', body, token);
				assert.equal(answer.status, 401, `${what} token: ${JSON.stringify(answer.body)}`);
				assert.equal(answer.body.success, false);
			}
			assert.deepEqual(await rows(ADVISORS), before);
		});
	});

	describe('POST /api/customer/action', () => {
		const action = (customerId: string, extra: Record<string, unknown> = {}) => ({
			customerId,
			advisorId: 'advisor_1',
			actionType: 'view_resume',
			actionData: { resumeId: 'resume_9', timestamp: '2026-11-30T12:00:00.000Z' },
			...extra,
		});

		it('a new valid phone: one lead (其他, 待定, created by the advisor, a note naming the action), the action, the seed\'s response', async () => {
			const token = await login('oCustomerC');
			const answer = await post('api/customer/action', action('oCustomerC', { customerName: '张三', customerPhone: '13800138000' }), token);
			assert.equal(answer.status, 200, JSON.stringify(answer.body));
			assert.equal(answer.body.message, '记录客户行为成功，已创建新客户线索');
			const data = answer.body.data as Record<string, any>;
			assert.equal(data.customerCreated, true);
			const leads = (await rows(CUSTOMERS)).filter((row) => row.phone === '13800138000');
			assert.equal(leads.length, 1);
			const { id, createdAt, updatedAt, ...lead } = leads[0];
			assert.deepEqual(lead, { name: '张三', phone: '13800138000', openid: 'oCustomerC', leadSource: '其他', status: '待定', createdBy: 'advisor_1', note: '小程序自动创建：客户查看简历' });
			assert.equal(data.customerId, String(id));
			assert.deepEqual(data.customer, { _id: String(id), name: '张三', phone: '13800138000', leadSource: '其他', customerId: `CUS${String(id).padStart(11, '0')}` });
			const recorded = (await rows(ACTIONS)).find((row) => String(row.id) === data.actionId);
			assert.equal(recorded?.customerId, 'oCustomerC');
			assert.equal(recorded?.actionType, 'view_resume');
			assert.equal(recorded?.customerRecordId, id);
			assert.deepEqual(JSON.parse(String(recorded?.actionData)), { resumeId: 'resume_9', timestamp: '2026-11-30T12:00:00.000Z' });
			assert.deepEqual(data.action, { _id: data.actionId, customerId: 'oCustomerC', advisorId: 'advisor_1', actionType: 'view_resume', customerRecordId: String(id), notified: false });
		});

		it('a phone a customer has: no new lead, customerCreated false, the existing customer', async () => {
			const token = await login('oCustomerD');
			const answer = await post('api/customer/action', action('oCustomerD', { actionType: 'contact_advisor', customerName: '李四', customerPhone: '13800138000' }), token);
			assert.equal(answer.status, 200);
			assert.equal(answer.body.message, '记录客户行为成功');
			const data = answer.body.data as Record<string, any>;
			assert.equal(data.customerCreated, false);
			assert.equal(data.customer.name, '张三');
			assert.equal((await rows(CUSTOMERS)).filter((row) => row.phone === '13800138000').length, 1);
		});

		it('an invalid or missing phone: only the action is recorded', async () => {
			const token = await login('oCustomerE');
			const leadsBefore = (await rows(CUSTOMERS)).length;
			const actionsBefore = (await rows(ACTIONS)).length;
			for (const phone of ['23800138000', '1380013800', '138001380001', '1380013800a', undefined]) {
				const answer = await post('api/customer/action', action('oCustomerE', { actionType: 'book_service', customerName: '王五', customerPhone: phone }), token);
				assert.equal(answer.status, 200, String(phone));
				const data = answer.body.data as Record<string, any>;
				assert.equal(data.customerCreated, false);
				assert.equal(data.customer, null);
				assert.equal(data.action.actionType, 'book_service');
			}
			assert.equal((await rows(CUSTOMERS)).length, leadsBefore);
			assert.equal((await rows(ACTIONS)).length, actionsBefore + 5);
		});

		it('no or someone else\'s session token: 401, no lead, no action', async () => {
			const leadsBefore = await rows(CUSTOMERS);
			const actionsBefore = await rows(ACTIONS);
			const other = await login('oCustomerF');
			const body = action('oCustomerC', { customerName: '赵六', customerPhone: '13900139000' });
			for (const token of [undefined, other, signToken({ openid: 'oCustomerC', exp: nowSeconds() + 60 }, 'guessed'), signToken({ openid: 'oCustomerC', exp: nowSeconds() - 1 }, JWT_SECRET)]) {
				assert.equal((await post('api/customer/action', body, token)).status, 401);
			}
			assert.deepEqual(await rows(CUSTOMERS), leadsBefore);
			assert.deepEqual(await rows(ACTIONS), actionsBefore);
		});

		it('an unknown actionType or no advisorId: 400 and nothing written', async () => {
			const token = await login('oCustomerG');
			const actionsBefore = (await rows(ACTIONS)).length;
			assert.equal((await post('api/customer/action', action('oCustomerG', { actionType: 'delete_everything' }), token)).status, 400);
			assert.equal((await post('api/customer/action', action('oCustomerG', { advisorId: '' }), token)).status, 400);
			assert.equal((await rows(ACTIONS)).length, actionsBefore);
		});

		it('ten simultaneous actions with one new phone: one lead, exactly one customerCreated', async () => {
			const tokens = await Promise.all(Array.from({ length: 10 }, async (_, i) => await login(`oRush${i}`)));
			const answers = await Promise.all(
				tokens.map(async (token, i) => await post('api/customer/action', action(`oRush${i}`, { customerName: `抢${i}`, customerPhone: '13700137000' }), token)),
			);
			assert.deepEqual(answers.map((a) => a.status), Array(10).fill(200));
			const leads = (await rows(CUSTOMERS)).filter((row) => row.phone === '13700137000');
			assert.equal(leads.length, 1, `leads: ${JSON.stringify(leads)}`);
			const created = answers.filter((a) => (a.body.data as Record<string, any>).customerCreated === true);
			assert.equal(created.length, 1);
			for (const answer of answers) assert.equal((answer.body.data as Record<string, any>).customer._id, String(leads[0].id));
		});

		it('when every lookup misses (ten actions before any lead is written), the oldest row stays the one lead', async () => {
			const tokens = await Promise.all(Array.from({ length: 10 }, async (_, i) => await login(`oMiss${i}`)));
			const answers = await Promise.all(
				tokens.map(async (token, i) => await post(RACE_PATH, action(`oMiss${i}`, { customerName: `同时${i}`, customerPhone: '13600136000' }), token)),
			);
			assert.deepEqual(answers.map((a) => a.status), Array(10).fill(200));
			const leads = (await rows(CUSTOMERS)).filter((row) => row.phone === '13600136000');
			assert.equal(leads.length, 1, `leads: ${JSON.stringify(leads)}`);
			assert.equal(answers.filter((a) => (a.body.data as Record<string, any>).customerCreated === true).length, 1);
			for (const answer of answers) assert.equal((answer.body.data as Record<string, any>).customer._id, String(leads[0].id));
		});
	});

	describe('the advisor\'s notification (Subscribe Message → Send against the fake)', () => {
		let customerToken: string;

		before(async () => {
			const token = await login('oAdvisor3');
			const answer = await post('api/advisor/subscribe', { advisorId: 'advisor_3', openid: 'oAdvisor3', templateId: TEMPLATE_ID, subscribed: true }, token);
			assert.equal(answer.status, 200);
			customerToken = await login('oCustomerH');
		});

		const act = async (phone: string, name: string) =>
			await post('api/customer/action', { customerId: 'oCustomerH', advisorId: 'advisor_3', actionType: 'book_service', customerName: name, customerPhone: phone }, customerToken);

		it('an acceptance left: the seed\'s text for a new customer is sent, notified true, one acceptance used', async () => {
			fake.accept('oAdvisor3', TEMPLATE_ID);
			await pushEvent('subscribe_msg_popup_event', 'oAdvisor3', 'accept');
			const sentBefore = fake.sent.length;
			const answer = await act('13500135000', '钱七');
			assert.equal(answer.status, 200, JSON.stringify(answer.body));
			const data = answer.body.data as Record<string, any>;
			assert.equal(data.customerCreated, true);
			assert.equal(data.action.notified, true);
			const sent = fake.sent.slice(sentBefore);
			assert.equal(sent.length, 1);
			assert.equal(sent[0].touser, 'oAdvisor3');
			assert.equal(sent[0].template_id, TEMPLATE_ID);
			assert.equal(sent[0].data.thing1.value, '新客户预约了您的服务');
			assert.equal(sent[0].data.thing3.value, '13500135000');
			assert.equal(sent[0].data.thing7.value, '钱七');
			assert.match(sent[0].data.time2.value, /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$/);
			assert.equal(sent[0].miniprogram_state, 'formal');
			assert.equal((await advisorRow('oAdvisor3'))?.acceptances, 0);
			assert.equal((await rows(ACTIONS)).find((row) => String(row.id) === data.actionId)?.notified, true);
		});

		it('none left: nothing is sent and the action says notified false', async () => {
			const sentBefore = fake.sent.length;
			const answer = await act('13500135000', '钱七');
			assert.equal(answer.status, 200);
			assert.equal((answer.body.data as Record<string, any>).action.notified, false);
			assert.equal(fake.sent.length, sentBefore);
		});

		it('the count says one but WeChat answers 43101: the count goes to 0, the action keeps the reason, the customer still gets 200', async () => {
			await pushEvent('subscribe_msg_popup_event', 'oAdvisor3', 'accept'); // counted here, never accepted on the fake
			const answer = await act('13500135000', '钱七');
			assert.equal(answer.status, 200, JSON.stringify(answer.body));
			const data = answer.body.data as Record<string, any>;
			assert.equal(data.action.notified, false);
			assert.equal((await advisorRow('oAdvisor3'))?.acceptances, 0);
			const recorded = (await rows(ACTIONS)).find((row) => String(row.id) === data.actionId);
			assert.equal(recorded?.notified, false);
			assert.match(String(recorded?.notifyError), /43101/);
		});
	});
});
