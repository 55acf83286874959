import type { INodeProperties, INodePropertyOptions } from 'n8n-workflow';

import { description as checkFaqFields } from './checkFaq.operation';
import { REGEX_TIME_LIMIT_MS } from './engine/keywordRules';
import { MATCH_TEXT_LIMIT } from './engine/normalize';
import { FAQ_THRESHOLD_V1 } from './engine/faqIndexV1';
import { ITEM_STATE_FIELD, ITEM_STATE_PREFIX } from './engine/itemState';
import { DEFAULT_FAQ_THRESHOLD, ROUTES } from './engine/route';
import { OUTPUTS_BY_OPERATION } from './outputs';
import { semanticMatchingProperty } from './semanticRoute';

/** "A, B or C". */
const either = (words: readonly string[]) => `${words.slice(0, -1).join(', ')} or ${words[words.length - 1]}`;

/** Shown for the given operations only. */
const forOperations = (...operation: string[]) => ({ displayOptions: { show: { operation } } });

/** The operations that read the FAQ fields: Check FAQ tests what Route Message answers. */
const FAQ_OPERATIONS = ['route', 'checkFaq'];

/** Shown for the FAQ operations in the given node versions only (the FAQ score differs between them). */
const forFaqInVersions = (...version: number[]) => ({ displayOptions: { show: { operation: FAQ_OPERATIONS, '@version': version } } });

export const DEFAULT_HAND_OFF_KEYWORDS = '人工, 客服, 转人工, 人工客服, human, agent';
export const DEFAULT_HAND_OFF_REPLY = '正在为您转接人工客服，请稍候。';
export const DEFAULT_OUT_OF_HOURS_REPLY = '您好，现在是非工作时间，我们会在上班后第一时间回复您。';

/** The Operation list. */
export const OPERATIONS: INodePropertyOptions[] = [
	{
		name: 'Check FAQ',
		value: 'checkFaq',
		action: 'Check the FAQ against test messages',
		description: `Show what Route Message would answer from the FAQ for test messages, with what confidence and whether it is right, and suggest a threshold. Results leave by ${OUTPUTS_BY_OPERATION.checkFaq[0]}, the summary by ${OUTPUTS_BY_OPERATION.checkFaq[1]}.`,
	},
	{
		name: 'Hand Off Conversation',
		value: 'handOff',
		action: 'Hand off a conversation to a human',
		description: `Give the conversation to a human (e.g. after the AI step failed): the bot stays silent for the pause. Items leave by the ${OUTPUTS_BY_OPERATION.handOff[0]} output.`,
	},
	{
		name: 'Release Conversation',
		value: 'release',
		action: 'Give a conversation back to the bot',
		description: `End the hand-off pause and the count of unanswered messages, so the bot answers again. Items leave by the ${OUTPUTS_BY_OPERATION.release[0]} output.`,
	},
	{
		name: 'Route Message',
		value: 'route',
		action: 'Route a customer message',
		description: `Send each message to ${either(ROUTES.map(({ label }) => label))}`,
	},
];

/**
 * The fields of a keyword rule, in the order an operator fills them (name first, priority last): n8n's
 * lint sorts five or more literal fields alphabetically, so they stand apart from the collection.
 */
const RULE_FIELDS: INodeProperties[] = [
	{
		displayName: 'Rule Name',
		name: 'name',
		type: 'string',
		default: '',
		placeholder: '价格咨询',
		description: 'Optional; shown in the output (autoReply.rule.name) and in error messages',
	},
	{
		displayName: 'Keywords',
		name: 'keywords',
		type: 'string',
		default: '',
		placeholder: '价格, 多少钱, price',
		description:
			'Separated by commas or new lines. Matching ignores case, full/half width and spaces; English keywords match whole words. For Regex: one regular expression per line.',
	},
	{
		displayName: 'Match Type',
		name: 'matchType',
		type: 'options',
		default: 'contains',
		options: [
			{ name: 'Contains', value: 'contains', description: 'The message contains the keyword' },
			{ name: 'Exact', value: 'exact', description: 'The whole message is the keyword' },
			{
				name: 'Regex',
				value: 'regex',
				description:
					`A regular expression (JavaScript syntax, case-insensitive) finds a match in the message. Back-references such as \\1 are not supported. A rule that takes longer than ${REGEX_TIME_LIMIT_MS} ms on a message is skipped for that message, with a warning on the execution that names the rule, and the message goes on to the other rules and the FAQ.`,
			},
			{ name: 'Starts With', value: 'startsWith', description: 'The message starts with the keyword' },
		],
	},
	{
		displayName: 'Reply',
		name: 'reply',
		type: 'string',
		typeOptions: { rows: 3 },
		default: '',
		description: 'The answer, in autoReply.reply; expressions may use the message item',
	},
	{
		displayName: 'Priority',
		name: 'priority',
		type: 'number',
		default: 0,
		description: 'Higher wins when several rules match',
	},
];

