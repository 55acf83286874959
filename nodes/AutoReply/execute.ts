import type { IDataObject, IExecuteFunctions, INodeExecutionData, NodeExecutionHint } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { TEXT_LIMITS } from '../common/channels';
import { failedItem, reportFailedItems } from '../common/failedItem';
import { openWorkflowState, type WorkflowState } from '../common/workflowState';
import { fitToLimit, type TextLimit } from '../common/text';
import { isValidTimezone, parseTimeOfDay, WEEKDAYS, type BusinessHours, type Weekday } from './engine/businessHours';
import { parseFaqEntries } from './engine/faqEntries';
import { splitLines } from './engine/normalize';
import { FaqIndex, getFaqIndex, type FaqCandidate, type FaqEntry, type FaqIndexOptions } from './engine/faqIndex';
import { FAQ_THRESHOLD_V1, FaqIndexV1, getFaqIndexV1 } from './engine/faqIndexV1';
import { parseSynonymGroups } from './engine/synonyms';
import {
	getCompiledRules,
	quotePattern,
	REGEX_TIME_LIMIT_MS,
	type CompiledRules,
	type KeywordRuleSpec,
	type MatchType,
	type SkippedRule,
} from './engine/keywordRules';
import { DEFAULT_FAQ_THRESHOLD, handOff, release, ROUTES, type Route, type RouteInput } from './engine/route';
import { execute as checkFaq, type FaqSettings } from './checkFaq.operation';
import { OUTPUTS_BY_OPERATION, type Operation } from './outputs';
import { addSemanticFields, routeWithEmbeddings } from './semanticRoute';
import {
	emptyState,
	KINDS,
	MAX_CONVERSATIONS,
	MAX_PAUSED_CONVERSATIONS,
	pausedUntil,
	reviveState,
	snapshotState,
	STATE_NAMESPACE,
	type AutoReplyState,
	type ConversationState,
	type Evicted,
} from './engine/state';
import {
	handOffWrites,
	ITEM_STATE_FIELD,
	ITEM_STATE_PREFIX,
	readItemState,
	releaseWrites,
	stateWrites,
	type StatePart,
	type StateWrite,
} from './engine/itemState';

/** By the value of Reply Length Limit. */
const LIMITS: Record<string, TextLimit | undefined> = { none: undefined, ...TEXT_LIMITS };

/** The output of Route Message each route leaves by. */
const OUTPUT = Object.fromEntries(ROUTES.map(({ route }, index) => [route, index])) as Record<Route, number>;

interface RuleParameter {
	name?: string;
	keywords?: string;
	matchType?: MatchType;
	reply?: string;
	priority?: number;
}

/**
 * What one execution of the node keeps between its items. Keyword rules and FAQ entries without
 * expressions are the same for every item: resolving and hashing them per item cost about 6 ms per
 * item at 10,000 rules (bench/README.md), so they are read once. Rules or entries that use
 * expressions are still read per item.
 */
type ExecutionMemo = Map<string, unknown>;

/** Whether a parameter as stored in the workflow holds no expression anywhere inside. */
function holdsNoExpression(value: unknown): boolean {
	if (typeof value === 'string') return !value.startsWith('=');
	if (Array.isArray(value)) return value.every(holdsNoExpression);
	if (typeof value === 'object' && value !== null) return Object.values(value).every(holdsNoExpression);
	return true;
}

/** `compute` once per execution when `constant`, else for every item. */
function once<T>(memo: ExecutionMemo, key: string, constant: boolean, compute: () => T): T {
	if (!constant) return compute();
	if (!memo.has(key)) memo.set(key, compute());
	return memo.get(key) as T;
}

/** A failure of one item, as the person will read it. */
function fail(context: IExecuteFunctions, itemIndex: number, message: string, description: string): NodeOperationError {
	return new NodeOperationError(context.getNode(), message, { itemIndex, description });
}

