/* eslint-disable @n8n/community-nodes/no-restricted-globals, @n8n/community-nodes/no-restricted-imports -- test code, never shipped: it needs process.env and node: modules */
/**
 * In-process node tests on n8n-core's own engine (docs/n8n-platform.md): the BUILT package
 * (dist/, via package.json "n8n", as n8n loads it; run `npm run build` first) is loaded with
 * PackageDirectoryLoader, a one-node workflow is executed by WorkflowExecute, and the node's output
 * comes back per output. No n8n server, no database; HTTP goes through n8n's real request helpers.
 *
 *   const { outputs, error } = await runNode({
 *     nodeType: 'weCom',
 *     parameters: { resource: 'message', operation: 'sendText', toUser: 'zhangsan', content: 'hi' },
 *     credentials: { weComApi: { corpId, agentId, secret, baseUrl } },
 *     items: [{ json: {} }],
 *   });
 *
 * The execution stack starts at the node under test, so no trigger and no n8n-nodes-base are needed.
 * Webhook/trigger nodes are tested with WebhookContext instead (see the trigger tests).
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';

import type {
	ExecutionError,
	ICredentialDataDecryptedObject,
	IDataObject,
	IHttpRequestOptions,
	INode,
	INodeExecutionData,
	INodeParameters,
	INodeType,
	INodeTypes,
	IRun,
	IVersionedNodeType,
	IWorkflowBase,
	IWorkflowExecuteAdditionalData,
	WorkflowExecuteMode,
} from 'n8n-workflow';

export const projectRoot = path.resolve(__dirname, '..', '..', '..');

type N8nCore = typeof import('n8n-core');
type N8nWorkflow = typeof import('n8n-workflow');

interface Engine {
	core: N8nCore;
	workflow: N8nWorkflow;
	nodeTypes: INodeTypes;
	packageName: string;
	credentialsHelper: TestCredentialsHelperLike;
}

interface TestCredentialsHelperLike {
	credentialsByExecution: Map<string, Record<string, ICredentialDataDecryptedObject>>;
	readsByExecution: Map<string, number>;
}

let engine: Promise<Engine> | undefined;
let userFolder: string | undefined;

/**
 * n8n-core reads N8N_USER_FOLDER when its services are first built, so it is set before n8n-core is
 * imported (hence the dynamic imports); reflect-metadata must come first for its DI decorators.
 */
