// The customer simulator: a page (page.html, plain HTML and JS) and the small JSON API it calls. A message
// typed on the page travels as it would from WeCom: for an app bot an encrypted, signed callback POSTed to
// the sandbox copy's WeCom Trigger; for a 微信客服 bot the fake WeCom queues the customer's message for
// kf/sync_msg and the kf_msg_or_event callback announces it; for a WhatsApp bot the sandbox gateway's simulated
// WhatsApp gets the customer's message (or a colleague's, typed on the phone) and delivers it to the trigger
// as the real one would. What the bot sent back is read from the fake WeCom's records or the gateway's sent
// log, the session state from the fake's 微信客服 sessions, the executions from n8n's database. The gateway's
// API key stays in this server: the page never sees it.
import { readFileSync } from 'node:fs';
import type http from 'node:http';
import path from 'node:path';

import { parseJsonBody, readBody, requestTarget, sendJson, serveOnLoopback, type LoopbackServer } from '../../test/fakes/loopback';
import type { FakeWeComApi } from '../../test/fakes/wecom';
import { kfEventXml, postCallback, textMessageXml, type CallbackSecrets } from '../../test/fakes/wecom/callback';
import type { SandboxCopy } from '../copies';
import type { ExecutionLog } from '../executions';
import type { SandboxGateway } from '../gateway';
import { SANDBOX_APP, SANDBOX_KF_ACCOUNT, SANDBOX_SERVICER } from '../world';
import { conversation, KF_SERVICE_STATES, type CustomerAction } from './conversation';

export interface SimulatorOptions {
	port: number;
	copies: SandboxCopy[];
	secrets: CallbackSecrets;
	weCom: FakeWeComApi;
	/** Absent when the gateway could not be built: then no copy is a WhatsApp bot. */
	whatsAppGateway?: SandboxGateway;
	executions: ExecutionLog;
	/** Where n8n answers webhooks (http://127.0.0.1:5678). */
	n8nUrl: string;
	/** Where the operator opens n8n's editor; the execution links point there. */
	editorUrl: string;
}

/** The page, read from the source folder (the compiled server sits as deep under .sandbox-build/). */
const PAGE_FILE = path.resolve(__dirname, '..', '..', '..', 'sandbox', 'simulator', 'page.html');
const MAX_BODY_BYTES = 64 * 1024;
/** WeCom cuts a text message at 2048 bytes; the simulator refuses longer ones instead of sending half. */
const MAX_TEXT_BYTES = 2048;
/** The gateway takes a WhatsApp message of up to 65,536 characters (docs/whatsapp-gateway-api.md). */
const MAX_WHATSAPP_CHARS = 65_536;
/** A WhatsApp customer is a phone number with its country code, as the gateway's /simulator/messages takes it. */
const WHATSAPP_NUMBER = /^\d{8,15}$/;
/** Actions kept for the page; the oldest go first (a sandbox left running for weeks stays small). */
const MAX_ACTIONS = 10_000;

export async function startSimulator(options: SimulatorOptions): Promise<LoopbackServer> {
	const simulator = new Simulator(options);
	return await serveOnLoopback('customer simulator', (req, res) => simulator.serve(req, res), options.port);
}

class Simulator {
	private readonly actions: CustomerAction[] = [];
	/** Executions before the simulator started are not the simulator's to show. */
	private readonly firstExecutionId: number;
	private msgId = BigInt(Date.now()) * 1000n;

	constructor(private readonly options: SimulatorOptions) {
		this.firstExecutionId = options.executions.lastId();
	}