function conversationIdOf(context: IExecuteFunctions, itemIndex: number): string {
	const value = context.getNodeParameter('conversationId', itemIndex, '') as unknown;
	const id = value === undefined || value === null ? '' : String(value).trim();
	// The default expression joins missing fields to "chat:" or ":": no customer to key on.
	if (id === '' || /^[^:]*:$/.test(id) || id === ':') {
		throw fail(
			context,
			itemIndex,
			'The Conversation ID is empty',
			'Set Conversation ID to an expression that identifies the customer, e.g. {{ $json.open_kfid + ":" + $json.external_userid }}; the default did not find open_kfid/AgentID and external_userid/FromUserName/from in this item.',
		);
	}
	return id;
}

/** Whether matching (keywords, match types, priorities) is the same for every item; replies may differ. */
function matchingIsConstant(context: IExecuteFunctions): boolean {
	const stored = (context.getNode().parameters.keywordRules as IDataObject | undefined)?.rule;
	if (!Array.isArray(stored)) return holdsNoExpression(stored);
	return stored.every((rule: IDataObject) =>
		[rule.keywords, rule.matchType, rule.priority].every(holdsNoExpression),
	);
}

function keywordRulesOf(
	context: IExecuteFunctions,
	itemIndex: number,
	memo: ExecutionMemo,
): { rules?: CompiledRules; params: RuleParameter[]; constant: boolean } {
	const constant = matchingIsConstant(context);
	const read = once(memo, 'keywordRules', constant, () => {
		const params = context.getNodeParameter('keywordRules.rule', itemIndex, []) as RuleParameter[];
		if (params.length === 0) return { params };
		const specs: KeywordRuleSpec[] = params.map((rule) => ({
			keywords: String(rule.keywords ?? ''),
			matchType: rule.matchType ?? 'contains',
			priority: Number(rule.priority ?? 0),
		}));
		return { params, compiled: getCompiledRules(specs) };
	});
	const { params, compiled } = read as { params: RuleParameter[]; compiled?: ReturnType<typeof getCompiledRules> };
	if (!compiled) return { params, constant };
	if (!compiled.ok) {
		const { ruleIndex, field, message } = compiled.problem;
		const name = params[ruleIndex].name ? ` "${params[ruleIndex].name}"` : '';
		throw fail(
			context,
			itemIndex,
			`Keyword rule ${ruleIndex + 1}${name}: ${message}`,
			field === 'keywords'
				? `Fix the Keywords of rule ${ruleIndex + 1} in Keyword Rules (commas or new lines separate keywords; for Regex, one expression per line).`
				: `Pick a Match Type for rule ${ruleIndex + 1}: Contains, Exact, Starts With or Regex.`,
		);
	}
	return { rules: compiled.rules, params, constant };
}

/** The reply of rule `ruleIndex` for this item (replies may be expressions of the item). */
function ruleReply(
	context: IExecuteFunctions,
	itemIndex: number,
	ruleIndex: number,
	read: { params: RuleParameter[]; constant: boolean },
): string {
	if (!read.constant) return String(read.params[ruleIndex].reply ?? '');
	return String(context.getNodeParameter(`keywordRules.rule[${ruleIndex}].reply`, itemIndex, '') ?? '');
}

/** Regex rules that ran into their limit in this execution: rule index → what the hint says. */
type SkippedRules = Map<number, { name?: string; keyword: string; messages: number }>;

function skippedRulesOf(memo: ExecutionMemo): SkippedRules {
	if (!memo.has('skippedRules')) memo.set('skippedRules', new Map());
	return memo.get('skippedRules') as SkippedRules;
}

/** `rules`, telling `skipped` which regex rule was passed over for a message. */
function reportingSkips(rules: CompiledRules, params: RuleParameter[], skipped: SkippedRules): CompiledRules {
	const note = ({ ruleIndex, keyword }: SkippedRule) => {
		const seen = skipped.get(ruleIndex) ?? { name: params[ruleIndex]?.name, keyword, messages: 0 };
		seen.messages++;
		skipped.set(ruleIndex, seen);
	};
	return { ...rules, match: (text) => rules.match(text, note) };
}