async function loadEngine(): Promise<Engine> {
	userFolder = mkdtempSync(path.join(tmpdir(), 'kefu-node-test-'));
	process.env.N8N_USER_FOLDER = userFolder;
	process.env.N8N_DIAGNOSTICS_ENABLED ??= 'false';
	// Quiet by default: n8n logs every node error; N8N_LOG_LEVEL=debug shows the engine's view again.
	process.env.N8N_LOG_LEVEL ??= 'silent';
	process.env.N8N_ENCRYPTION_KEY ??= 'in-process-node-tests-only';
	await import('reflect-metadata');
	const workflow = await import('n8n-workflow');
	const core = await import('n8n-core');

	const loader = new core.PackageDirectoryLoader(projectRoot);
	await loader.loadAll();
	const shortName = (type: string) => type.split('.').pop() ?? type;
	const nodeTypes: INodeTypes = {
		getByName: (type: string): INodeType | IVersionedNodeType => loader.getNode(shortName(type)).type,
		getByNameAndVersion: (type: string, version?: number): INodeType =>
			workflow.NodeHelpers.getVersionedNodeType(loader.getNode(shortName(type)).type, version),
		getKnownTypes: () => loader.known.nodes,
	};

	/**
	 * Credentials come from the test, per execution (concurrent runs may use different ones). Only
	 * what a programmatic node needs is implemented: n8n's authenticate/preAuthentication are not used.
	 */
	class TestCredentialsHelper extends workflow.ICredentialsHelper {
		credentialsByExecution = new Map<string, Record<string, ICredentialDataDecryptedObject>>();

		/** How often a node read its credentials, so tests can prove that a cache spares the reads. */
		readsByExecution = new Map<string, number>();

		getParentTypes(): string[] {
			return [];
		}

		isCredentialUsableByNode(): boolean {
			return true;
		}

		/**
		 * A credential type's generic `authenticate` (headers and query values of the form `={{$credentials.field}}`),
		 * as n8n applies it in httpRequestWithAuthentication; other types are left as they were.
		 */
		async authenticate(credentials: ICredentialDataDecryptedObject, type: string, requestOptions: IHttpRequestOptions) {
			const authenticate = loader.known.credentials[type] ? loader.getCredential(type).type.authenticate : undefined;
			if (!authenticate || typeof authenticate === 'function' || authenticate.type !== 'generic') return requestOptions;
			const resolve = (values: IDataObject = {}) =>
				Object.fromEntries(
					Object.entries(values).map(([name, value]) => {
						const field = /^=\{\{\s*\$credentials\.(\w+)\s*\}\}$/.exec(String(value));
						return [name, field ? String(credentials[field[1]] ?? '') : value];
					}),
				);
			const { headers, qs } = authenticate.properties;
			return {
				...requestOptions,
				headers: { ...requestOptions.headers, ...resolve(headers as IDataObject) },
				...(qs ? { qs: { ...requestOptions.qs, ...resolve(qs as IDataObject) } } : {}),
			};
		}

		async preAuthentication() {
			return undefined;
		}

		async runPreAuthentication() {
			return undefined;
		}

		async getCredentials(): Promise<never> {
			throw new workflow.UnexpectedError('TestCredentialsHelper.getCredentials is not implemented');
		}

		async getDecrypted(
			additionalData: IWorkflowExecuteAdditionalData,
			_nodeCredentials: unknown,
			type: string,
		): Promise<ICredentialDataDecryptedObject> {
			const executionId = additionalData.executionId ?? '';
			this.readsByExecution.set(executionId, (this.readsByExecution.get(executionId) ?? 0) + 1);
			const credentials = this.credentialsByExecution.get(executionId)?.[type];
			if (!credentials) throw new workflow.UnexpectedError(`No test credentials of type ${type}`);
			return { ...credentials };
		}

		async updateCredentials() {}

		async updateCredentialsOauthTokenData() {}

		getCredentialsProperties() {
			return [];
		}
	}

	return {
		core,
		workflow,
		nodeTypes,
		packageName: loader.packageName,
		credentialsHelper: new TestCredentialsHelper(),
	};
}

async function getEngine(): Promise<Engine> {
	engine ??= loadEngine();
	return await engine;
}

/** The built module at `relativePath` (e.g. 'dist/nodes/WeCom/transport/index.js'), the same instance the loaded node uses. */
export async function requireBuilt<T>(relativePath: string): Promise<T> {
	await getEngine();
	return (await import(path.join(projectRoot, relativePath))) as T;
}

export interface BinaryInput {
	data: Buffer | string;
	fileName?: string;
	mimeType?: string;
}

export interface RunNodeOptions {
	/** Node name in this package ('weCom') or a full type ('n8n-nodes-kefu.weCom'). */
	nodeType: string;
	typeVersion?: number;
	parameters: INodeParameters;
	/** Decrypted credential data by credential type, e.g. { weComApi: { corpId, … } }. */
	credentials?: Record<string, ICredentialDataDecryptedObject>;
	/** Input items; plain objects are taken as `json`. Default: one empty item. */
	items?: Array<INodeExecutionData | IDataObject>;
	/** Binary properties added to every input item (Buffer or base64), e.g. { data: { data, fileName, mimeType } }. */
	binary?: Record<string, BinaryInput>;
	/** Node setting "On Error": continueRegularOutput / continueErrorOutput. */
	onError?: INode['onError'];
	mode?: WorkflowExecuteMode;
	/**
	 * The workflow's static data as n8n would load it from the database at the start of an execution
	 * (mutated in place by the node, like n8n's own copy). Default: empty.
	 */
	staticData?: IDataObject;
	/** Workflow id; default a new one per run. Nodes that keep per-workflow state need a stable one. */
	workflowId?: string;
}

export interface RunNodeResult {
	/** Items per output of the node (the first run). */
	outputs: INodeExecutionData[][];
	/** The node's error when it failed (and did not continue on fail), or n8n's refusal to start (node issues). */
	error?: ExecutionError;
	/** The whole run; absent when n8n refused to start it. */
	run?: IRun;
}

