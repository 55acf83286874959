// The sandbox that `npm start` brings up beside n8n, on 127.0.0.1 only (docs/sandbox.md): fakes of WeCom
// (app and 微信客服) and of an OpenAI-compatible model, the WhatsApp Web gateway on its simulated WhatsApp,
// "Sandbox …" credentials pointing at them, a "[Sandbox] …" copy of every template they can serve, bound to
// those credentials and published, and the customer simulator page. Used the same way by scripts/start.mjs and by test/e2e/sandbox.test.ts:
//
//   const plan = sandboxPlan({ userFolder, env: process.env });   // ports, secrets, copies; builds gateway/ when needed
//   const servers = await startSandboxServers(plan, { n8nUrl });  // fakes + simulator; a taken port fails here
//   prepareSandbox(plan);                                         // before `n8n start`: credentials and copies, once
import path from 'node:path';

import { startFakeOpenAi, type FakeOpenAi } from '../test/fakes/openai';
import { listenOrExplain } from '../test/fakes/ports';
import { startFakeWeComApi, type FakeWeComApi } from '../test/fakes/wecom';
import type { CallbackSecrets } from '../test/fakes/wecom/callback';
import { sandboxCopy, type SandboxCopy } from './copies';
import { n8nSqliteFile, openExecutionLog } from './executions';
import { ensureSandboxCredentials } from './credentials';
import { buildSandboxGateway, startSandboxGateway, type SandboxGateway } from './gateway';
import { startSimulator } from './simulator/server';
import { workflows } from './workflows';
import {
	SANDBOX_APP,
	SANDBOX_CORP_ID,
	SANDBOX_KF_ACCOUNT,
	SANDBOX_PORT_ENV,
	SANDBOX_SERVICER,
	sandboxCallbackSecrets,
	sandboxCredentialData,
	sandboxGatewaySecrets,
	sandboxPorts,
	type GatewaySecrets,
	type SandboxPorts,
} from './world';

export { SANDBOX_CREDENTIALS } from './world';

export interface SandboxPlan {
	userFolder: string;
	/** n8n's environment (user folder, encryption key), as `n8n start` gets it; the ports' variables too. */
	env: NodeJS.ProcessEnv;
	ports: SandboxPorts;
	secrets: CallbackSecrets;
	gatewaySecrets: GatewaySecrets;
	/** The compiled gateway, or why the sandbox runs without its WhatsApp part. */
	whatsApp: { main: string } | { problem: string };
	/** Each copy with the template's sha256 (importOnce says when a template changed since its import). */
	copies: Array<SandboxCopy & { sha256: string }>;
}

/** The model's answers carry this, so nobody mistakes the stand-in for the operator's real model. */
export const SANDBOX_MODEL_MARKER = '[sandbox model]';

/**
 * Reads the templates in workflows/ and the ports from `env`, makes the secrets on first use, and builds the
 * gateway; without a gateway the WhatsApp bots get no copy (a published WhatsApp trigger with no gateway to
 * register with fails in n8n), and the next start that has one imports them.
 */
export function sandboxPlan(options: { userFolder: string; env: NodeJS.ProcessEnv }): SandboxPlan {
	const whatsApp =
		options.env.KEFU_SANDBOX_WHATSAPP === 'off'
			? { problem: 'WhatsApp left out (KEFU_SANDBOX_WHATSAPP=off).' }
			: buildSandboxGateway();
	const copies = workflows.readTemplates().flatMap(({ file, json, sha256 }) => {
		const copy = sandboxCopy(file, json);
		return copy && (copy.kind !== 'whatsapp' || 'main' in whatsApp) ? [{ ...copy, sha256 }] : [];
	});
	return {
		userFolder: options.userFolder,
		env: options.env,
		ports: sandboxPorts(options.env),
		secrets: sandboxCallbackSecrets(options.userFolder),
		gatewaySecrets: sandboxGatewaySecrets(options.userFolder),
		whatsApp,
		copies,
	};
}

export interface PrepareReport {
	createdCredentials: string[];
	keptCredentials: string[];
	/** importOnce's line per copy: imported and published, or left alone (and why). */
	copies: string[];
}

/**
 * Before `n8n start` (the CLI writes the database that n8n reads at boot): creates the sandbox credentials
 * and imports and publishes the copies this n8n never had. What exists is never touched: the operator may
 * have put a real model key into "Sandbox model", edited AutoReply in a copy, or unpublished it.
 */
export function prepareSandbox(plan: SandboxPlan): PrepareReport {
	const credentials = ensureSandboxCredentials(plan.env, sandboxCredentialData(plan.secrets, plan.gatewaySecrets, plan.ports));
	const copies = workflows.importOnce({
		env: plan.env,
		userFolder: plan.userFolder,
		workflows: plan.copies.map((copy) => ({
			json: copy.workflow,
			source: `workflows/${copy.templateFile} (sandbox copy)`,
			sha256: copy.sha256,
			publish: true,
		})),
	});
	return { createdCredentials: credentials.created, keptCredentials: credentials.kept, copies };
}