/** One hint per skipped rule, shown with the node's output in the editor and kept with the execution. */
function skippedRuleHints(skipped: SkippedRules): NodeExecutionHint[] {
	return [...skipped].map(([ruleIndex, { name, keyword, messages }]) => ({
		type: 'warning',
		location: 'outputPane',
		message:
			`Keyword rule ${ruleIndex + 1}${name ? ` "${name}"` : ''} was skipped for ${messages} message${messages === 1 ? '' : 's'}: ` +
			`its regular expression ${quotePattern(keyword)} ran past the ${REGEX_TIME_LIMIT_MS} ms limit, and ${messages === 1 ? 'that message' : 'those messages'} went on to the other rules, the FAQ and No Match. ` +
			'Make the expression shorter or its repetition counts smaller ({1000} repeats its part 1000 times).',
	}));
}

function handOffWordsOf(context: IExecuteFunctions, itemIndex: number): CompiledRules | undefined {
	const words = String(context.getNodeParameter('handOffKeywords', itemIndex, '') ?? '');
	if (words.trim() === '') return undefined;
	const compiled = getCompiledRules([{ keywords: words, matchType: 'contains', priority: 0 }]);
	if (!compiled.ok) {
		throw fail(context, itemIndex, `Hand-Off Keywords: ${compiled.problem.message}`, 'Separate the hand-off keywords with commas.');
	}
	return compiled.rules;
}

type FaqSearch = RouteInput['faq'];

/** Version 1 nodes keep the FAQ score and threshold they were saved with (faqIndexV1.ts). */
function usesFaqV1(context: IExecuteFunctions): boolean {
	return context.getNode().typeVersion === 1;
}

function faqThresholdOf(context: IExecuteFunctions, itemIndex: number): number {
	const fallback = usesFaqV1(context) ? FAQ_THRESHOLD_V1 : DEFAULT_FAQ_THRESHOLD;
	return Number(context.getNodeParameter('faqThreshold', itemIndex, fallback));
}

function faqOf(context: IExecuteFunctions, itemIndex: number, memo: ExecutionMemo): FaqSearch {
	const { parameters } = context.getNode();
	const constant =
		holdsNoExpression(parameters.faq) && holdsNoExpression(parameters.faqEntries) && holdsNoExpression(parameters.faqSynonyms);
	return once(memo, 'faq', constant, () => buildFaq(context, itemIndex));
}

function buildFaq(context: IExecuteFunctions, itemIndex: number): FaqSearch {
	const { entries, build } = faqSettingsOf(context, itemIndex);
	return entries.length > 0 ? build(entries, true) : undefined;
}

/**
 * The FAQ as Route Message and Check FAQ read it: the FAQ and FAQ Entries (JSON) fields as one list of
 * entries, and how this node's version builds an index of entries (cached, or a one-off for Check FAQ's
 * held-out builds, which would only crowd the cache).
 */
function faqSettingsOf(context: IExecuteFunctions, itemIndex: number): FaqSettings {
	const inNode = context.getNodeParameter('faq.entry', itemIndex, []) as Array<{
		question?: string;
		similarQuestions?: string;
		answer?: string;
	}>;
	const entries: FaqEntry[] = [];
	for (let index = 0; index < inNode.length; index++) {
		const entry = inNode[index];
		const question = String(entry.question ?? '').trim();
		const answer = String(entry.answer ?? '');
		if (question === '' || answer.trim() === '') {
			throw fail(
				context,
				itemIndex,
				`FAQ entry ${index + 1}: the ${question === '' ? 'Question' : 'Answer'} is empty`,
				'Fill in both the Question and the Answer of every FAQ entry, or remove the entry.',
			);
		}
		entries.push({ question, similarQuestions: splitLines(String(entry.similarQuestions ?? '')), answer });
	}
	const parsed = parseFaqEntries(context.getNodeParameter('faqEntries', itemIndex, '') as unknown);
	if (!parsed.ok) {
		const { index, field, message } = parsed.problem;
		throw fail(
			context,
			itemIndex,
			index < 0 ? `FAQ Entries (JSON) ${message}` : `FAQ Entries (JSON), entry ${index}: "${field}" ${message}`,
			'FAQ Entries (JSON) takes an array of { "question": "…", "similarQuestions": ["…"], "answer": "…" } (entries counted from 0), or the same as a JSON string.',
		);
	}
	entries.push(...parsed.entries);
	if (usesFaqV1(context)) return { entries, build: (list, cached) => (cached ? getFaqIndexV1(list) : new FaqIndexV1(list)) };
	const options = synonymOptionsOf(context, itemIndex);
	return { entries, build: (list, cached) => (cached ? getFaqIndex(list, options) : new FaqIndex(list, options)) };
}

