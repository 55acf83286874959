import type {
	INodeType,
	INodeTypeDescription,
	IWebhookFunctions,
	IWebhookResponseData,
} from 'n8n-workflow';
import { NodeConnectionTypes, NodeOperationError, sleep } from 'n8n-workflow';

import { callWithParameters } from '../common/expression';
import { weComCallbackApiTest } from './callback/credentialTest';
import { WeComCallbackError } from './callback/crypto';
import { callbackDedupeKey, weComRetryGate } from './callback/dedupe';
import { passesFilter } from './callback/filter';
import {
	callbackSecretsFrom,
	DEFAULT_MAX_TIMESTAMP_AGE_SECONDS,
	maxTimestampAgeOption,
	mayNeedFreshSecrets,
	openEnvelope,
	readEnvelope,
	type CallbackSecrets,
	type OpenedCallback,
	type OpenedMessage,
} from './callback/open';
import { RefusalLog, refusalAnswer, type RefusalReason } from './callback/refusals';
import {
	answerNow,
	type CallbackResponse,
	CONSOLE_REGISTERED_WEBHOOK_METHODS,
	PLAIN_TEXT_RESPONSE,
	rawBodyOf,
	refusalSource,
} from '../common/callbackWebhook';
import { type RetryVerdict } from '../common/retryGate';
import { SecretsCache } from '../common/secretsCache';

// What the trigger keeps in memory between requests, per n8n process (docs/callbacks.md).
const retryGate = weComRetryGate(sleep);
const refusals = new RefusalLog();
/** Credential values for 5 minutes; a failed callback may reload them, at most every 10 seconds. */
const callbackSecrets = new SecretsCache<CallbackSecrets>(5 * 60 * 1000, 10 * 1000);

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

/** "Callback: Text, Customer Service Message or Event": the names the operator picked, not the stored values. */
const subtitle = callWithParameters(
	function (parameters, names: { messageTypes: Record<string, string>; events: Record<string, string> }) {
		const types = Array.isArray(parameters.messageTypes) ? (parameters.messageTypes as string[]) : [];
		const events = Array.isArray(parameters.events) ? (parameters.events as string[]) : [];
		const shown = types.flatMap(function (type) {
			if (type === 'event' && events.length > 0) {
				return events.map(function (event) {
					return names.events[event] || event;
				});
			}
			return [names.messageTypes[type] || type];
		});
		return 'Callback: ' + shown.join(', ');
	},
	{
		messageTypes: Object.fromEntries(MESSAGE_TYPES.map(({ value, name }) => [value, name])),
		events: Object.fromEntries(EVENTS.map(({ value, name }) => [value, name])),
	},
);

interface TriggerOptions {
	deduplicate?: boolean;
	maxClockSkewSeconds?: number;
}

function triggerOptions(context: IWebhookFunctions): TriggerOptions {
	return context.getNodeParameter('options', {}) as TriggerOptions;
}

/** Runs one step of opening: a WeComCallbackError is its result (a refusal); any other error is a bug. */
function refusalOr<T>(context: IWebhookFunctions, step: () => T): T | WeComCallbackError {
	try {
		return step();
	} catch (error) {
		if (error instanceof WeComCallbackError) return error;
		throw new NodeOperationError(context.getNode(), error as Error, {
			message: 'The WeCom Trigger could not read this callback',
		});
	}
}

/**
 * Open: from the request to a verified, decrypted URL-check echo or message, or the reason to refuse it.
 * The credential is read only on a cache miss, and read again (rate-limited) when a refusal could come from
 * values changed since they were cached.
 */
async function openRequest(context: IWebhookFunctions): Promise<OpenedCallback | WeComCallbackError> {
	const kind = context.getWebhookName() === 'setup' ? 'urlCheck' : 'message';
	const body = kind === 'message' ? await rawBodyOf(context) : undefined;
	const envelope = refusalOr(context, () => readEnvelope(kind, context.getQueryData() as Record<string, unknown>, body));
	if (envelope instanceof WeComCallbackError) return envelope;
	const maxTimestampAgeSeconds = triggerOptions(context).maxClockSkewSeconds ?? DEFAULT_MAX_TIMESTAMP_AGE_SECONDS;
	return await callbackSecrets.useWithReload(
		context.getNode().credentials?.weComCallbackApi?.id ?? '',
		async () => callbackSecretsFrom(await context.getCredentials('weComCallbackApi')),
		(secrets) => refusalOr(context, () => openEnvelope(envelope, secrets, { maxTimestampAgeSeconds })),
		mayNeedFreshSecrets,
	);
}