let executionCounter = 0;

function toItem(item: INodeExecutionData | IDataObject): INodeExecutionData {
	return 'json' in item && typeof item.json === 'object' && item.json !== null
		? ({ ...(item as INodeExecutionData) } as INodeExecutionData)
		: { json: item as IDataObject };
}

/** The full type name, the node type and the version to run (the newest unless the test says). */
function resolveNodeType(engine: Engine, options: { nodeType: string; typeVersion?: number }) {
	const type = options.nodeType.includes('.') ? options.nodeType : `${engine.packageName}.${options.nodeType}`;
	const nodeType = engine.nodeTypes.getByNameAndVersion(type, options.typeVersion);
	const { version } = nodeType.description;
	const typeVersion = options.typeVersion ?? (Array.isArray(version) ? Math.max(...version) : version);
	return { type, nodeType, typeVersion };
}

/** Executes one node on n8n-core's WorkflowExecute and returns its output. */
export async function runNode(options: RunNodeOptions): Promise<RunNodeResult> {
	const engine = await getEngine();
	const { core, workflow, nodeTypes, credentialsHelper } = engine;
	const { type, typeVersion } = resolveNodeType(engine, options);

	const executionId = `test-${++executionCounter}`;
	const node: INode = {
		id: `node-${executionCounter}`,
		name: 'Node Under Test',
		type,
		typeVersion,
		position: [0, 0],
		parameters: options.parameters,
		credentials: Object.fromEntries(
			Object.keys(options.credentials ?? {}).map((credentialType) => [
				credentialType,
				{ id: `cred-${credentialType}`, name: `Test ${credentialType}` },
			]),
		),
		...(options.onError ? { onError: options.onError } : {}),
	};
	const workflowData: IWorkflowBase = {
		id: options.workflowId ?? `wf-${executionCounter}`,
		name: 'In-process test',
		active: false,
		isArchived: false,
		nodes: [node],
		connections: {},
		settings: { executionOrder: 'v1' },
		createdAt: new Date(),
		updatedAt: new Date(),
	} as IWorkflowBase;
	const wf = new workflow.Workflow({
		id: workflowData.id,
		name: workflowData.name,
		nodes: workflowData.nodes,
		connections: workflowData.connections,
		active: false,
		nodeTypes,
		settings: workflowData.settings,
		// n8n loads a fresh copy from the database for every execution.
		staticData: options.staticData ? (structuredClone(options.staticData) as IDataObject) : undefined,
	});

	const items = (options.items ?? [{ json: {} }]).map(toItem);
	if (options.binary) {
		for (const item of items) {
			item.binary = { ...(item.binary ?? {}) };
			for (const [property, input] of Object.entries(options.binary)) {
				const data = Buffer.isBuffer(input.data) ? input.data : Buffer.from(input.data, 'base64');
				item.binary[property] = {
					data: data.toString('base64'),
					mimeType: input.mimeType ?? 'application/octet-stream',
					fileName: input.fileName,
					fileExtension: input.fileName?.split('.').pop(),
					fileSize: `${data.length} B`,
				};
			}
		}
	}

	credentialsHelper.credentialsByExecution.set(executionId, options.credentials ?? {});
	const mode = options.mode ?? 'manual';
	const hooks = new core.ExecutionLifecycleHooks(mode, executionId, workflowData);
	const finished = new Promise<IRun>((resolve) => hooks.addHandler('workflowExecuteAfter', (run) => resolve(run)));
	const additionalData = {
		hooks,
		executionId,
		credentialsHelper,
		currentNodeParameters: undefined,
		currentNodeExecutionIndex: 0,
		restApiUrl: 'http://127.0.0.1:5678/rest',
		instanceBaseUrl: 'http://127.0.0.1:5678/',
		formBaseUrl: 'http://127.0.0.1:5678/form',
		formWaitingBaseUrl: 'http://127.0.0.1:5678/form-waiting',
		formTestBaseUrl: 'http://127.0.0.1:5678/form-test',
		webhookBaseUrl: 'http://127.0.0.1:5678/webhook',
		webhookWaitingBaseUrl: 'http://127.0.0.1:5678/webhook-waiting',
		webhookTestBaseUrl: 'http://127.0.0.1:5678/webhook-test',
		mcpBaseUrl: 'http://127.0.0.1:5678/mcp',
		mcpTestBaseUrl: 'http://127.0.0.1:5678/mcp-test',
		variables: {},
		userId: 'test-user',
	} as unknown as IWorkflowExecuteAdditionalData;

	const runExecutionData = workflow.createRunExecutionData({
		executionData: {
			nodeExecutionStack: [{ node, data: { main: [items] }, source: null }],
		},
	});
	try {
		try {
			await new core.WorkflowExecute(additionalData, mode, runExecutionData).processRunExecutionData(wf);
		} catch (refusal) {
			// n8n checks parameters before running (required fields, maxAllowedFields…) and throws.
			return { outputs: [], error: refusal as ExecutionError };
		}
		const run = await finished;
		// What n8n would save at the end of the execution (it saves static data only when it changed).
		if (options.staticData && wf.staticData.__dataChanged === true) {
			const saved = JSON.parse(JSON.stringify(wf.staticData)) as IDataObject;
			for (const key of Object.keys(options.staticData)) delete options.staticData[key];
			Object.assign(options.staticData, saved);
		}
		const taskData = run.data.resultData.runData[node.name]?.[0];
		const outputs = (taskData?.data?.main ?? []).map((output) => output ?? []);
		return { outputs, error: taskData?.error ?? run.data.resultData.error, run };
	} finally {
		credentialsHelper.credentialsByExecution.delete(executionId);
		credentialsHelper.readsByExecution.delete(executionId);
	}
}