/** The Synonyms and Use Default Synonyms parameters, as index options. */
function synonymOptionsOf(context: IExecuteFunctions, itemIndex: number): FaqIndexOptions {
	return {
		synonyms: parseSynonymGroups(String(context.getNodeParameter('faqSynonyms', itemIndex, '') ?? '')),
		useDefaultSynonyms: context.getNodeParameter('faqUseDefaultSynonyms', itemIndex, true) as boolean,
	};
}

function businessHoursOf(context: IExecuteFunctions, itemIndex: number): BusinessHours | undefined {
	if (!(context.getNodeParameter('useBusinessHours', itemIndex, false) as boolean)) return undefined;
	const timezone = String(context.getNodeParameter('timezone', itemIndex, '') ?? '').trim() || context.getTimezone();
	if (!isValidTimezone(timezone)) {
		throw fail(context, itemIndex, `Unknown time zone "${timezone}"`, 'Set Timezone to an IANA name such as Asia/Shanghai, or leave it empty for the workflow\'s time zone.');
	}
	const times = (['openFrom', 'openUntil'] as const).map((name) => {
		const value = String(context.getNodeParameter(name, itemIndex, '') ?? '');
		const minutes = parseTimeOfDay(value);
		if (minutes === undefined) {
			const label = name === 'openFrom' ? 'Open From' : 'Open Until';
			throw fail(context, itemIndex, `${label} "${value}" is not a time of day`, `Write ${label} as HH:mm, e.g. 09:00 or 18:30.`);
		}
		return minutes;
	});
	const days = (context.getNodeParameter('businessDays', itemIndex, []) as string[]).filter((day): day is Weekday =>
		WEEKDAYS.includes(day as Weekday),
	);
	return { timezone, days, from: times[0], to: times[1] };
}

function candidateJson(candidate: FaqCandidate): IDataObject {
	return { question: candidate.question, answer: candidate.answer, score: Math.round(candidate.score * 1000) / 1000 };
}

/**
 * Where the conversations are (Conversation State): this process's copy of the workflow's static data,
 * with what this execution's writes evicted that still mattered; or nothing kept at all, the state
 * coming with each item and the writes going out with it (engine/itemState.ts).
 */
type Conversations =
	| { fromItem: false; state: WorkflowState<AutoReplyState>; evicted: Evicted }
	| { fromItem: true; earlier: Map<string, EarlierInRun> };

/**
 * From the item: what an earlier item of this run decided for the same conversation, and the state that
 * item carried. Items of one conversation in one run (a kf pull brings a customer's messages together)
 * were read from Redis at the same moment, before any of their writes ran: a later one that carries the
 * same state as an earlier one must see what that one decided ("人工" then a question: the question stays
 * with the human). An item that carries other state was read at another time and is taken as it says.
 */
interface EarlierInRun {
	carried: string;
	after: ConversationState | undefined;
}

function openConversations(context: IExecuteFunctions): Conversations {
	if (context.getNodeParameter('conversationState', 0, 'process') === 'item') return { fromItem: true, earlier: new Map() };
	return {
		fromItem: false,
		state: openWorkflowState<AutoReplyState>(context, STATE_NAMESPACE, emptyState, reviveState, snapshotState),
		evicted: { outOfHours: 0, misses: 0, paused: 0 },
	};
}

