/**
 * The session token of the mini-program templates, made with n8n's built-in JWT node in a real n8n: one
 * workflow signs a token for an openid, another verifies it before it writes anything. A request with a
 * missing, expired, forged, tampered or unsigned token gets 401 from Respond to Webhook and writes no row.
 * The node parameters here are the ones docs/miniprogram-leads.md gives the templates.
 */
import assert from 'node:assert/strict';
import { createHmac, randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';

import { type N8nInstance, startN8n, waitForWebhook, type WorkflowJson } from './harness';

const SECRET = 'kefu-e2e-session-secret-not-secret';
const WEEK = 7 * 24 * 3600;

type Node = WorkflowJson['nodes'][number];

function webhook(path: string): Node {
	return {
		name: 'Webhook',
		type: 'n8n-nodes-base.webhook',
		typeVersion: 2.1,
		position: [0, 300],
		webhookId: path,
		parameters: { httpMethod: 'POST', path, responseMode: 'responseNode', options: {} },
	};
}

/** Sign: the token's claims as JSON, so that `exp` is a real expiry (see the last test for the other way). */
const SIGN_SESSION: Node = {
	name: 'Sign Session Token',
	type: 'n8n-nodes-base.jwt',
	typeVersion: 1,
	position: [220, 300],
	parameters: {
		operation: 'sign',
		useJson: true,
		claimsJson: `={{ JSON.stringify({ sub: $json.body.openid, exp: Math.floor(Date.now() / 1000) + ${WEEK} }) }}`,
		options: { algorithm: 'HS256' },
	},
};

/** Verify: the token from "Authorization: Bearer …"; any failure leaves on the error output. */
const VERIFY_SESSION: Node = {
	name: 'Verify Session Token',
	type: 'n8n-nodes-base.jwt',
	typeVersion: 1,
	position: [220, 300],
	onError: 'continueErrorOutput',
	parameters: {
		operation: 'verify',
		token: "={{ ($json.headers.authorization ?? '').replace(/^Bearer\\s+/i, '') }}",
		options: { algorithm: 'HS256' },
	},
};

function respond(name: string, body: string, responseCode?: number): Node {
	return {
		name,
		type: 'n8n-nodes-base.respondToWebhook',
		typeVersion: 1.1,
		position: [660, 300],
		parameters: { respondWith: 'json', responseBody: body, options: responseCode ? { responseCode } : {} },
	};
}

function b64url(value: unknown): string {
	return Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
}
function hs256(payload: Record<string, unknown>, secret = SECRET, header: Record<string, unknown> = { alg: 'HS256', typ: 'JWT' }): string {
	const unsigned = `${b64url(header)}.${b64url(payload)}`;
	return `${unsigned}.${createHmac('sha256', secret).update(unsigned).digest('base64url')}`;
}
function claims(token: string): Record<string, unknown> {
	return JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()) as Record<string, unknown>;
}

