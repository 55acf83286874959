import { isWithinBusinessHours, localTime, type BusinessHours } from './businessHours';
import type { FaqCandidate, FaqIndex } from './faqIndex';
import type { CompiledRules, KeywordHit } from './keywordRules';
import { textForMatching } from './normalize';
import { pausedUntil, type ConversationState } from './state';

/**
 * The routing decision for one message, without n8n: the node reads parameters and state, calls
 * `routeMessage`, saves the returned conversation state and builds the output item.
 *
 * Order (the first that applies wins):
 * 1. the conversation is with a human (paused after a hand-off) → silent ('withHuman');
 * 2. outside business hours → outOfHours the first time that local day, then silent (hand-off
 *    words included: nobody is there to take the conversation, and the reply says when someone is);
 * 3. a hand-off word → handoff (starts the pause);
 * 4. a keyword rule → keyword;
 * 5. an FAQ entry scoring at least the threshold → faq;
 * 6. otherwise noMatch with the best FAQ candidates, or handoff after N unanswered in a row.
 */

/**
 * Every route: its id (autoReply.route in the output) and the label of the node output it leaves by, in
 * the order of the node's outputs. The node's outputs, their labels and the list of them in the Route
 * Message description all come from here.
 */
export const ROUTES = [
	{ route: 'keyword', label: 'Keyword Reply' },
	{ route: 'faq', label: 'FAQ Answer' },
	{ route: 'handoff', label: 'Hand-Off' },
	{ route: 'noMatch', label: 'No Match' },
	{ route: 'outOfHours', label: 'Out of Hours' },
	{ route: 'silent', label: 'Silent' },
] as const;

export type Route = (typeof ROUTES)[number]['route'];

/**
 * Default FAQ threshold on the confidence of faqIndex.ts (0 to 1; AutoReply version 2: version 1
 * nodes keep FAQ_THRESHOLD_V1 on their own score). On the first evaluation set and
 * the tuning part of the second (docs/faq-evaluation.md) the highest confidence of a wrong answer or
 * of an off-topic message is 0.381; 0.4 leaves a margin for FAQs the sets do not know. Below it,
 * the message goes to No Match (the AI step).
 */
export const DEFAULT_FAQ_THRESHOLD = 0.4;

export type SilentReason = 'withHuman' | 'outOfHoursAlreadyReplied';
export type HandOffReason = 'keyword' | 'unanswered' | 'operation';

export interface RouteInput {
	/** The message; matching reads its first MATCH_TEXT_LIMIT characters (normalize.ts). */
	text: string;
	now: number;
	conversation: ConversationState | undefined;
	handOffWords?: CompiledRules;
	/** Minutes a hand-off keeps the conversation with a human. */
	pauseMinutes: number;
	businessHours?: BusinessHours;
	keywordRules?: CompiledRules;
	/**
	 * The FAQ index of the node's version (faqIndex.ts, or faqIndexV1.ts for version 1 nodes), or what stands
	 * for it (semantic matching passes its answer this way).
	 */
	faq?: Pick<FaqIndex, 'entries' | 'search'>;
	faqThreshold: number;
	/** Hand off after this many unanswered messages in a row; 0: never. */
	handOffAfterMisses: number;
}

export interface RouteDecision {
	route: Route;
	reason?: SilentReason | HandOffReason;
	/** The hand-off word or keyword rule that matched. */
	keywordHit?: KeywordHit;
	faq?: FaqCandidate;
	candidates?: FaqCandidate[];
	pausedUntil?: number;
	/** The conversation's new state; undefined when nothing changed (no write needed). */
	conversation?: ConversationState;
}

/** Starts the pause (hand-off) and forgets the unanswered count. */
export function handOff(conversation: ConversationState | undefined, now: number, pauseMinutes: number): ConversationState {
	const next: ConversationState = { ...conversation, updatedAt: now, pausedUntil: now + pauseMinutes * 60_000 };
	delete next.misses;
	return next;
}

/** Ends the pause and the unanswered count: the bot answers the next message again. */
export function release(conversation: ConversationState | undefined, now: number): ConversationState {
	const next: ConversationState = { ...conversation, updatedAt: now };
	delete next.pausedUntil;
	delete next.misses;
	return next;
}

/** The FAQ entries a message (as `textForMatching` gives it) is closest to, best first: No Match shows them. */
export function faqCandidates(faq: Pick<FaqIndex, 'search'> | undefined, text: string): FaqCandidate[] {
	return faq && text.trim() !== '' ? faq.search(text, 3) : [];
}

/** The entry that answers, if the best candidate reaches the threshold. */
export function faqAnswerOf(candidates: readonly FaqCandidate[], threshold: number): FaqCandidate | undefined {
	return candidates.length > 0 && candidates[0].score >= threshold ? candidates[0] : undefined;
}

export function routeMessage(input: RouteInput): RouteDecision {
	const { now, conversation } = input;

	const paused = pausedUntil(conversation, now);
	if (paused !== undefined) return { route: 'silent', reason: 'withHuman', pausedUntil: paused };

	// Outside business hours nobody can take a hand-off: the out-of-hours reply (which says when
	// someone will answer) replaces the whole pipeline, hand-off words included.
	if (input.businessHours && !isWithinBusinessHours(input.businessHours, now)) {
		const today = localTime(now, input.businessHours.timezone).date;
		if (conversation?.outOfHoursDay === today) return { route: 'silent', reason: 'outOfHoursAlreadyReplied' };
		return { route: 'outOfHours', conversation: { ...conversation, updatedAt: now, outOfHoursDay: today } };
	}

	const text = textForMatching(input.text);
	const handOffHit = input.handOffWords?.match(text);
	if (handOffHit) {
		const next = handOff(conversation, now, input.pauseMinutes);
		return { route: 'handoff', reason: 'keyword', keywordHit: handOffHit, pausedUntil: next.pausedUntil, conversation: next };
	}

	// An answer ends a run of unanswered messages.
	const answered = (): ConversationState | undefined => {
		if (!conversation?.misses) return undefined;
		const next: ConversationState = { ...conversation, updatedAt: now };
		delete next.misses;
		return next;
	};

	const keywordHit = input.keywordRules?.match(text);
	if (keywordHit) return { route: 'keyword', keywordHit, conversation: answered() };

	const candidates = faqCandidates(input.faq, text);
	const faq = faqAnswerOf(candidates, input.faqThreshold);
	if (faq) return { route: 'faq', faq, candidates, conversation: answered() };

	if (input.handOffAfterMisses > 0) {
		const misses = (conversation?.misses ?? 0) + 1;
		if (misses >= input.handOffAfterMisses) {
			const next = handOff(conversation, now, input.pauseMinutes);
			return { route: 'handoff', reason: 'unanswered', candidates, pausedUntil: next.pausedUntil, conversation: next };
		}
		return { route: 'noMatch', candidates, conversation: { ...conversation, updatedAt: now, misses } };
	}
	return { route: 'noMatch', candidates };
}