	async serve(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
		// Only the operator's own browser on this machine: a page elsewhere reaching 127.0.0.1 through a
		// name it controls (DNS rebinding) sends its own Host; a cross-site POST cannot set a JSON
		// content type without a preflight, which this server never allows.
		if (!/^(127\.0\.0\.1|localhost|\[::1\])(:\d+)?$/.test(req.headers.host ?? '')) {
			return sendJson(res, 403, { error: 'Open the simulator at http://127.0.0.1 on this machine.' });
		}
		const { path: route, query } = requestTarget(req);
		if (req.method === 'GET' && (route === '/' || route === '/index.html')) {
			const page = readFileSync(PAGE_FILE);
			res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Content-Length': page.length, 'Cache-Control': 'no-store' });
			return void res.end(page);
		}
		if (req.method === 'GET' && route === '/api/bots') return sendJson(res, 200, this.bots());
		if (req.method === 'GET' && route === '/api/conversation') {
			const copy = this.copy(query.bot);
			if (!copy || !query.user) return sendJson(res, 400, { error: 'Choose a bot and a customer first.' });
			return sendJson(res, 200, await this.view(copy, query.user));
		}
		if (req.method === 'POST' && route.startsWith('/api/')) {
			if (!/^application\/json\b/.test(req.headers['content-type'] ?? '')) {
				return sendJson(res, 415, { error: 'Send JSON (Content-Type: application/json), as the simulator page does.' });
			}
			const body = parseJsonBody(await readBody(req, MAX_BODY_BYTES));
			const input = body.kind === 'json' && typeof body.value === 'object' && body.value !== null ? (body.value as Record<string, unknown>) : {};
			const copy = this.copy(input.bot);
			const user = typeof input.user === 'string' ? input.user.trim() : '';
			if (!copy || !/^[\w.@-]{1,64}$/.test(user)) {
				return sendJson(res, 400, { error: 'Choose a bot and a customer ID of letters, digits, _ . @ or - first.' });
			}
			if (copy.kind === 'whatsapp' && !WHATSAPP_NUMBER.test(user)) {
				return sendJson(res, 400, { error: 'A WhatsApp customer is a phone number of 8 to 15 digits with its country code (8613800001234): change the customer ID.' });
			}
			const done = await this.act(route, copy, user, input.text);
			return sendJson(res, 'error' in done ? 400 : 200, done);
		}
		sendJson(res, 404, { error: `Nothing at ${route}: open / for the simulator.` });
	}

	private bots() {
		return {
			n8nUrl: this.options.editorUrl,
			executionsReadable: this.options.executions.readable,
			bots: this.options.copies.map((copy) => ({
				id: copy.workflow.id,
				name: copy.workflow.name,
				kind: copy.kind,
				workflowUrl: `${this.options.editorUrl}/workflow/${copy.workflow.id}`,
			})),
		};
	}

	private copy(id: unknown): SandboxCopy | undefined {
		return this.options.copies.find((copy) => copy.workflow.id === id);
	}

	private async act(route: string, copy: SandboxCopy, user: string, text: unknown): Promise<{ delivery: string } | { error: string }> {
		const { weCom, secrets } = this.options;
		const openKfId = SANDBOX_KF_ACCOUNT.open_kfid;
		if (route === '/api/say' || route === '/api/whatsapp/phone') {
			if (typeof text !== 'string' || text.trim() === '') return { error: 'Type a message first.' };
		}
		if (copy.kind === 'whatsapp') return await this.actOnWhatsApp(route, copy, user, String(text));
		if (route === '/api/say') {
			if (Buffer.byteLength(String(text)) > MAX_TEXT_BYTES) return { error: `WeCom takes at most ${MAX_TEXT_BYTES} bytes in a text message: shorten it.` };
			const content = String(text);
			if (copy.kind === 'app') {
				const xml = textMessageXml({ corpId: secrets.corpId, fromUser: user, content, msgId: String(++this.msgId), agentId: String(SANDBOX_APP.agentId) });
				return await this.deliver(copy, { user, kind: 'message', text: content }, xml, String(SANDBOX_APP.agentId));
			}
			const { token } = weCom.kfCustomerSends(openKfId, user, { msgtype: 'text', text: { content } });
			return await this.deliver(copy, { user, kind: 'message', text: content }, kfEventXml({ corpId: secrets.corpId, token, openKfId }));
		}
		if (copy.kind !== 'kf') return { error: 'Only a 微信客服 bot has sessions to enter or end.' };
		if (route === '/api/kf/enter') {
			const { token } = weCom.kfEvent(openKfId, user, { event_type: 'enter_session', welcome: true });
			return await this.deliver(copy, { user, kind: 'enter' }, kfEventXml({ corpId: secrets.corpId, token, openKfId }));
		}
		if (route === '/api/kf/end') {
			const state = weCom.kfSessionState(openKfId, user).service_state;
			if (state !== 2 && state !== 3) return { error: 'Only a session handed to a person can be ended by one.' };
			// The person takes the session from the queue, then ends it, as in WeCom's client [doc 94669].
			weCom.setKfSessionState(openKfId, user, 3, SANDBOX_SERVICER);
			const { token } = weCom.kfEvent(openKfId, user, { event_type: 'session_status_change', change_type: 3 });
			return await this.deliver(copy, { user, kind: 'servicerEnds' }, kfEventXml({ corpId: secrets.corpId, token, openKfId }));
		}
		return { error: `Nothing at ${route}.` };
	}

