import type {
	INodeType,
	INodeTypeDescription,
	IWebhookFunctions,
	IWebhookResponseData,
} from 'n8n-workflow';
import { NodeConnectionTypes, NodeOperationError, sleep } from 'n8n-workflow';

import { WeComCallbackError, type WeComCallbackErrorReason } from '../WeCom/callback/crypto';
import { callbackDedupeKey, weComRetryGate } from '../WeCom/callback/dedupe';
import {
	callbackSecretsFrom,
	DEFAULT_MAX_TIMESTAMP_AGE_SECONDS,
	maxTimestampAgeOption,
	mayNeedFreshSecrets,
} from '../WeCom/callback/open';
import { RefusalLog, refusalAnswer, type RefusalReason } from '../WeCom/callback/refusals';
import {
	answerNow,
	type CallbackResponse,
	CONSOLE_REGISTERED_WEBHOOK_METHODS,
	PLAIN_TEXT_RESPONSE,
	rawBodyOf,
	refusalSource,
} from '../common/callbackWebhook';
import { SecretsCache } from '../common/secretsCache';
import { weChatMiniProgramPushApiTest } from './trigger/credentialTest';
import { OTHER_EVENTS, pushItems } from './trigger/events';
import { openPush, readPush, type OpenedPush, type OpenedPushCheck, type PushSecrets } from './trigger/push';

// What the trigger keeps in memory between requests, per n8n process (docs/miniprogram-push.md). WeChat retries
// a push it got no answer for within 5 seconds, 3 times, as WeCom does: the same retry memory fits.
const retryGate = weComRetryGate(sleep);
const refusals = new RefusalLog(60_000, 1_000, Date.now, 'WeChat Mini Program Trigger');
/** Credential values for 5 minutes; a refused push may reload them, at most every 10 seconds. */
const pushSecrets = new SecretsCache<PushSecrets>(5 * 60 * 1000, 10 * 1000);

/**
 * What n8n's log says per refusal reason. The crypto's own texts name WeCom's console and credential; these name
 * the mini-program's. Reasons missing here keep the crypto's text (it carries figures, e.g. the timestamp's age).
 */
const REFUSAL_DETAIL: Partial<Record<WeComCallbackErrorReason, string>> = {
	invalidSignature:
		'The signature does not match: check that the Token in the WeChat Mini Program Message Push credential is the one in the push settings (消息推送).',
	invalidAesKey:
		'The EncodingAESKey must be exactly 43 letters and digits: copy it again from the push settings (消息推送) into the credential.',
	invalidPadding:
		'Decryption produced invalid padding: the EncodingAESKey in the credential is probably not the one in the push settings (消息推送).',
	invalidLength:
		'The decrypted push has an impossible length: it was corrupted, or the EncodingAESKey in the credential is not the one in the push settings (消息推送).',
	receiveIdMismatch:
		"The push was encrypted for another mini-program: the App ID in the credential differs from the App ID inside the push.",
	malformedXml: 'The push, or what it decrypted to, is not well-formed XML or JSON of the kind WeChat sends.',
	notAnEcho:
		'A URL check\'s echostr is not a short token of letters and digits as WeChat sends: the request did not come from WeChat as sent.',
};

const EVENT_OPTIONS = [
	{
		name: 'Subscribe Message Popup',
		value: 'subscribe_msg_popup_event',
		description: 'The user accepted or rejected templates in wx.requestSubscribeMessage: one item per template',
	},
	{
		name: 'Subscription Changed',
		value: 'subscribe_msg_change_event',
		description: 'The user changed a template\'s setting in the mini-program\'s settings: one item per template',
	},
	{
		name: 'Subscribe Message Sent',
		value: 'subscribe_msg_sent_event',
		description: 'The result of a subscribe message sent to the user: one item per template',
	},
	{
		name: 'All Other Events',
		value: OTHER_EVENTS,
		description: 'Any other message or event (e.g. customer service messages), as one item with its fields',
	},
];

interface TriggerOptions {
	allowPlainMode?: boolean;
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
			message: 'The WeChat Mini Program Trigger could not read this push',
		});
	}
}

/** Open: from the request to a verified URL-check echo or message, or the reason to refuse it. */
async function openRequest(context: IWebhookFunctions): Promise<OpenedPushCheck | OpenedPush | WeComCallbackError> {
	const kind = context.getWebhookName() === 'setup' ? 'urlCheck' : 'message';
	const body = kind === 'message' ? await rawBodyOf(context) : undefined;
	const envelope = refusalOr(context, () => readPush(kind, context.getQueryData() as Record<string, unknown>, body));
	if (envelope instanceof WeComCallbackError) return envelope;
	const options = triggerOptions(context);
	const maxTimestampAgeSeconds = options.maxClockSkewSeconds ?? DEFAULT_MAX_TIMESTAMP_AGE_SECONDS;
	return await pushSecrets.useWithReload(
		context.getNode().credentials?.weChatMiniProgramPushApi?.id ?? '',
		async () => {
			const credential = await context.getCredentials('weChatMiniProgramPushApi');
			// The App ID is the receive ID at the end of every decrypted push.
			return callbackSecretsFrom({ ...credential, corpId: credential.appId });
		},
		(secrets) =>
			refusalOr(context, () =>
				openPush(envelope, { ...secrets, allowPlainMode: options.allowPlainMode === true }, { maxTimestampAgeSeconds }),
			),
		(result) => result instanceof WeComCallbackError && mayNeedFreshSecrets(result),
	);
}

