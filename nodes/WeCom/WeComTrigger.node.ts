import type {
	IDataObject,
	IHookFunctions,
	INodeType,
	INodeTypeDescription,
	IWebhookFunctions,
	IWebhookResponseData,
} from 'n8n-workflow';
import { NodeConnectionTypes, NodeOperationError } from 'n8n-workflow';

import { weComCallbackApiTest } from './callback/credentialTest';
import { decodeEncodingAesKey, openCallback, WeComCallbackError } from './callback/crypto';
import { callbackDedupeKey, RecentKeys } from './callback/dedupe';
import { SecretsCache } from './callback/secretsCache';
import { extractEncrypt, parseXml } from './callback/xml';

/** WeCom's callbacks are a few hundred bytes; kf and batch events stay far below this. */
const MAX_BODY_BYTES = 64 * 1024;

/**
 * Retries of one callback arrive within seconds (WeCom gives up on a connection after 5 s and retries up to
 * 3 times, doc 90238); an hour is far beyond that and 50,000 keys is a few MB at most.
 */
const recentCallbacks = new RecentKeys(50_000, 60 * 60 * 1000);

interface CallbackSecrets {
	token: string;
	aesKey: Buffer;
	receiveId: string;
}

/** Credential values for 5 minutes; a failed callback may reload them, at most every 10 seconds. */
const callbackSecrets = new SecretsCache<CallbackSecrets>(5 * 60 * 1000, 10 * 1000);

/** Failures that a changed Token or EncodingAESKey would cause (not a stale timestamp or a bad body). */
const RELOAD_REASONS = new Set<WeComCallbackError['reason']>([
	'invalidSignature',
	'invalidPadding',
	'invalidLength',
	'receiveIdMismatch',
]);

async function loadCallbackSecrets(this: IWebhookFunctions): Promise<CallbackSecrets> {
	const credentials = await this.getCredentials('weComCallbackApi');
	return {
		token: String(credentials.token ?? ''),
		aesKey: decodeEncodingAesKey(String(credentials.encodingAesKey ?? '')),
		receiveId: String(credentials.corpId ?? '').trim(),
	};
}

/** Callbacks whose first delivery is still being answered by n8n (its execution not yet stored). */
const pendingCallbacks = new Set<string>();

/**
 * n8n sends a string answer as text/html unless the webhook declares a content type; WeCom's examples answer
 * plain text. The description's index signature does not know this object-valued key, hence the cast.
 */
const PLAIN_TEXT_RESPONSE = {
	responseHeaders: { entries: [{ name: 'content-type', value: 'text/plain; charset=utf-8' }] },
} as unknown as Record<string, string>;

const MESSAGE_TYPES = [
	{ name: 'Text', value: 'text' },
	{ name: 'Image', value: 'image' },
	{ name: 'Voice', value: 'voice' },
	{ name: 'Video', value: 'video' },
	{ name: 'Location', value: 'location' },
	{ name: 'Link', value: 'link' },
	{ name: 'File', value: 'file' },
	{ name: 'Event', value: 'event' },
];

const EVENTS = [
	{ name: 'Approval Status Change', value: 'open_approval_change', description: 'WeCom event open_approval_change' },
	{ name: 'Batch Job Result', value: 'batch_job_result', description: 'WeCom event batch_job_result' },
	{ name: 'Contact Change', value: 'change_contact', description: 'WeCom event change_contact' },
	{ name: 'Customer Service Message or Event', value: 'kf_msg_or_event', description: 'WeCom event kf_msg_or_event' },
	{ name: 'Enter App', value: 'enter_agent', description: 'WeCom event enter_agent' },
	{ name: 'External Contact Change', value: 'change_external_contact', description: 'WeCom event change_external_contact' },
	{ name: 'Location Report', value: 'LOCATION', description: 'WeCom event LOCATION' },
	{ name: 'Menu Click', value: 'click', description: 'WeCom event click' },
	{ name: 'Menu Link Opened', value: 'view', description: 'WeCom event view' },
	{ name: 'Menu Location Select', value: 'location_select', description: 'WeCom event location_select' },
	{ name: 'Menu Photo', value: 'pic', description: 'WeCom event pic_sysphoto, pic_photo_or_album, pic_weixin' },
	{ name: 'Menu Scan', value: 'scancode', description: 'WeCom event scancode_push, scancode_waitmsg' },
	{ name: 'Subscribe', value: 'subscribe', description: 'WeCom event subscribe' },
	{ name: 'Template Card Button', value: 'template_card_event', description: 'WeCom event template_card_event' },
	{ name: 'Unsubscribe', value: 'unsubscribe', description: 'WeCom event unsubscribe' },
];

