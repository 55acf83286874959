import type { IDataObject } from 'n8n-workflow';

import { miniProgramApiRequest, type MiniProgramContext } from '../../transport';

/**
 * The account's subscribe-message templates (GET /wxaapi/newtmpl/gettemplate, "我的模板") with their
 * keywords read from `content`. Used by List Templates and by the template pick-list (methods/).
 */

export interface TemplateKeyword {
	/** As WeChat names it in `data`: thing1, time2, phrase3. */
	key: string;
	/** The keyword's type: the key without its number (thing, time, phrase, enum, …). */
	type: string;
	/** The text before the keyword in the template, e.g. 客户姓名. */
	label: string;
}

/**
 * The keywords of a template's `content`, one per "label:{{key.DATA}}" line, in order. A label may be
 * missing and the colon may be full width (：); an unknown type is kept as written.
 *
 * TODO(issue 11): subscribe/keywords.ts `parseTemplateContent` holds the same rule with the keyword
 * value checks; once both are on one branch, import it here and delete this function.
 */
export function parseTemplateContent(content: string): TemplateKeyword[] {
	const keywords: TemplateKeyword[] = [];
	for (const line of content.split(/\r?\n/)) {
		for (const match of line.matchAll(/([^{}]*?)\{\{\s*([A-Za-z_]+?)(\d+)\.DATA\s*\}\}/g)) {
			keywords.push({ key: `${match[2]}${match[3]}`, type: match[2], label: match[1].replace(/[:：]\s*$/, '').trim() });
		}
	}
	return keywords;
}

export interface SubscribeTemplate {
	templateId: string;
	title: string;
	/** WeChat's type 2: each acceptance allows one message; 3: the user accepted once for good. */
	subscriptionType: 'one-time' | 'long-term';
	keywords: Array<TemplateKeyword & { enumValues?: string[] }>;
	content: string;
	example: string;
}

function toTemplate(raw: IDataObject): SubscribeTemplate {
	const enums = new Map(
		((raw.keywordEnumValueList ?? []) as Array<{ keywordCode?: string; enumValueList?: string[] }>).map((entry) => [
			String(entry.keywordCode ?? '').replace(/\.DATA$/, ''),
			entry.enumValueList ?? [],
		]),
	);
	const content = String(raw.content ?? '');
	return {
		templateId: String(raw.priTmplId ?? ''),
		title: String(raw.title ?? ''),
		subscriptionType: Number(raw.type) === 3 ? 'long-term' : 'one-time',
		keywords: parseTemplateContent(content).map((keyword) =>
			enums.has(keyword.key) ? { ...keyword, enumValues: enums.get(keyword.key) } : keyword,
		),
		content,
		example: String(raw.example ?? ''),
	};
}

export async function listSubscribeTemplates(this: MiniProgramContext, itemIndex?: number): Promise<SubscribeTemplate[]> {
	const answer = await miniProgramApiRequest.call(this, 'GET', '/wxaapi/newtmpl/gettemplate', undefined, { itemIndex });
	return ((answer.data ?? []) as IDataObject[]).map(toTemplate);
}
