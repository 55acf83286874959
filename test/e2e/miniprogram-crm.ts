/**
 * The seed-002 CRM templates (workflows/miniprogram-*.json) set up in a real n8n as their Read Me notes tell an
 * operator: the three Data Tables with their columns, the credentials (mini-program API against the fake, message
 * push, JWT), the template ID in the customer-action Settings, all published. Shared by
 * test/e2e/miniprogram-crm.test.ts and bench/miniprogram-actions.bench.ts.
 */
import assert from 'node:assert/strict';

import { startFakeMiniProgram, type FakeMiniProgram } from '../fakes/miniprogram';
import { newPushSecrets, type PushSecrets } from '../fakes/miniprogram/push';
import { createTemplateCredentials, importTemplate, type N8nInstance, readWorkflow, type StartOptions, startN8n, type WorkflowJson } from './harness';

export const TEMPLATE_ID = 'tplAdvisorNotice01';
export const JWT_SECRET = 'e2e-session-secret-4f1c9a7b2d8e6035';
export const ADVISORS = 'Mini program advisors';
export const CUSTOMERS = 'Mini program customers';
export const ACTIONS = 'Mini program actions';

/** The columns as each template's Read Me lists them. */
export const TABLES: Record<string, Array<[string, string]>> = {
	[ADVISORS]: [['advisorId', 'string'], ['openid', 'string'], ['templateId', 'string'], ['subscribed', 'boolean'], ['subscribeTime', 'string'], ['acceptances', 'number']],
	[CUSTOMERS]: [['name', 'string'], ['phone', 'string'], ['openid', 'string'], ['leadSource', 'string'], ['status', 'string'], ['createdBy', 'string'], ['note', 'string']],
	[ACTIONS]: [
		['customerId', 'string'], ['advisorId', 'string'], ['actionType', 'string'], ['actionData', 'string'], ['customerRecordId', 'number'],
		['customerCreated', 'boolean'], ['customerName', 'string'], ['customerPhone', 'string'], ['notified', 'boolean'], ['notifyError', 'string'],
	],
};

export type Row = Record<string, unknown> & { id: number };
export type Answer = { status: number; body: { success: boolean; data: Record<string, unknown> | null; message: string; timestamp: number } };

export interface MiniProgramCrm {
	n8n: N8nInstance;
	fake: FakeMiniProgram;
	push: PushSecrets;
	tableIds: Record<string, string>;
	/** By key: login, advisor, action, and any extra workflow passed to startMiniProgramCrm. */
	workflowIds: Record<string, string>;
	/** The Production URL of the Mini Program Trigger in the advisor-subscribe template. */
	triggerUrl: string;
	rows(table: string): Promise<Row[]>;
	post(path: string, body: unknown, token?: string): Promise<Answer>;
	/** A session token from the login template, for a fresh login code of `openid`. */
	login(openid: string): Promise<string>;
	close(): Promise<void>;
}

/**
 * Starts the fake mini-program API and n8n with the three templates; `extra` adds workflows made from the
 * customer-action template (e.g. a copy with a node switched off), imported and published the same way.
 */
export async function startMiniProgramCrm(
	options: { n8n?: StartOptions; extra?: (templates: { action: WorkflowJson }) => Record<string, WorkflowJson> } = {},
): Promise<MiniProgramCrm> {
	const push = newPushSecrets('wxcrm0123456789abc');
	const fake = await startFakeMiniProgram({
		appId: push.appId,
		templates: [{ priTmplId: TEMPLATE_ID, title: '客户跟进提醒', type: 2, content: '事项:{{thing1.DATA}}\n时间:{{time2.DATA}}\n电话:{{thing3.DATA}}\n客户:{{thing7.DATA}}\n' }],
	});
	const n8n = await startN8n(options.n8n);
	const tableIds: Record<string, string> = {};
	for (const [name, columns] of Object.entries(TABLES)) {
		({ id: tableIds[name] } = await n8n.api<{ id: string }>('POST', '/data-tables', { name, columns: columns.map(([column, type]) => ({ name: column, type })) }));
	}
	const credentials = await createTemplateCredentials(n8n, {
		secrets: { corpId: 'ww0000000000000000', token: 'unused', encodingAesKey: 'a'.repeat(43) },
		weComUrl: 'http://127.0.0.1:9',
		openAiUrl: 'http://127.0.0.1:9/v1',
		miniProgram: { baseUrl: fake.url, appId: fake.appId, appSecret: fake.appSecret },
		miniProgramPush: push,
		jwtSecret: JWT_SECRET,
	});
	const action = readWorkflow('miniprogram-customer-action.json');
	// Step 3 of the customer-action Read Me: the account's template ID in Settings.
	const settings = action.nodes.find((node) => node.name === 'Settings');
	assert.ok(settings, 'the customer-action template has no Settings node');
	const field = (settings.parameters.assignments as { assignments: Array<{ name: string; value: string }> }).assignments.find((f) => f.name === 'templateId');
	assert.ok(field, 'Settings has no templateId');
	field.value = TEMPLATE_ID;
	const advisor = readWorkflow('miniprogram-advisor-subscribe.json');
	const templates: Record<string, WorkflowJson> = {
		login: readWorkflow('miniprogram-login.json'),
		advisor,
		action,
		...(options.extra?.({ action }) ?? {}),
	};
	const workflowIds: Record<string, string> = {};
	for (const [key, template] of Object.entries(templates)) {
		({ id: workflowIds[key] } = await importTemplate(n8n, template, credentials));
		await n8n.publish(workflowIds[key]);
	}
	const trigger = advisor.nodes.find((node) => node.type === 'n8n-nodes-kefu.weChatMiniProgramTrigger');
	const triggerUrl = n8n.webhookUrl(String(trigger?.webhookId), 'webhook');

	const rows = async (table: string): Promise<Row[]> => {
		const out: Row[] = [];
		let cursor: string | undefined;
		do {
			const page = await n8n.api<{ data: Row[]; nextCursor?: string | null }>('GET', `/data-tables/${tableIds[table]}/rows?limit=250${cursor ? `&cursor=${cursor}` : ''}`);
			out.push(...page.data);
			cursor = page.nextCursor ?? undefined;
		} while (cursor);
		return out;
	};
	const post = async (path: string, body: unknown, token?: string): Promise<Answer> => {
		const res = await fetch(`${n8n.baseUrl}/webhook/${path}`, {
			method: 'POST',
			headers: { 'content-type': 'application/json', ...(token === undefined ? {} : { authorization: `Bearer ${token}` }) },
			body: JSON.stringify(body),
		});
		return { status: res.status, body: (await res.json()) as Answer['body'] };
	};
	const login = async (openid: string): Promise<string> => {
		const answer = await post('api/wechat/openid', { code: fake.loginCode(openid) });
		assert.equal(answer.status, 200, JSON.stringify(answer.body));
		return String(answer.body.data?.token);
	};
	const close = async () => {
		await n8n.stop();
		await fake.close();
	};
	return { n8n, fake, push, tableIds, workflowIds, triggerUrl, rows, post, login, close };
}