/** Menu events that come in variants are chosen together in the editor. */
function eventFilterValue(event: string): string {
	if (event.startsWith('pic_')) return 'pic';
	if (event.startsWith('scancode_')) return 'scancode';
	return event;
}

function httpStatusFor(reason: WeComCallbackError['reason']): number {
	switch (reason) {
		case 'invalidSignature':
		case 'staleTimestamp':
		case 'receiveIdMismatch':
			return 403;
		default:
			return 400;
	}
}

interface CallbackRequest {
	rawBody?: Buffer;
	readRawBody?: () => Promise<void>;
	headers: Record<string, string | string[] | undefined>;
}

interface CallbackResponse {
	statusCode: number;
	status(code: number): CallbackResponse;
	type(contentType: string): CallbackResponse;
	send(body: string): CallbackResponse;
	once(event: 'finish' | 'close', listener: () => void): unknown;
	writableFinished: boolean;
}

function firstQueryValue(value: unknown): string | undefined {
	if (Array.isArray(value)) return firstQueryValue(value[0]);
	return typeof value === 'string' ? value : undefined;
}

export class WeComTrigger implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'WeCom Trigger',
		name: 'weComTrigger',
		icon: { light: 'file:wecom.svg', dark: 'file:wecom.dark.svg' },
		group: ['trigger'],
		// 1.1, not 1: for version-1 webhook nodes n8n evaluates one more expression on every request
		// (`options.binaryData` in its parseRequestBody), which this node does not use.
		version: 1.1,
		subtitle: '={{"Callback: " + $parameter["messageTypes"].join(", ")}}',
		description:
			'Starts the workflow when a WeCom (企业微信) app receives a message or an event through its encrypted callback',
		defaults: {
			name: 'WeCom Trigger',
		},
		inputs: [],
		outputs: [NodeConnectionTypes.Main],
		credentials: [
			{
				name: 'weComCallbackApi',
				required: true,
				testedBy: 'weComCallbackApiTest',
			},
		],
		// Every value here is constant: n8n evaluates expressions in webhook descriptions on every request, and
		// with N8N_EXPRESSION_ENGINE_LAZY_ACQUIRE an evaluation costs a whole expression isolate (bench/README.md).
		// So passive replies get a path of their own instead of a response mode chosen by a parameter.
		webhooks: [
			{
				// WeCom verifies the URL with a GET and wants the decrypted echostr back within 1 second.
				name: 'setup',
				httpMethod: 'GET',
				responseMode: 'onReceived',
				responseData: '',
				path: 'webhook',
			},
			{
				// The answer goes out through n8n's own path, after n8n has stored the execution: an answer written
				// by the trigger itself lost acknowledged callbacks under load (notes/n8n-platform.md §8b).
				// responseData '' stops n8n from sending its default text instead of ours.
				name: 'default',
				httpMethod: 'POST',
				responseMode: 'onReceived',
				responseData: '',
				path: 'webhook',
				...PLAIN_TEXT_RESPONSE,
			},
			{
				name: 'setup',
				httpMethod: 'GET',
				responseMode: 'onReceived',
				responseData: '',
				path: 'passive',
			},
			{
				// Passive reply: the answer is the replyXml of the last node's first item (WeCom → Passive Reply →
				// Build). n8n's Respond to Webhook node cannot serve here: since its version 1.1 it refuses workflows
				// that do not start with n8n's own Webhook, Form or Chat trigger.
				name: 'default',
				httpMethod: 'POST',
				responseMode: 'lastNode',
				responseData: 'firstEntryJson',
				responsePropertyName: 'replyXml',
				responseContentType: 'text/xml; charset=utf-8',
				path: 'passive',
			},
		],
		properties: [
			{
				displayName:
					'In the WeCom admin console, open 应用管理 → your app → 接收消息 → 设置API接收, paste this node\'s Production URL, and use the Token and EncodingAESKey of the credential. Publish the workflow first: WeCom checks the URL when you save.',
				name: 'setupNotice',
				type: 'notice',
				default: '',
			},
			{
				displayName:
					'Passive replies (the answer inside the callback, for flows that finish within 5 seconds): give WeCom the Production URL ending in /passive instead, and end the flow with WeCom → Passive Reply → Build. WeCom gives up after 5 seconds and sends the callback again (answered without a second run), so keep AI calls out of such flows.',
				name: 'passiveReplyNotice',
				type: 'notice',
				default: '',
			},
			{
				displayName:
					'WeChat Customer Service (微信客服): choose Message Types → Event and Events → Customer Service Message or Event, and put WeCom → Kf Message → Pull Messages right after this node. The callback only says that messages are waiting; that node fetches each of them once. In the admin console the app must be listed under 微信客服 → 可调用接口的应用.',
				name: 'kfNotice',
				type: 'notice',
				default: '',
			},
			{
				displayName: 'Message Types',
				name: 'messageTypes',
				type: 'multiOptions',
				options: MESSAGE_TYPES,
				default: ['text'],
				required: true,
				description:
					'Which messages start the workflow. Others are acknowledged to WeCom and dropped.',
			},
			{
				displayName: 'Events',
				name: 'events',
				type: 'multiOptions',
				options: EVENTS,
				default: [],
				displayOptions: { show: { messageTypes: ['event'] } },
				description:
					'Which events start the workflow. Leave empty for all events.',
			},
			{
				displayName: 'Options',
				name: 'options',
				type: 'collection',
				placeholder: 'Add Option',
				default: {},
				options: [
					{
						displayName: 'Deduplicate Retries',
						name: 'deduplicate',
						type: 'boolean',
						default: true,
						description:
							'Whether a callback that WeCom sends again (it retries up to 3 times when an answer takes over 5 seconds) starts no second execution. Messages are matched by MsgId, events by their whole content.',
					},
					{
						displayName: 'Max Timestamp Age (Seconds)',
						name: 'maxClockSkewSeconds',
						type: 'number',
						typeOptions: { minValue: 0 },
						default: 0,
						description:
							'Refuse callbacks whose signed timestamp is older or newer than this, against replayed requests. 0 turns the check off. 300 is a safe value when this server\'s clock is synchronised.',
					},
				],
			},
		],
	};

	methods = {
		credentialTest: { weComCallbackApiTest },
	};

	// WeCom has no API to register a callback URL: the operator pastes it in the admin console. These exist
	// because n8n asks every webhook node for them.
	webhookMethods = {
		default: {
			async checkExists(this: IHookFunctions): Promise<boolean> {
				return true;
			},
			async create(this: IHookFunctions): Promise<boolean> {
				return true;
			},
			async delete(this: IHookFunctions): Promise<boolean> {
				return true;
			},
		},
	};

	async webhook(this: IWebhookFunctions): Promise<IWebhookResponseData> {
		const req = this.getRequestObject() as unknown as CallbackRequest;
		const res = this.getResponseObject() as unknown as CallbackResponse;
		const query = this.getQueryData() as IDataObject;
		const options = this.getNodeParameter('options', {}) as {
			deduplicate?: boolean;
			maxClockSkewSeconds?: number;
		};

		// Anything refused here starts no execution, so the answer may go out at once: nothing can be lost.
		const refuse = (status: number, message: string): IWebhookResponseData => {
			res.status(status).type('text/plain').send(message);
			return { noWebhookResponse: true };
		};
		const refuseCallback = (error: WeComCallbackError): IWebhookResponseData => {
			this.logger.warn(`WeCom Trigger refused a callback: ${error.reason}`, {
				reason: error.reason,
				workflowId: this.getWorkflow().id,
			});
			return refuse(httpStatusFor(error.reason), error.message);
		};
		const acknowledgeWithoutRun = (): IWebhookResponseData => {
			res.status(200).type('text/plain').send('success');
			return { noWebhookResponse: true };
		};

		let plaintext: string;
		let message: IDataObject;
		try {
			let encrypted: string | undefined;
			if (this.getWebhookName() === 'setup') {
				encrypted = firstQueryValue(query.echostr);
			} else {
				if (req.rawBody === undefined && typeof req.readRawBody === 'function') await req.readRawBody();
				const body = req.rawBody ?? Buffer.alloc(0);
				if (body.length > MAX_BODY_BYTES) {
					return refuse(413, `The callback body is ${body.length} bytes; WeCom callbacks are under ${MAX_BODY_BYTES}.`);
				}
				encrypted = extractEncrypt(body.toString('utf8')).encrypted;
			}
			const open = (secrets: CallbackSecrets): string | WeComCallbackError => {
				try {
					return openCallback({
						...secrets,
						signature: firstQueryValue(query.msg_signature),
						timestamp: firstQueryValue(query.timestamp),
						nonce: firstQueryValue(query.nonce),
						maxClockSkewSeconds: options.maxClockSkewSeconds || undefined,
						encrypted,
					});
				} catch (error) {
					if (error instanceof WeComCallbackError) return error;
					throw new NodeOperationError(this.getNode(), error as Error);
				}
			};
			const credentialKey = this.getNode().credentials?.weComCallbackApi?.id ?? '';
			// A failure with cached values may come from a Token or EncodingAESKey changed since they were cached.
			const opened = await callbackSecrets.useWithReload(
				credentialKey,
				async () => await loadCallbackSecrets.call(this),
				open,
				(result) => result instanceof WeComCallbackError && RELOAD_REASONS.has(result.reason),
			);
			if (opened instanceof WeComCallbackError) return refuseCallback(opened);
			plaintext = opened;

			if (this.getWebhookName() === 'setup') {
				// URL verification: the plaintext echo, no quotes, no newline (doc 90930).
				res.status(200).type('text/plain').send(plaintext);
				return { noWebhookResponse: true };
			}
			message = parseXml(plaintext) as IDataObject;
		} catch (error) {
			if (error instanceof WeComCallbackError) return refuseCallback(error);
			throw new NodeOperationError(this.getNode(), error as Error, {
				message: 'The WeCom Trigger could not read this callback',
			});
		}

		const messageTypes = this.getNodeParameter('messageTypes', []) as string[];
		const msgType = String(message.MsgType ?? '');
		if (!messageTypes.includes(msgType)) return acknowledgeWithoutRun();
		if (msgType === 'event') {
			const events = this.getNodeParameter('events', []) as string[];
			if (events.length > 0 && !events.includes(eventFilterValue(String(message.Event ?? '')))) {
				return acknowledgeWithoutRun();
			}
		}

		if (options.deduplicate !== false) {
			const key = `${this.getWorkflow().id}:${this.getNode().id}:${callbackDedupeKey(message, plaintext)}`;
			if (pendingCallbacks.has(key)) {
				// The first delivery's execution is not stored yet. Saying "success" now would vouch for work that
				// may still fail; a 503 keeps WeCom's retry alive, and later retries see the outcome.
				return refuse(503, 'The first delivery of this callback is still being stored; retry later.');
			}
			if (recentCallbacks.checkAndRemember(key)) return acknowledgeWithoutRun();
			pendingCallbacks.add(key);
			const settle = () => {
				if (!pendingCallbacks.delete(key)) return;
				// n8n answered with an error (e.g. its database refused the execution): let WeCom's retry run.
				if (res.statusCode >= 300) recentCallbacks.forget(key);
			};
			res.once('finish', settle);
			// A connection closed before the answer (WeCom gave up after 5 s) leaves the outcome unknown; the
			// execution is almost always stored by then, so the key stays and a retry is acknowledged.
			res.once('close', () => pendingCallbacks.delete(key));
		}

		return {
			workflowData: [[{ json: message }]],
			webhookResponse: 'success',
		};
	}
}