/** Removes the temporary n8n user folder (call from an `after` hook). */
export function cleanupHarness(): void {
	if (userFolder) rmSync(userFolder, { recursive: true, force: true });
}

/** What the trigger wrote to the response itself (refusals, the URL echo), or nothing when n8n answers. */
export interface FakeResponse {
	statusCode: number;
	body?: string;
	contentType?: string;
	headersSent: boolean;
	writableFinished: boolean;
	/** The connection is gone (the client hung up, or the answer was sent), as on Node's ServerResponse. */
	closed: boolean;
	status(code: number): FakeResponse;
	type(contentType: string): FakeResponse;
	send(body: string): FakeResponse;
	setHeader(name: string, value: string): FakeResponse;
	end(): FakeResponse;
	once(event: string, listener: () => void): FakeResponse;
	/**
	 * Plays n8n answering later (once the execution is stored, or storing failed): sets the status and ends the
	 * response, which emits finish and close while the client is still connected, and nothing after abort().
	 */
	finish(statusCode: number): void;
	/** Plays the client going away before any answer: emits close only. */
	abort(): void;
}

function fakeResponse(): FakeResponse {
	const listeners: Record<string, Array<() => void>> = {};
	const emit = (event: string) => {
		for (const listener of listeners[event]?.splice(0) ?? []) listener();
	};
	const res: FakeResponse = {
		statusCode: 200,
		headersSent: false,
		writableFinished: false,
		closed: false,
		status(code) {
			res.statusCode = code;
			return res;
		},
		type(contentType) {
			res.contentType = contentType;
			return res;
		},
		setHeader() {
			return res;
		},
		// Like Express: send() ends the response through res.end, and an end after the client hung up sends
		// nothing and emits nothing (Node's ServerResponse).
		send(body) {
			res.body = body;
			return res.end();
		},
		end() {
			if (res.closed) return res;
			res.headersSent = true;
			res.writableFinished = true;
			res.closed = true;
			emit('finish');
			emit('close');
			return res;
		},
		once(event, listener) {
			(listeners[event] ??= []).push(listener);
			return res;
		},
		finish(statusCode) {
			res.status(statusCode).end();
		},
		abort() {
			if (res.closed) return;
			res.closed = true;
			emit('close');
		},
	};
	return res;
}