export interface SandboxServers {
	weCom: FakeWeComApi;
	model: FakeOpenAi;
	/** Absent when the gateway could not be built (plan.whatsApp.problem). */
	whatsAppGateway?: SandboxGateway;
	simulatorUrl: string;
	/**
	 * Prints `line` once n8n answers its readiness check (checked every second for up to 5 minutes): the
	 * simulator's address printed before `n8n start` has scrolled away under n8n's own output by then.
	 */
	sayWhenN8nIsReady(line: string): void;
	close(): Promise<void>;
}

/** Starts the fakes and the simulator on the plan's ports; a taken port fails with what to do about it. */
export async function startSandboxServers(
	plan: SandboxPlan,
	options: { n8nUrl: string; editorUrl?: string },
): Promise<SandboxServers> {
	const started: Array<{ close(): Promise<void> }> = [];
	const closeAll = async () => {
		await Promise.all(started.map(async (server) => await server.close()));
	};
	try {
		const listen = async <T extends { close(): Promise<void> }>(key: keyof SandboxPorts, run: (port: number) => Promise<T>) => {
			const { label, name } = SANDBOX_PORT_ENV[key];
			const server = await listenOrExplain(label, name, plan.ports[key], run);
			started.push(server);
			return server;
		};
		const weCom = await listen('weCom', async (port) =>
			await startFakeWeComApi({
				port,
				corpId: SANDBOX_CORP_ID,
				apps: [{ ...SANDBOX_APP }],
				kfAccounts: [{ ...SANDBOX_KF_ACCOUNT }],
				kfServicers: { [SANDBOX_KF_ACCOUNT.open_kfid]: [{ userid: SANDBOX_SERVICER, status: 0 }] },
			}),
		);
		const model = await listen('model', async (port) =>
			await startFakeOpenAi({ port, reply: (request) => `${SANDBOX_MODEL_MARKER} AI answer to: ${request.lastUserText}` }),
		);
		const { whatsApp } = plan;
		const whatsAppGateway =
			'main' in whatsApp
				? await listen('whatsAppGateway', async (port) =>
						await startSandboxGateway({
							main: whatsApp.main,
							port,
							dataDir: path.join(plan.userFolder, 'sandbox', 'gateway'),
							logFile: path.join(plan.userFolder, 'sandbox', 'gateway.log'),
							secrets: plan.gatewaySecrets,
						}),
					)
				: undefined;
		const executions = openExecutionLog(n8nSqliteFile(plan.userFolder, plan.env));
		started.push({ close: async () => executions.close() });
		const simulator = await listen('simulator', async (port) =>
			await startSimulator({
				port,
				copies: plan.copies,
				secrets: plan.secrets,
				weCom,
				whatsAppGateway,
				executions,
				n8nUrl: options.n8nUrl,
				editorUrl: options.editorUrl ?? options.n8nUrl,
			}),
		);
		let reminder: NodeJS.Timeout | undefined;
		started.push({ close: async () => clearTimeout(reminder) });
		const sayWhenN8nIsReady = (line: string) => {
			const deadline = Date.now() + 5 * 60_000;
			const check = async () => {
				const ready = await fetch(`${options.n8nUrl}/healthz/readiness`).then((res) => res.ok, () => false);
				if (ready) return void console.log(line);
				if (Date.now() < deadline) reminder = setTimeout(() => void check(), 1000);
			};
			reminder = setTimeout(() => void check(), 1000);
		};
		return { weCom, model, whatsAppGateway, simulatorUrl: simulator.url, sayWhenN8nIsReady, close: closeAll };
	} catch (error) {
		await closeAll();
		throw error;
	}
}

/** The lines `npm start` prints about the sandbox. */
export function describeSandbox(plan: SandboxPlan, servers: SandboxServers, report: PrepareReport): string[] {
	const lines = [
		`[sandbox] customer simulator: ${servers.simulatorUrl}  (try the bots without a WeCom account or a phone; 127.0.0.1 only)`,
		`[sandbox] fakes: WeCom API ${servers.weCom.url}, model ${servers.model.url} (answers start with "${SANDBOX_MODEL_MARKER}")`,
		servers.whatsAppGateway
			? `[sandbox] WhatsApp: the gateway on its simulated WhatsApp at ${servers.whatsAppGateway.url} (log: ${servers.whatsAppGateway.logFile})`
			: `[sandbox] ${'problem' in plan.whatsApp ? plan.whatsApp.problem : 'WhatsApp left out.'}`,
	];
	const say = (what: string, names: string[]) => names.length > 0 && lines.push(`[sandbox] ${what}: ${names.join(', ')}`);
	say('created credentials', report.createdCredentials);
	say('kept credentials (never overwritten)', report.keptCredentials);
	for (const line of report.copies) lines.push(`[sandbox]   ${line}`);
	if (plan.copies.length === 0) lines.push('[sandbox] no template in workflows/ has a trigger the sandbox can serve: nothing to simulate');
	return lines;
}
