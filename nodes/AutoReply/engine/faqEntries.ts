import type { FaqEntry } from './faqIndex';
import { splitLines } from './normalize';

/**
 * FAQ entries given as data (the `faqEntries` parameter: a Data Table, a sheet or an earlier node
 * mapped in with an expression): a JSON string or an array of { question, similarQuestions?,
 * answer }. similarQuestions may also be one string with one question per line, as a table
 * column holds it. A bad entry is reported with its index and field, so the person can fix it.
 */

export interface FaqEntriesProblem {
	/** Index in the array, or -1 for the value as a whole. */
	index: number;
	field: string;
	message: string;
}

export type FaqEntriesResult = { ok: true; entries: FaqEntry[] } | { ok: false; problem: FaqEntriesProblem };

const SHAPE = 'an array of { "question": "…", "similarQuestions": ["…"], "answer": "…" }';

function fail(index: number, field: string, message: string): FaqEntriesResult {
	return { ok: false, problem: { index, field, message } };
}


export function parseFaqEntries(value: unknown): FaqEntriesResult {
	let data = value;
	if (data === undefined || data === null) return { ok: true, entries: [] };
	if (typeof data === 'string') {
		if (data.trim() === '') return { ok: true, entries: [] };
		try {
			data = JSON.parse(data) as unknown;
		} catch (error) {
			const reason = error instanceof Error ? error.message : String(error);
			return fail(-1, 'faqEntries', `is not valid JSON (${reason}); expected ${SHAPE}`);
		}
	}
	if (!Array.isArray(data)) return fail(-1, 'faqEntries', `is not an array; expected ${SHAPE}`);

	const entries: FaqEntry[] = [];
	for (let index = 0; index < data.length; index++) {
		const item = data[index] as unknown;
		if (typeof item !== 'object' || item === null || Array.isArray(item)) {
			return fail(index, 'entry', `is not an object; expected { "question": "…", "answer": "…" }`);
		}
		const { question, similarQuestions, answer } = item as Record<string, unknown>;
		if (typeof question !== 'string' || question.trim() === '') {
			return fail(index, 'question', 'is missing or empty: it must be a non-empty string');
		}
		if (typeof answer !== 'string' || answer.trim() === '') {
			return fail(index, 'answer', 'is missing or empty: it must be a non-empty string');
		}
		let similar: string[] = [];
		if (typeof similarQuestions === 'string') {
			similar = splitLines(similarQuestions);
		} else if (Array.isArray(similarQuestions)) {
			for (let j = 0; j < similarQuestions.length; j++) {
				if (typeof similarQuestions[j] !== 'string') {
					return fail(index, `similarQuestions[${j}]`, 'is not a string');
				}
			}
			similar = (similarQuestions as string[]).map((text) => text.trim()).filter((text) => text !== '');
		} else if (similarQuestions !== undefined && similarQuestions !== null) {
			return fail(index, 'similarQuestions', 'must be an array of strings (or one string, one question per line)');
		}
		entries.push({ question: question.trim(), similarQuestions: similar, answer });
	}
	return { ok: true, entries };
}