export interface CallWebhookOptions {
	nodeType: string;
	typeVersion?: number;
	parameters: INodeParameters;
	credentials: Record<string, ICredentialDataDecryptedObject>;
	/** The webhook description's name: 'setup' (GET) or 'default' (POST) for the WeCom Trigger. */
	webhookName: string;
	method: 'GET' | 'POST';
	query?: Record<string, string>;
	body?: string | Buffer;
	headers?: Record<string, string>;
	/** Same workflow and node ids across calls, so in-memory state (retry memory) is shared as in n8n. */
	workflowId?: string;
	/** One credential id for changed values: the operator edited the credential (default: an id per values). */
	credentialId?: string;
}

export interface CallWebhookResult {
	response: import('n8n-workflow').IWebhookResponseData;
	res: FakeResponse;
	/** How many times webhook() read its credentials. */
	credentialReads: number;
}

/** Calls a trigger's webhook() with n8n-core's real WebhookContext, as n8n does for a live webhook. */
export async function callWebhook(options: CallWebhookOptions): Promise<CallWebhookResult> {
	const engine = await getEngine();
	const { core, workflow, nodeTypes, credentialsHelper } = engine;
	const { type, nodeType, typeVersion } = resolveNodeType(engine, options);
	const executionId = `webhook-${++executionCounter}`;
	const workflowId = options.workflowId ?? `wf-webhook-${executionCounter}`;
	const node: INode = {
		id: `${workflowId}-trigger`,
		name: 'Trigger Under Test',
		type,
		typeVersion,
		position: [0, 0],
		parameters: options.parameters,
		// Triggers may cache credential values by credential id, as between requests in n8n: a test's own
		// values get their own id.
		credentials: Object.fromEntries(
			Object.entries(options.credentials).map(([t, data]) => [
				t,
				{
					id: options.credentialId ?? `cred-${t}-${createHash('sha256').update(JSON.stringify(data)).digest('hex').slice(0, 12)}`,
					name: `Test ${t}`,
				},
			]),
		),
	};
	const wf = new workflow.Workflow({
		id: workflowId,
		name: 'In-process webhook test',
		nodes: [node],
		connections: {},
		active: true,
		nodeTypes,
		settings: { executionOrder: 'v1' },
	});
	const rawBody = options.body === undefined ? undefined : Buffer.from(options.body);
	const req = {
		method: options.method,
		query: options.query ?? {},
		headers: { 'content-type': 'text/xml', ...(options.headers ?? {}) },
		contentType: 'text/xml',
		rawBody,
		body: {},
		params: {},
	};
	const res = fakeResponse();
	credentialsHelper.credentialsByExecution.set(executionId, options.credentials);
	const additionalData = {
		executionId,
		credentialsHelper,
		httpRequest: req,
		httpResponse: res,
		variables: {},
		webhookBaseUrl: 'http://127.0.0.1:5678/webhook',
		instanceBaseUrl: 'http://127.0.0.1:5678/',
	} as unknown as IWorkflowExecuteAdditionalData;
	const webhookData = {
		httpMethod: options.method,
		node: node.name,
		path: 'test/webhook',
		webhookDescription: { name: options.webhookName, httpMethod: options.method, path: 'webhook' },
		workflowId,
		workflowExecuteAdditionalData: additionalData,
	} as unknown as import('n8n-workflow').IWebhookData;
	try {
		const ctx = new core.WebhookContext(wf, node, additionalData, 'webhook', webhookData, [], null);
		const webhook = nodeType.webhook as (this: unknown) => Promise<import('n8n-workflow').IWebhookResponseData>;
		const response = await webhook.call(ctx);
		return { response, res, credentialReads: credentialsHelper.readsByExecution.get(executionId) ?? 0 };
	} finally {
		credentialsHelper.credentialsByExecution.delete(executionId);
		credentialsHelper.readsByExecution.delete(executionId);
	}
}

export interface CallHookOptions {
	nodeType: string;
	typeVersion?: number;
	parameters: INodeParameters;
	credentials: Record<string, ICredentialDataDecryptedObject>;
	/** checkExists, create or delete, of the webhook named `webhookName` (default 'default'). */
	method: 'checkExists' | 'create' | 'delete';
	webhookName?: string;
	/** The workflow's static data, as n8n keeps it between activations; mutated in place like n8n's copy. */
	staticData: IDataObject;
	workflowId?: string;
}