/** Answer a refusal: the status line's own words to the caller, the reason to n8n's log and the refusal counts. */
function refuse(context: IWebhookFunctions, res: CallbackResponse, reason: RefusalReason, detail: string): IWebhookResponseData {
	refusals.record(refusalSource(context), reason, detail, context.logger);
	const { status, text } = refusalAnswer(reason);
	return answerNow(res, status, text);
}

export class WeChatMiniProgramTrigger implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'WeChat Mini Program Trigger',
		name: 'weChatMiniProgramTrigger',
		icon: { light: 'file:weChatMiniProgram.svg', dark: 'file:weChatMiniProgram.dark.svg' },
		group: ['trigger'],
		// 1.1, as the WeCom Trigger: version-1 webhook nodes cost one more expression per request.
		version: 1.1,
		subtitle: '={{"Push: " + ($parameter["events"] || []).join(", ")}}',
		description:
			'Starts the workflow when WeChat pushes a mini-program event (消息推送), such as a user accepting a subscribe message template',
		defaults: {
			name: 'WeChat Mini Program Trigger',
		},
		inputs: [],
		outputs: [NodeConnectionTypes.Main],
		credentials: [
			{
				name: 'weChatMiniProgramPushApi',
				required: true,
				testedBy: 'weChatMiniProgramPushApiTest',
			},
		],
		// Constant values only: n8n evaluates expressions in webhook descriptions on every request.
		webhooks: [
			{
				// WeChat checks the URL with a GET when the push settings are submitted, and wants echostr back.
				name: 'setup',
				httpMethod: 'GET',
				responseMode: 'onReceived',
				responseData: '',
				path: 'webhook',
			},
			{
				// "success" goes out through n8n's own path, once n8n has stored the execution (docs/callbacks.md).
				name: 'default',
				httpMethod: 'POST',
				responseMode: 'onReceived',
				responseData: '',
				path: 'webhook',
				...PLAIN_TEXT_RESPONSE,
			},
		],
		properties: [
			{
				displayName: 'Events',
				name: 'events',
				type: 'multiOptions',
				options: EVENT_OPTIONS,
				default: ['subscribe_msg_popup_event', 'subscribe_msg_change_event', 'subscribe_msg_sent_event'],
				required: true,
				description: 'Which pushes start the workflow. Others are acknowledged to WeChat and dropped.',
			},
			{
				displayName:
					'Publish, then paste the Production URL into the mini-program admin console (开发 → 开发管理 → 消息推送) with 安全模式 and either data format. Each subscribe event gives one item per template, with openid, templateId, status (accept / reject, or the send result), event and createTime.',
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
						displayName: 'Accept Plain-Mode Pushes',
						name: 'allowPlainMode',
						type: 'boolean',
						default: false,
						description:
							'Whether pushes in 明文模式 (not encrypted) start the workflow. WeChat signs only their timestamp and nonce, not their content, so anyone who sees one request can send forged events for a few minutes. Keep this off and choose 安全模式.',
					},
					{
						displayName: 'Deduplicate Retries',
						name: 'deduplicate',
						type: 'boolean',
						default: true,
						description:
							'Whether a push that WeChat sends again (it retries up to 3 times when an answer takes over 5 seconds) starts no second execution, so acceptances are not counted twice',
					},
					maxTimestampAgeOption(
						'Refuse pushes whose signed timestamp is further than this from this server\'s clock, so a captured push cannot be replayed later. 0 turns the check off.',
					),
				],
			},
		],
	};

	methods = {
		credentialTest: { weChatMiniProgramPushApiTest },
	};

	webhookMethods = CONSOLE_REGISTERED_WEBHOOK_METHODS;

	async webhook(this: IWebhookFunctions): Promise<IWebhookResponseData> {
		const res = this.getResponseObject() as unknown as CallbackResponse;
		refusals.report(refusalSource(this), this.logger);

		const opened = await openRequest(this);
		if (opened instanceof WeComCallbackError) {
			return refuse(this, res, opened.reason, REFUSAL_DETAIL[opened.reason] ?? opened.message);
		}
		// URL check: echostr as it came, no quotes, no line break.
		if (opened.kind === 'urlCheck') return answerNow(res, 200, opened.echo);

		const items = pushItems(opened.message, this.getNodeParameter('events', []) as string[]);
		if (items.length === 0) return answerNow(res, 200, 'success');

		if (triggerOptions(this).deduplicate !== false) {
			const key = `${this.getWorkflow().id}:${this.getNode().id}:${callbackDedupeKey(opened.message, opened.plaintext)}`;
			const verdict = await retryGate.admitRetry(key, res);
			if (verdict === 'pending') {
				return refuse(
					this,
					res,
					'retryPending',
					'A retry came while n8n was still storing the first delivery, and n8n had not finished within the retry\'s wait (5 s at most).',
				);
			}
			if (verdict === 'duplicate') return answerNow(res, 200, 'success');
		}

		return {
			workflowData: [items.map((json) => ({ json: { ...json } }))],
			webhookResponse: 'success',
		};
	}
}