	/**
	 * A WhatsApp customer writes, or a colleague types on the business's phone: the gateway's simulated WhatsApp
	 * delivers it to the copy's trigger by its signed webhook, as the real one would.
	 */
	private async actOnWhatsApp(route: string, copy: SandboxCopy, user: string, text: string): Promise<{ delivery: string } | { error: string }> {
		const gateway = this.options.whatsAppGateway;
		if (!gateway) return { error: 'The sandbox runs without its WhatsApp gateway: see the start output of npm start.' };
		if (text.length > MAX_WHATSAPP_CHARS) return { error: `WhatsApp takes at most ${MAX_WHATSAPP_CHARS} characters in a message: shorten it.` };
		const kind = route === '/api/say' ? 'message' : route === '/api/whatsapp/phone' ? 'colleagueTypes' : undefined;
		if (!kind) return { error: `Nothing at ${route} for a WhatsApp bot.` };
		const record = this.keep({ user, kind, text, workflowId: copy.workflow.id });
		try {
			await (kind === 'message' ? gateway.customerWrites(user, text) : gateway.phoneTypes(user, text));
			record.delivery = 'success';
		} catch (error) {
			record.delivery = `${error instanceof Error ? error.message : String(error)}. Is the gateway running? See ${gateway.logFile}.`;
		}
		return { delivery: record.delivery };
	}

	/** Keeps an action for the page, stamped before it is sent (its executions start after). */
	private keep(action: Pick<CustomerAction, 'user' | 'kind' | 'text' | 'workflowId'>): CustomerAction {
		const record: CustomerAction = { ...action, time: Date.now(), delivery: 'sending' };
		this.actions.push(record);
		if (this.actions.length > MAX_ACTIONS) this.actions.splice(0, this.actions.length - MAX_ACTIONS);
		return record;
	}

	/** Sends the callback to the copy's trigger and keeps the action, with what n8n answered. */
	private async deliver(
		copy: SandboxCopy,
		action: Pick<CustomerAction, 'user' | 'kind' | 'text'>,
		xml: string,
		agentId?: string,
	): Promise<{ delivery: string }> {
		const url = `${this.options.n8nUrl}/webhook/${copy.triggerWebhookId}/webhook`;
		const record = this.keep({ ...action, workflowId: copy.workflow.id });
		try {
			const answer = await postCallback(url, this.options.secrets, xml, agentId === undefined ? {} : { agentId });
			record.delivery =
				answer.status === 200 && answer.text === 'success'
					? 'success'
					: answer.status === 404
						? `n8n has no webhook for "${copy.workflow.name}": publish it in n8n (or wait until n8n has started) and send again.`
						: `n8n answered HTTP ${answer.status}: ${answer.text.slice(0, 200)}`;
		} catch {
			record.delivery = `n8n does not answer at ${this.options.n8nUrl}: is it running? Start it with npm start.`;
		}
		return { delivery: record.delivery };
	}

	private async view(copy: SandboxCopy, user: string) {
		const { weCom, whatsAppGateway, executions, editorUrl } = this.options;
		// A gateway that does not answer leaves the bot's side empty; the next poll of the page tries again.
		const whatsAppSent = copy.kind === 'whatsapp' && whatsAppGateway ? await whatsAppGateway.sent().catch(() => []) : [];
		const workflowUrl = `${editorUrl}/workflow/${copy.workflow.id}`;
		const entries = conversation({
			kind: copy.kind,
			user,
			openKfId: SANDBOX_KF_ACCOUNT.open_kfid,
			actions: this.actions.filter((action) => action.workflowId === copy.workflow.id),
			executions: executions.since(copy.workflow.id, this.firstExecutionId),
			executionUrl: (id) => `${workflowUrl}/executions/${id}`,
			appMessages: weCom.sentMessages,
			kfMessages: weCom.kfSent,
			kfAttempts: weCom.kfAttempts,
			whatsAppSent,
		});
		const session = copy.kind === 'kf' ? this.kfSession(user) : null;
		return { entries, session, executionsUrl: `${workflowUrl}/executions`, executionsReadable: executions.readable };
	}

	/** The customer's 微信客服 session as the fake WeCom keeps it (service_state/get would answer the same). */
	private kfSession(user: string) {
		const state = this.options.weCom.kfSessionState(SANDBOX_KF_ACCOUNT.open_kfid, user);
		return {
			serviceState: state.service_state,
			label: KF_SERVICE_STATES[state.service_state] ?? String(state.service_state),
			servicer: state.servicer_userid ?? null,
		};
	}
}
