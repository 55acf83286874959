import type { IDataObject } from 'n8n-workflow';

import { parseTemplateContent, type KeywordRow } from '../../subscribe/keywords';
import {
	accessTokenKey,
	CREDENTIAL_TYPE,
	miniProgramApiRequest,
	toMiniProgramCredentials,
	type MiniProgramContext,
} from '../../transport';

/**
 * The account's subscribe-message templates (GET /wxaapi/newtmpl/gettemplate, "我的模板") with their
 * keywords read from `content`. Used by List Templates and by the template pick-list (methods/).
 */

/** A keyword of a template (subscribe/keywords.ts reads them from `content`). */
export type TemplateKeyword = KeywordRow;

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

/** How long Send reuses the template list: a template's keywords change only when someone edits it in 我的模板. */
export const TEMPLATE_LIST_CACHE_MS = 5 * 60_000;

const templateLists = new Map<string, { at: number; list: Promise<SubscribeTemplate[]> }>();

/**
 * The account's templates, fetched at most once per TEMPLATE_LIST_CACHE_MS per credential in this process,
 * so Send can check every keyword against its template without a second API call per message.
 */
export async function cachedSubscribeTemplates(this: MiniProgramContext, itemIndex?: number): Promise<SubscribeTemplate[]> {
	const key = accessTokenKey(toMiniProgramCredentials(await this.getCredentials(CREDENTIAL_TYPE, itemIndex)));
	const cached = templateLists.get(key);
	if (cached && Date.now() - cached.at < TEMPLATE_LIST_CACHE_MS) return await cached.list;
	const list = listSubscribeTemplates.call(this, itemIndex);
	templateLists.set(key, { at: Date.now(), list });
	// A failed listing is not kept: the next send asks again.
	list.catch(() => templateLists.delete(key));
	return await list;
}

export function resetTemplateListCache(): void {
	templateLists.clear();
}