export const properties: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		default: 'route',
		options: OPERATIONS,
	},
	{
		displayName: 'Conversation ID',
		name: 'conversationId',
		type: 'string',
		required: true,
		default:
			"={{ $json.conversationId ?? [$json.open_kfid ?? $json.AgentID ?? 'chat', $json.external_userid ?? $json.FromUserName ?? $json.from].join(':') }}",
		description:
			'What identifies one customer\'s conversation: hand-off pauses and the out-of-hours reply are kept per conversation. The default takes the item\'s conversationId when it has one (the WhatsApp Web Trigger gives the chat, so a reply typed on the phone pauses the same conversation), else fits WeChat Customer Service (open_kfid:external_userid) and WeCom app callbacks (AgentID:FromUserName).',
		displayOptions: { hide: { operation: ['checkFaq'] } },
	},
	{
		displayName: 'Conversation State',
		name: 'conversationState',
		type: 'options',
		noDataExpression: true,
		default: 'process',
		options: [
			{
				name: 'This Process',
				value: 'process',
				description: 'Kept by this node in this n8n process and the workflow\'s data. Right for n8n as one process (the usual setup).',
			},
			{
				name: 'From the Item (Queue Mode)',
				value: 'item',
				description: `For n8n with several workers: Redis Get steps before this node put the state in the item's ${ITEM_STATE_FIELD}, and Redis steps after it write autoReply.stateWrites`,
			},
		],
		description: 'Where hand-off pauses, unanswered counts and out-of-hours marks are kept',
		displayOptions: { hide: { operation: ['checkFaq'] } },
	},
	{
		displayName: `Route Message reads ${ITEM_STATE_FIELD}.pause (and ${ITEM_STATE_FIELD}.unanswered with Hand Off After Unanswered Messages, ${ITEM_STATE_FIELD}.outOfHoursDay with Use Business Hours) from Redis keys ${ITEM_STATE_PREFIX}pause:, ${ITEM_STATE_PREFIX}unanswered:, ${ITEM_STATE_PREFIX}ooh: followed by the Conversation ID. Each output item carries autoReply.stateWrites (Set, Delete, Increment, with key and TTL) for the Redis steps after this node. The queue-mode templates have these steps.`,
		name: 'itemStateNotice',
		type: 'notice',
		default: '',
		displayOptions: { show: { conversationState: ['item'] }, hide: { operation: ['checkFaq'] } },
	},
	...checkFaqFields,
	{
		displayName: 'Message Text',
		name: 'text',
		type: 'string',
		default: "={{ $json.text ?? $json.Content ?? $json.body ?? '' }}",
		description:
			`The customer's message. The default reads "text" (WeChat Customer Service), "Content" (WeCom app callbacks) or "body" (WhatsApp). Hand-off words, keyword rules and the FAQ look at its first ${MATCH_TEXT_LIMIT.toLocaleString('en-US')} characters; the item keeps the whole text.`,
		...forOperations('route'),
	},
	{
		displayName: 'Keyword Rules',
		name: 'keywordRules',
		type: 'fixedCollection',
		placeholder: 'Add Rule',
		default: {},
		typeOptions: { multipleValues: true, sortable: true },
		description:
			'Checked before the FAQ. The rule with the highest priority whose keyword is in the message wins; on equal priority, the first one in this list.',
		...forOperations('route'),
		options: [
			{
				displayName: 'Rule',
				name: 'rule',
				values: RULE_FIELDS,
			},
		],
	},
	{
		displayName: 'FAQ',
		name: 'faq',
		type: 'fixedCollection',
		placeholder: 'Add FAQ Entry',
		default: {},
		typeOptions: { multipleValues: true, sortable: true },
		description: 'Questions and answers; a message close enough to a question gets its answer (FAQ Answer output)',
		...forOperations(...FAQ_OPERATIONS),
		options: [
			{
				displayName: 'Entry',
				name: 'entry',
				values: [
					{
						displayName: 'Question',
						name: 'question',
						type: 'string',
						default: '',
						placeholder: '退款多久能到账？',
					},
					{
						displayName: 'Similar Questions',
						name: 'similarQuestions',
						type: 'string',
						typeOptions: { rows: 3 },
						default: '',
						placeholder: '钱什么时候退回来\nhow long does a refund take',
						description:
							'Other ways customers ask it, one per line: the best way to catch wordings that share no words with the question',
					},
					{
						displayName: 'Answer',
						name: 'answer',
						type: 'string',
						typeOptions: { rows: 3 },
						default: '',
						placeholder: '原路退款，1-3个工作日到账。',
						description: 'What the customer gets, in autoReply.reply',
					},
				],
			},
		],
	},
	{
		displayName: 'FAQ Entries (JSON)',
		name: 'faqEntries',
		type: 'json',
		// An empty list, not '': n8n's JSON editor marks an empty value as invalid JSON.
		default: '[]',
		description:
			'More FAQ entries as data, e.g. mapped from a Data Table or an earlier node: an array of { question, similarQuestions?, answer } such as [{ "question": "发票怎么开？", "answer": "在订单页点「申请发票」。" }], or the same as a JSON string. Added to the entries above.',
		...forOperations(...FAQ_OPERATIONS),
	},
	{
		// Version 1 nodes keep their score (faqIndexV1.ts), so a saved threshold means what it meant.
		displayName: 'FAQ Score Threshold',
		name: 'faqThreshold',
		type: 'number',
		typeOptions: { minValue: 0, maxValue: 1.5, numberPreciseValue: true, numberPrecision: 2 },
		default: FAQ_THRESHOLD_V1,
		description:
			'Lowest score (0 to 1.5; a message that repeats a question scores at least 1) that gets the FAQ answer. Below it the message goes to No Match with the best three entries as candidates. Lower answers more and risks wrong answers. A new Auto Reply node has a better FAQ confidence (0 to 1) and synonyms.',
		...forFaqInVersions(1),
	},
	{
		displayName: 'FAQ Confidence Threshold',
		name: 'faqThreshold',
		type: 'number',
		typeOptions: { minValue: 0, maxValue: 1, numberPreciseValue: true, numberPrecision: 2 },
		default: DEFAULT_FAQ_THRESHOLD,
		description:
			`Lowest confidence (0 to 1; a message that repeats a question scores close to 1) that gets the FAQ answer. Below it the message goes to No Match with the best three entries as candidates. Lower answers more and risks wrong answers; ${DEFAULT_FAQ_THRESHOLD} gave no wrong answer on the package's test sets.`,
		...forFaqInVersions(2),
	},
	{
		displayName: 'Synonyms',
		name: 'faqSynonyms',
		type: 'string',
		typeOptions: { rows: 4 },
		default: '',
		placeholder: '退款 = 退钱 = 退费\nparcel, package, 包裹',
		description:
			'Words your customers use for the same thing, one group per line, separated by = or commas. FAQ matching reads every word of a group as its first word, in entries and messages alike.',
		...forFaqInVersions(2),
	},
	{
		displayName: 'Use Default Synonyms',
		name: 'faqUseDefaultSynonyms',
		type: 'boolean',
		default: true,
		description:
			'Whether FAQ matching also uses the shipped customer-service synonyms in Chinese and English (退款 = 退钱 = refund, 价格 = 多少钱 = how much, …). Your own groups come first.',
		...forFaqInVersions(2),
	},
	semanticMatchingProperty,
	{
		displayName: 'Hand-Off Keywords',
		name: 'handOffKeywords',
		type: 'string',
		default: DEFAULT_HAND_OFF_KEYWORDS,
		description:
			'A message containing one of them (commas separate) goes to Hand-Off, and the conversation stays with a human for the pause. Empty: no hand-off by keyword.',
		...forOperations('route'),
	},
	{
		displayName: 'Hand-Off Reply',
		name: 'handOffReply',
		type: 'string',
		default: DEFAULT_HAND_OFF_REPLY,
		description: 'Text for the customer when the conversation is handed off, in autoReply.reply',
		...forOperations('route', 'handOff'),
	},
	{
		displayName: 'Pause After Hand-Off (Minutes)',
		name: 'pauseMinutes',
		type: 'number',
		typeOptions: { minValue: 0 },
		default: 240,
		description:
			'How long the bot stays silent after a hand-off: the conversation\'s messages go to Silent until then, or until a Release Conversation operation',
		...forOperations('route', 'handOff'),
	},
	{
		displayName: 'Hand Off After Unanswered Messages',
		name: 'handOffAfterMisses',
		type: 'number',
		typeOptions: { minValue: 0 },
		default: 0,
		description:
			'Hand off when this many messages in a row matched no keyword rule and no FAQ entry (WeCom\'s own robot uses 2). 0: never; No Match items then go to the next step (e.g. an AI Agent).',
		...forOperations('route'),
	},
	{
		displayName: 'Use Business Hours',
		name: 'useBusinessHours',
		type: 'boolean',
		default: false,
		description:
			'Whether to answer only during business hours: outside them, the first message of a conversation each day goes to Out of Hours (hand-off words too: nobody is there to take it), later ones to Silent',
		...forOperations('route'),
	},
	{
		displayName: 'Timezone',
		name: 'timezone',
		type: 'string',
		default: '',
		placeholder: 'Asia/Shanghai',
		description: 'IANA time zone of the business hours. Empty: the workflow\'s time zone.',
		displayOptions: { show: { operation: ['route'], useBusinessHours: [true] } },
	},
	{
		displayName: 'Business Days',
		name: 'businessDays',
		type: 'multiOptions',
		default: ['monday', 'tuesday', 'wednesday', 'thursday', 'friday'],
		options: [
			{ name: 'Friday', value: 'friday' },
			{ name: 'Monday', value: 'monday' },
			{ name: 'Saturday', value: 'saturday' },
			{ name: 'Sunday', value: 'sunday' },
			{ name: 'Thursday', value: 'thursday' },
			{ name: 'Tuesday', value: 'tuesday' },
			{ name: 'Wednesday', value: 'wednesday' },
		],
		displayOptions: { show: { operation: ['route'], useBusinessHours: [true] } },
	},
	{
		displayName: 'Open From',
		name: 'openFrom',
		type: 'string',
		default: '09:00',
		placeholder: '09:00',
		description: 'Local time the business hours start, HH:mm',
		displayOptions: { show: { operation: ['route'], useBusinessHours: [true] } },
	},
	{
		displayName: 'Open Until',
		name: 'openUntil',
		type: 'string',
		default: '18:00',
		placeholder: '18:00',
		description:
			'Local time they end, HH:mm. Earlier than Open From: overnight (e.g. 20:00 to 02:00, counted to the day it starts). The same as Open From: all day.',
		displayOptions: { show: { operation: ['route'], useBusinessHours: [true] } },
	},
	{
		displayName: 'Out-of-Hours Reply',
		name: 'outOfHoursReply',
		type: 'string',
		typeOptions: { rows: 2 },
		default: DEFAULT_OUT_OF_HOURS_REPLY,
		description: 'Text for the customer outside business hours, sent once per conversation per local day',
		displayOptions: { show: { operation: ['route'], useBusinessHours: [true] } },
	},
	{
		displayName: 'Reply Length Limit',
		name: 'replyLimit',
		type: 'options',
		default: 'weCom',
		description:
			'Longer replies are cut at a character boundary (autoReply.truncated is then true) so the channel does not reject or cut them itself',
		options: [
			{ name: 'None', value: 'none' },
			{ name: 'WeCom: 2048 Bytes', value: 'weCom', description: 'WeCom app and WeChat Customer Service text, UTF-8 bytes' },
			{
				name: 'WhatsApp: 4096 Characters',
				value: 'whatsApp',
				description: 'Counted as UTF-16 code units (an emoji counts 2), so never more than WhatsApp counts',
			},
		],
		...forOperations('route', 'handOff'),
	},
];