/**
 * Gate retries: the retry memory's verdict for a message that passed the filter, once the first delivery's outcome
 * is known (a retry may wait for it). Off when the operator turned deduplication off: then every delivery runs.
 */
async function gateRetries(context: IWebhookFunctions, opened: OpenedMessage, res: CallbackResponse): Promise<RetryVerdict> {
	if (triggerOptions(context).deduplicate === false) return 'run';
	const key = `${context.getWorkflow().id}:${context.getNode().id}:${callbackDedupeKey(opened.message, opened.plaintext)}`;
	return await retryGate.admitRetry(key, res);
}

/** Answer a refusal: a generic text to the caller, the reason to n8n's log and the refusal counts. */
function refuse(
	context: IWebhookFunctions,
	res: CallbackResponse,
	reason: RefusalReason,
	detail: string,
): IWebhookResponseData {
	refusals.record(refusalSource(context), reason, detail, context.logger);
	const { status, text } = refusalAnswer(reason);
	return answerNow(res, status, text);
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
		subtitle,
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
				// by the trigger itself lost acknowledged callbacks under load (docs/callbacks.md).
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
				displayName:
					'微信客服: put WeCom → WeChat Customer Service Message → Pull Messages right after this node (the callback only says that messages are waiting), and list this app under 微信客服 → 可调用接口的应用.',
				name: 'kfNotice',
				type: 'notice',
				default: '',
				displayOptions: { show: { messageTypes: ['event'], events: ['kf_msg_or_event'] } },
			},
			{
				displayName:
					'Publish, then paste the Production URL into 应用管理 → your app → 接收消息 → 设置API接收. For a passive reply (answered inside the callback within 5 s, so no AI step), use the URL ending in /passive and end the flow with WeCom → Passive Reply → Build.',
				name: 'setupNotice',
				type: 'notice',
				default: '',
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
					maxTimestampAgeOption(
						'Refuse callbacks whose signed timestamp is further than this from this server\'s clock: a captured callback cannot be replayed later. WeCom retries within seconds; the margin is for a server clock a few minutes off (better: keep it synchronised with NTP). 0 turns the check off and lets old callbacks be replayed.',
					),
				],
			},
		],
	};

	methods = {
		credentialTest: { weComCallbackApiTest },
	};

	webhookMethods = CONSOLE_REGISTERED_WEBHOOK_METHODS;

	async webhook(this: IWebhookFunctions): Promise<IWebhookResponseData> {
		const res = this.getResponseObject() as unknown as CallbackResponse;
		refusals.report(refusalSource(this), this.logger);

		const opened = await openRequest(this);
		if (opened instanceof WeComCallbackError) return refuse(this, res, opened.reason, opened.message);
		// URL check: the plaintext echo, no quotes, no newline (doc 90930).
		if (opened.kind === 'urlCheck') return answerNow(res, 200, opened.echo);

		const filter = {
			messageTypes: this.getNodeParameter('messageTypes', []) as string[],
			events: this.getNodeParameter('events', []) as string[],
		};
		if (!passesFilter(opened.message, filter)) return answerNow(res, 200, 'success');

		const verdict = await gateRetries(this, opened, res);
		if (verdict === 'pending') {
			return refuse(
				this,
				res,
				'retryPending',
				'A retry came while n8n was still storing the first delivery, and n8n had not finished within the retry\'s wait (5 s at most): this n8n stores executions more slowly than WeCom sends callbacks.',
			);
		}
		if (verdict === 'duplicate') return answerNow(res, 200, 'success');

		// The "success" goes out through n8n's response path, once n8n has stored the execution (docs/callbacks.md).
		return {
			workflowData: [[{ json: opened.message }]],
			webhookResponse: 'success',
		};
	}
}