describe('session token with n8n\'s JWT node: sign in one workflow, verify in another, 401 otherwise', () => {
	let n8n: N8nInstance;
	let tableId: string;
	const paths = { sign: randomUUID(), verify: randomUUID(), claimsFields: randomUUID() };
	const url = (path: string) => `${n8n.baseUrl}/webhook/${path}`;

	const rows = async () =>
		(await n8n.api<{ data: Array<{ openid: string; action: string }> }>('GET', `/data-tables/${tableId}/rows?limit=250`)).data;

	async function act(authorization: string | undefined, action = 'view_resume'): Promise<{ status: number; body: Record<string, unknown> }> {
		const headers: Record<string, string> = { 'content-type': 'application/json' };
		if (authorization !== undefined) headers.authorization = authorization;
		const res = await fetch(url(paths.verify), { method: 'POST', headers, body: JSON.stringify({ action }) });
		return { status: res.status, body: (await res.json()) as Record<string, unknown> };
	}

	async function sign(path: string, openid: string): Promise<string> {
		const res = await fetch(url(path), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ openid }) });
		assert.equal(res.status, 200, await res.clone().text());
		return ((await res.json()) as { token: string }).token;
	}

	before(async () => {
		n8n = await startN8n();
		const jwt = await n8n.createCredential('jwtAuth', 'Session token', { keyType: 'passphrase', secret: SECRET, algorithm: 'HS256' });
		({ id: tableId } = await n8n.api<{ id: string }>('POST', '/data-tables', {
			name: 'Customer actions',
			columns: [{ name: 'openid', type: 'string' }, { name: 'action', type: 'string' }],
		}));
		const signFlow: WorkflowJson = {
			name: 'Session: sign',
			nodes: [webhook(paths.sign), SIGN_SESSION, respond('Answer Token', '={{ JSON.stringify({ token: $json.token }) }}')],
			connections: {
				Webhook: { main: [[{ node: SIGN_SESSION.name, type: 'main', index: 0 }]] },
				[SIGN_SESSION.name]: { main: [[{ node: 'Answer Token', type: 'main', index: 0 }]] },
			},
		};
		const record: Node = {
			name: 'Record Action',
			type: 'n8n-nodes-base.dataTable',
			typeVersion: 1.1,
			position: [440, 200],
			parameters: {
				resource: 'row',
				operation: 'insert',
				dataTableId: { __rl: true, mode: 'id', value: tableId },
				columns: {
					mappingMode: 'defineBelow',
					value: { openid: "={{ $('Verify Session Token').item.json.payload.sub }}", action: "={{ $('Webhook').item.json.body.action }}" },
					matchingColumns: [],
					schema: [],
				},
			},
		};
		const verifyFlow: WorkflowJson = {
			name: 'Session: verify, then write',
			nodes: [
				webhook(paths.verify),
				VERIFY_SESSION,
				record,
				respond('Answer OK', "={{ JSON.stringify({ success: true, openid: $('Verify Session Token').item.json.payload.sub }) }}"),
				// reason: what the JWT node said, for this experiment only (a template answers the message alone).
				respond(
					'Answer 401',
					"={{ JSON.stringify({ success: false, message: 'Session expired or invalid: log in again.', reason: $json.error?.message ?? $json.error }) }}",
					401,
				),
			],
			connections: {
				Webhook: { main: [[{ node: VERIFY_SESSION.name, type: 'main', index: 0 }]] },
				[VERIFY_SESSION.name]: { main: [[{ node: 'Record Action', type: 'main', index: 0 }], [{ node: 'Answer 401', type: 'main', index: 0 }]] },
				'Record Action': { main: [[{ node: 'Answer OK', type: 'main', index: 0 }]] },
			},
		};
		// The other way to sign: the node's "Payload Claims" fields (useJson off).
		const claimsFieldsFlow: WorkflowJson = {
			name: 'Session: sign with the claims fields',
			nodes: [
				webhook(paths.claimsFields),
				{ ...SIGN_SESSION, parameters: { operation: 'sign', useJson: false, claims: { subject: '={{ $json.body.openid }}', expiresIn: 3600 }, options: {} } },
				respond('Answer Token', '={{ JSON.stringify({ token: $json.token }) }}'),
			],
			connections: signFlow.connections,
		};
		for (const flow of [signFlow, verifyFlow, claimsFieldsFlow]) {
			const withCredential = Object.fromEntries(flow.nodes.filter((n) => n.type === 'n8n-nodes-base.jwt').map((n) => [n.name, { jwtAuth: jwt }]));
			const { id } = await n8n.importWorkflow(flow, withCredential);
			await n8n.publish(id);
		}
		// A published workflow's webhook is registered a moment after the API answers. The warm-up asks for a
		// token for no one, or is refused 401 by the verifying flow: nothing is written.
		for (const path of Object.values(paths)) {
			await waitForWebhook(url(path), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ openid: 'warm-up' }) });
		}
	});

	after(async () => {
		await n8n?.stop();
	});

	it('signs a token for the openid that expires in a week, and the other workflow accepts it and writes', async () => {
		const token = await sign(paths.sign, 'oOpenidAlice');
		const payload = claims(token);
		assert.equal(payload.sub, 'oOpenidAlice');
		const now = Math.floor(Date.now() / 1000);
		assert.ok(typeof payload.exp === 'number' && Math.abs(payload.exp - (now + WEEK)) < 120, `exp ${String(payload.exp)} is not a week from now`);
		assert.deepEqual(JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString()), { alg: 'HS256', typ: 'JWT' });

		const answer = await act(`Bearer ${token}`, 'contact_advisor');
		assert.equal(answer.status, 200, JSON.stringify(answer.body));
		assert.deepEqual(answer.body, { success: true, openid: 'oOpenidAlice' });
		assert.deepEqual((await rows()).map(({ openid, action }) => ({ openid, action })), [{ openid: 'oOpenidAlice', action: 'contact_advisor' }]);
	});

	it('answers 401 and writes nothing for a missing, expired, forged, tampered or unsigned token', async () => {
		const before = (await rows()).length;
		const now = Math.floor(Date.now() / 1000);
		const good = await sign(paths.sign, 'oOpenidBob');
		const [head, , signature] = good.split('.');
		const cases: Record<string, string | undefined> = {
			missing: undefined,
			empty: 'Bearer ',
			garbage: 'Bearer not-a-token',
			expired: `Bearer ${hs256({ sub: 'oOpenidBob', exp: now - 60 })}`,
			forged: `Bearer ${hs256({ sub: 'oOpenidBob', exp: now + 3600 }, 'someone-elses-secret')}`,
			tampered: `Bearer ${head}.${b64url({ sub: 'oOpenidMallory', exp: now + WEEK })}.${signature}`,
			unsigned: `Bearer ${b64url({ alg: 'none', typ: 'JWT' })}.${b64url({ sub: 'oOpenidMallory', exp: now + 3600 })}.`,
			otherAlgorithm: `Bearer ${(() => {
				const unsigned = `${b64url({ alg: 'HS512', typ: 'JWT' })}.${b64url({ sub: 'oOpenidMallory', exp: now + 3600 })}`;
				return `${unsigned}.${createHmac('sha512', SECRET).update(unsigned).digest('base64url')}`;
			})()}`,
		};
		const reasons: Record<string, unknown> = {};
		for (const [name, authorization] of Object.entries(cases)) {
			const answer = await act(authorization);
			assert.equal(answer.status, 401, `${name}: ${JSON.stringify(answer.body)}`);
			assert.equal(answer.body.success, false, name);
			reasons[name] = answer.body.reason;
		}
		console.log('JWT node errors:', JSON.stringify(reasons, null, 1));
		assert.equal((await rows()).length, before, 'a refused request wrote a row');
		// n8n stores these runs as successful: the error output is a branch of the workflow, not a failure.
		const failed = (await n8n.api<{ data: Array<{ status: string }> }>('GET', '/executions?status=error&limit=250')).data;
		assert.equal(failed.length, 0);
	});

	it('the "Payload Claims" fields put expiresIn and subject into the token as they are: no exp, so no expiry', async () => {
		const payload = claims(await sign(paths.claimsFields, 'oOpenidCarol'));
		assert.equal(payload.exp, undefined);
		assert.equal(payload.sub, undefined);
		assert.equal(payload.expiresIn, 3600);
		assert.equal(payload.subject, 'oOpenidCarol');
	});
});
