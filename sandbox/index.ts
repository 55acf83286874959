// The sandbox that `npm start` brings up beside n8n, on 127.0.0.1 only (docs/sandbox.md): fakes of WeCom
// (app and 微信客服) and of an OpenAI-compatible model, three "Sandbox …" credentials pointing at them, a
// "[Sandbox] …" copy of every template bound to those credentials and published, and the customer
// simulator page. Used the same way by scripts/start.mjs and by test/e2e/sandbox.test.ts:
//
//   const plan = sandboxPlan({ userFolder, env: process.env });   // ports, secrets, copies; no side effect but the secrets file
//   const servers = await startSandboxServers(plan, { n8nUrl });  // fakes + simulator; a taken port fails here
//   prepareSandbox(plan, cli);                                    // before `n8n start`: credentials and copies, once
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

import { startFakeOpenAi, type FakeOpenAi } from '../test/fakes/openai';
import { listenOrExplain } from '../test/fakes/ports';
import { startFakeWeComApi, type FakeWeComApi } from '../test/fakes/wecom';
import type { CallbackSecrets } from '../test/fakes/wecom/callback';
import { sandboxCopy, type SandboxCopy, type Template } from './copies';
import { n8nSqliteFile, openExecutionLog } from './executions';
import { existingCredentialIds, existingWorkflowIds, importEntities, publishWorkflow, type N8nCli } from './n8n-cli';
import { startSimulator } from './simulator/server';
import {
	SANDBOX_APP,
	SANDBOX_CORP_ID,
	SANDBOX_CREDENTIALS,
	SANDBOX_KF_ACCOUNT,
	SANDBOX_PORT_ENV,
	SANDBOX_SERVICER,
	sandboxCallbackSecrets,
	sandboxCredentialData,
	sandboxPorts,
	type SandboxCredentialType,
	type SandboxPorts,
} from './world';

export type { N8nCli } from './n8n-cli';
export { SANDBOX_CREDENTIALS } from './world';

export interface SandboxPlan {
	userFolder: string;
	env: NodeJS.ProcessEnv;
	ports: SandboxPorts;
	secrets: CallbackSecrets;
	copies: SandboxCopy[];
}

/** The model's answers carry this, so nobody mistakes the stand-in for the operator's real model. */
export const SANDBOX_MODEL_MARKER = '[sandbox model]';

const projectRoot = path.resolve(__dirname, '..', '..');

/** Reads the templates in workflows/ and the ports from `env`; makes the callback secrets on first use. */
export function sandboxPlan(options: { userFolder: string; env: NodeJS.ProcessEnv; workflowsDir?: string }): SandboxPlan {
	const dir = options.workflowsDir ?? path.join(projectRoot, 'workflows');
	const copies = readdirSync(dir)
		.filter((file) => file.endsWith('.json'))
		.sort()
		.map((file) => sandboxCopy(file, JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as Template))
		.filter((copy): copy is SandboxCopy => copy !== undefined);
	return {
		userFolder: options.userFolder,
		env: options.env,
		ports: sandboxPorts(options.env),
		secrets: sandboxCallbackSecrets(options.userFolder),
		copies,
	};
}

export interface PrepareReport {
	createdCredentials: string[];
	keptCredentials: string[];
	importedCopies: string[];
	keptCopies: string[];
}

/**
 * Before `n8n start` (the CLI writes the database that n8n reads at boot): creates the sandbox credentials
 * and imports and publishes the copies that are not there yet. What exists is never touched: the operator
 * may have put a real model key into "Sandbox model", edited AutoReply in a copy, or unpublished it.
 */
export function prepareSandbox(plan: SandboxPlan, cli: N8nCli): PrepareReport {
	const report: PrepareReport = { createdCredentials: [], keptCredentials: [], importedCopies: [], keptCopies: [] };
	const credentialIds = existingCredentialIds(cli);
	const data = sandboxCredentialData(plan.secrets, plan.ports);
	const missing = (Object.keys(SANDBOX_CREDENTIALS) as SandboxCredentialType[]).filter((type) => {
		const known = credentialIds.has(SANDBOX_CREDENTIALS[type].id);
		(known ? report.keptCredentials : report.createdCredentials).push(SANDBOX_CREDENTIALS[type].name);
		return !known;
	});
	if (missing.length > 0) {
		importEntities(
			cli,
			'credentials',
			missing.map((type) => ({ ...SANDBOX_CREDENTIALS[type], type, data: data[type] })),
		);
	}
	const workflowIds = existingWorkflowIds(cli);
	const newCopies = plan.copies.filter((copy) => {
		const known = workflowIds.has(copy.workflow.id);
		(known ? report.keptCopies : report.importedCopies).push(copy.workflow.name);
		return !known;
	});
	if (newCopies.length > 0) {
		importEntities(cli, 'workflow', newCopies.map((copy) => copy.workflow));
		for (const copy of newCopies) publishWorkflow(cli, copy.workflow.id);
	}
	return report;
}

export interface SandboxServers {
	weCom: FakeWeComApi;
	model: FakeOpenAi;
	simulatorUrl: string;
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
		const executions = openExecutionLog(n8nSqliteFile(plan.userFolder, plan.env));
		started.push({ close: async () => executions.close() });
		const simulator = await listen('simulator', async (port) =>
			await startSimulator({
				port,
				copies: plan.copies,
				secrets: plan.secrets,
				weCom,
				executions,
				n8nUrl: options.n8nUrl,
				editorUrl: options.editorUrl ?? options.n8nUrl,
			}),
		);
		return { weCom, model, simulatorUrl: simulator.url, close: closeAll };
	} catch (error) {
		await closeAll();
		throw error;
	}
}

/** The lines `npm start` prints about the sandbox. */
export function describeSandbox(plan: SandboxPlan, servers: SandboxServers, report: PrepareReport): string[] {
	const lines = [
		`[sandbox] customer simulator: ${servers.simulatorUrl}  (try the bots without a WeCom account; 127.0.0.1 only)`,
		`[sandbox] fakes: WeCom API ${servers.weCom.url}, model ${servers.model.url} (answers start with "${SANDBOX_MODEL_MARKER}")`,
	];
	const say = (what: string, names: string[]) => names.length > 0 && lines.push(`[sandbox] ${what}: ${names.join(', ')}`);
	say('created credentials', report.createdCredentials);
	say('kept credentials (never overwritten)', report.keptCredentials);
	say('imported and published', report.importedCopies);
	say('kept as they are (your edits stay)', report.keptCopies);
	if (plan.copies.length === 0) lines.push('[sandbox] no template in workflows/ has a WeCom Trigger: nothing to simulate');
	return lines;
}