/**
 * Calls one of a trigger's webhookMethods with n8n-core's real HookContext, as n8n does when a workflow is
 * published ('checkExists' then 'create') or unpublished ('delete'). Returns the method's answer and the
 * node's production webhook URL.
 */
export async function callHookMethod(options: CallHookOptions): Promise<{ result: boolean; webhookUrl: string }> {
	const engine = await getEngine();
	const { core, workflow, nodeTypes, credentialsHelper } = engine;
	const { type, nodeType, typeVersion } = resolveNodeType(engine, options);
	const executionId = `hook-${++executionCounter}`;
	const workflowId = options.workflowId ?? 'wf-hook';
	const node: INode = {
		id: `${workflowId}-trigger`,
		name: 'Trigger Under Test',
		type,
		typeVersion,
		position: [0, 0],
		parameters: options.parameters,
		webhookId: `${workflowId}-webhook-id`,
		credentials: Object.fromEntries(Object.keys(options.credentials).map((t) => [t, { id: `cred-${t}`, name: `Test ${t}` }])),
	};
	const wf = new workflow.Workflow({
		id: workflowId,
		name: 'In-process hook test',
		nodes: [node],
		connections: {},
		active: true,
		nodeTypes,
		settings: { executionOrder: 'v1' },
		staticData: structuredClone(options.staticData),
	});
	credentialsHelper.credentialsByExecution.set(executionId, options.credentials);
	const additionalData = {
		executionId,
		credentialsHelper,
		variables: {},
		webhookBaseUrl: 'http://127.0.0.1:5678/webhook',
		webhookTestBaseUrl: 'http://127.0.0.1:5678/webhook-test',
		instanceBaseUrl: 'http://127.0.0.1:5678/',
	} as unknown as IWorkflowExecuteAdditionalData;
	const webhookName = options.webhookName ?? 'default';
	const description = (nodeType.description.webhooks ?? []).find((w) => w.name === webhookName);
	const webhookData = {
		httpMethod: description?.httpMethod ?? 'POST',
		node: node.name,
		path: `${node.webhookId}/webhook`,
		webhookDescription: description,
		workflowId,
		workflowExecuteAdditionalData: additionalData,
		isTest: false,
	} as unknown as import('n8n-workflow').IWebhookData;
	try {
		const ctx = new core.HookContext(wf, node, additionalData, 'trigger', 'activate', webhookData);
		const methods = nodeType.webhookMethods?.[webhookName as 'default'];
		if (!methods) throw new Error(`${options.nodeType} has no webhookMethods.${webhookName}`);
		const result = await (methods[options.method] as (this: unknown) => Promise<boolean>).call(ctx);
		const saved = JSON.parse(JSON.stringify(wf.staticData)) as IDataObject;
		delete saved.__dataChanged;
		for (const key of Object.keys(options.staticData)) delete options.staticData[key];
		Object.assign(options.staticData, saved);
		return { result, webhookUrl: ctx.getNodeWebhookUrl(webhookName as 'default') ?? '' };
	} finally {
		credentialsHelper.credentialsByExecution.delete(executionId);
	}
}

export interface LogEntry {
	level: string;
	message: string;
	meta: Record<string, unknown>;
}

/**
 * n8n's Logger as the trigger's `this.logger` sees it: WebhookContext takes it from n8n-core's DI container,
 * so a recording logger set there receives what the trigger logs.
 */
export async function recordN8nLogs(): Promise<LogEntry[]> {
	await requireBuilt('dist/nodes/WeCom/callback/crypto.js'); // loads n8n-core, as the harness configures it
	const fromCore = createRequire(require.resolve('n8n-core'));
	const { Container } = fromCore('@n8n/di') as { Container: { set(type: unknown, value: unknown): void } };
	const { Logger } = fromCore('@n8n/backend-common') as { Logger: unknown };
	const entries: LogEntry[] = [];
	const record = (level: string) => (message: string, meta: Record<string, unknown> = {}) => {
		entries.push({ level, message, meta });
	};
	const logger = {
		error: record('error'),
		warn: record('warn'),
		info: record('info'),
		debug: record('debug'),
		scoped: () => logger,
	};
	Container.set(Logger, logger);
	return entries;
}