/**
 * The conversation as it stands. From the item, `needed` are the parts this routing reads: a part the
 * item lacks means a Redis Get step is missing, and the item fails rather than being taken as "not paused".
 */
function conversationOf(
	context: IExecuteFunctions,
	itemIndex: number,
	conversations: Conversations,
	conversationId: string,
	now: number,
	needed: readonly StatePart[] = [],
): ConversationState | undefined {
	if (!conversations.fromItem) return conversations.state.read().get(conversationId, now);
	const carried = context.getInputData()[itemIndex].json[ITEM_STATE_FIELD];
	const read = readItemState(carried, now, needed);
	if (!read.ok) {
		throw fail(
			context,
			itemIndex,
			`Conversation State is From the Item, but ${read.problem}`,
			`Put a Redis Get step before this node for each part, with Property Name ${ITEM_STATE_FIELD}.pause (key ${ITEM_STATE_PREFIX}pause:<Conversation ID>), ${ITEM_STATE_FIELD}.unanswered (${ITEM_STATE_PREFIX}unanswered:…, with Hand Off After Unanswered Messages) or ${ITEM_STATE_FIELD}.outOfHoursDay (${ITEM_STATE_PREFIX}ooh:…, with Use Business Hours), or set Conversation State to This n8n Process.`,
		);
	}
	const earlier = conversations.earlier.get(conversationId);
	return earlier !== undefined && earlier.carried === carriedKey(carried) ? earlier.after : read.conversation;
}

const carriedKey = (carried: unknown) => JSON.stringify(carried ?? null);

/** From the item: keeps what this item decided for later items of the run that carry the same state. */
function remember(
	context: IExecuteFunctions,
	itemIndex: number,
	conversations: Conversations,
	conversationId: string,
	after: ConversationState | undefined,
): void {
	if (!conversations.fromItem) return;
	const carried = carriedKey(context.getInputData()[itemIndex].json[ITEM_STATE_FIELD]);
	conversations.earlier.set(conversationId, { carried, after });
}

/**
 * Saves the conversation's new state when there is one; from the item, returns the writes that do it
 * for the steps after the node (an empty list when nothing changed, so they always find the field).
 */
function save(
	conversations: Conversations,
	conversationId: string,
	before: ConversationState | undefined,
	next: ConversationState | undefined,
	now: number,
): StateWrite[] | undefined {
	if (conversations.fromItem) return stateWrites(conversationId, before, next, now);
	if (!next) return undefined;
	conversations.state.update((draft) => {
		const evicted = draft.set(conversationId, next, now);
		for (const kind of KINDS) conversations.evicted[kind] += evicted[kind];
	});
	return undefined;
}

/**
 * Says (warning on the output, n8n's log) when the caps made the node forget something that still
 * mattered: operators must know when a customer may be answered while with a human.
 */
function reportEvicted(context: IExecuteFunctions, conversations: Conversations): void {
	if (conversations.fromItem) return;
	const { evicted } = conversations;
	if (evicted.paused > 0) {
		const message = `AutoReply forgot the hand-off pause of ${evicted.paused} conversation(s): more than ${MAX_PAUSED_CONVERSATIONS} conversations are with a human at once, and the bot may answer them again. Release conversations when agents close them, or shorten Pause Minutes.`;
		context.addExecutionHints({ message, type: 'warning', location: 'outputPane' });
		context.logger.warn(message, { workflowId: context.getWorkflow().id });
	}
	if (evicted.outOfHours + evicted.misses > 0) {
		const message = `AutoReply keeps at most ${MAX_CONVERSATIONS} conversations and forgot the oldest: ${evicted.outOfHours} out-of-hours mark(s) (those customers may get the out-of-hours reply again today) and ${evicted.misses} unanswered count(s) (handed to a human a few messages later).`;
		context.addExecutionHints({ message, type: 'info', location: 'outputPane' });
		context.logger.info(message, { workflowId: context.getWorkflow().id });
	}
}

interface Routed {
	output: number;
	autoReply: IDataObject;
}

function replyFields(context: IExecuteFunctions, itemIndex: number, reply: string): IDataObject {
	const limit = LIMITS[String(context.getNodeParameter('replyLimit', itemIndex, 'weCom'))];
	const fitted = fitToLimit(reply, limit);
	return fitted.truncated ? { reply: fitted.text, truncated: true } : { reply: fitted.text };
}

async function routeItem(
	context: IExecuteFunctions,
	itemIndex: number,
	state: Conversations,
	memo: ExecutionMemo,
): Promise<Routed> {
	const conversationId = conversationIdOf(context, itemIndex);
	const text = String(context.getNodeParameter('text', itemIndex, '') ?? '');
	const keywordRules = keywordRulesOf(context, itemIndex, memo);
	const { rules, params } = keywordRules;
	const now = Date.now();
	const businessHours = businessHoursOf(context, itemIndex);
	const handOffAfterMisses = Number(context.getNodeParameter('handOffAfterMisses', itemIndex, 0));
	const needed: StatePart[] = ['pause'];
	if (handOffAfterMisses > 0) needed.push('unanswered');
	if (businessHours) needed.push('outOfHoursDay');
	const conversation = conversationOf(context, itemIndex, state, conversationId, now, needed);
	const routed = await routeWithEmbeddings(context, itemIndex, memo, {
		text,
		now,
		conversation,
		handOffWords: handOffWordsOf(context, itemIndex),
		pauseMinutes: Number(context.getNodeParameter('pauseMinutes', itemIndex, 240)),
		businessHours,
		keywordRules: rules && reportingSkips(rules, params, skippedRulesOf(memo)),
		faq: faqOf(context, itemIndex, memo),
		faqThreshold: faqThresholdOf(context, itemIndex),
		handOffAfterMisses,
	});
	const { decision } = routed;
	// The writes are what changed from `conversation`, which for a later item of the run is what the
	// earlier one decided: the store gets each change once.
	const writes = save(state, conversationId, conversation, decision.conversation, now);
	remember(context, itemIndex, state, conversationId, decision.conversation ?? conversation);

	const autoReply: IDataObject = { route: decision.route };
	switch (decision.route) {
		case 'keyword': {
			const hit = decision.keywordHit!;
			const rule = params[hit.ruleIndex];
			Object.assign(autoReply, replyFields(context, itemIndex, ruleReply(context, itemIndex, hit.ruleIndex, keywordRules)));
			autoReply.rule = {
				...(rule.name ? { name: rule.name } : {}),
				index: hit.ruleIndex,
				keyword: hit.keyword,
				matchType: hit.matchType,
			};
			break;
		}
		case 'faq':
			Object.assign(autoReply, replyFields(context, itemIndex, decision.faq!.answer));
			autoReply.faq = candidateJson(decision.faq!);
			autoReply.candidates = decision.candidates!.map(candidateJson);
			break;
		case 'handoff':
			Object.assign(autoReply, replyFields(context, itemIndex, String(context.getNodeParameter('handOffReply', itemIndex, ''))));
			autoReply.reason = decision.reason;
			if (decision.keywordHit) autoReply.handOffKeyword = decision.keywordHit.keyword;
			if (decision.candidates) autoReply.candidates = decision.candidates.map(candidateJson);
			autoReply.pausedUntil = new Date(decision.pausedUntil!).toISOString();
			break;
		case 'noMatch':
			autoReply.candidates = (decision.candidates ?? []).map(candidateJson);
			break;
		case 'outOfHours':
			Object.assign(autoReply, replyFields(context, itemIndex, String(context.getNodeParameter('outOfHoursReply', itemIndex, ''))));
			break;
		case 'silent':
			autoReply.reason = decision.reason;
			if (decision.pausedUntil !== undefined) autoReply.pausedUntil = new Date(decision.pausedUntil).toISOString();
			break;
	}
	addSemanticFields(autoReply, routed);
	autoReply.conversationId = conversationId;
	if (writes) autoReply.stateWrites = writes;
	return { output: OUTPUT[decision.route], autoReply };
}

function handOffItem(context: IExecuteFunctions, itemIndex: number, state: Conversations): Routed {
	const conversationId = conversationIdOf(context, itemIndex);
	const now = Date.now();
	const pauseMinutes = Number(context.getNodeParameter('pauseMinutes', itemIndex, 240));
	const next = handOff(conversationOf(context, itemIndex, state, conversationId, now), now, pauseMinutes);
	// From the item the pause is written whatever the item says: an agent's flow need not read it first.
	const writes = state.fromItem ? handOffWrites(conversationId, next.pausedUntil!, now) : save(state, conversationId, undefined, next, now);
	return {
		output: 0,
		autoReply: {
			route: 'handoff',
			...replyFields(context, itemIndex, String(context.getNodeParameter('handOffReply', itemIndex, ''))),
			reason: 'operation',
			pausedUntil: new Date(next.pausedUntil!).toISOString(),
			conversationId,
			...(writes ? { stateWrites: writes } : {}),
		},
	};
}

function releaseItem(context: IExecuteFunctions, itemIndex: number, state: Conversations): Routed {
	const conversationId = conversationIdOf(context, itemIndex);
	const now = Date.now();
	const conversation = conversationOf(context, itemIndex, state, conversationId, now);
	const wasPaused = pausedUntil(conversation, now) !== undefined;
	if (state.fromItem) {
		// Known only when a Get step read the pause; the Delete is written either way.
		const known = Object.hasOwn((context.getInputData()[itemIndex].json[ITEM_STATE_FIELD] as IDataObject | undefined) ?? {}, 'pause');
		return {
			output: 0,
			autoReply: { route: 'released', ...(known ? { wasPaused } : {}), conversationId, stateWrites: releaseWrites(conversationId) },
		};
	}
	if (conversation) save(state, conversationId, conversation, release(conversation, now), now);
	return { output: 0, autoReply: { route: 'released', wasPaused, conversationId } };
}

/** The operations that take one item at a time (Check FAQ takes the input as a whole). */
const operations: Record<Exclude<Operation, 'checkFaq'>, (...args: Parameters<typeof routeItem>) => Routed | Promise<Routed>> = {
	route: routeItem,
	handOff: handOffItem,
	release: releaseItem,
};

export async function execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const items = this.getInputData();
	const operation = this.getNodeParameter('operation', 0, 'route') as string;
	// Test messages are not conversations: the FAQ (read for the first item) and no state.
	if (operation === 'checkFaq') return checkFaq(this, faqSettingsOf(this, 0), faqThresholdOf(this, 0));
	if (!Object.hasOwn(operations, operation)) {
		throw new NodeOperationError(this.getNode(), `The operation "${operation}" is not supported`);
	}
	const run = operations[operation as keyof typeof operations];
	const outputs: INodeExecutionData[][] = OUTPUTS_BY_OPERATION[operation as keyof typeof operations].map(() => []);
	const state = openConversations(this);
	const memo: ExecutionMemo = new Map();
	const failed: INodeExecutionData[] = [];

	for (let itemIndex = 0; itemIndex < items.length; itemIndex++) {
		const item = items[itemIndex];
		let routed: Routed;
		try {
			routed = await run(this, itemIndex, state, memo);
		} catch (error) {
			// failedItem throws when the node does not continue on fail: say first what the state lost.
			if (!this.continueOnFail()) reportEvicted(this, state);
			const failure = failedItem(this, error, itemIndex, item.json);
			failed.push(failure);
			outputs[0].push(failure);
			continue;
		}
		outputs[routed.output].push({
			json: { ...item.json, autoReply: routed.autoReply },
			...(item.binary ? { binary: item.binary } : {}),
			pairedItem: { item: itemIndex },
		});
	}
	reportFailedItems(this, failed, items.length);
	reportEvicted(this, state);
	const hints = skippedRuleHints(skippedRulesOf(memo));
	if (hints.length > 0) this.addExecutionHints(...hints);
	return outputs;
}
