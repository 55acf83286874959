import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { NodeOperationError, updateDisplayOptions } from 'n8n-workflow';

import { checkData, explain47003, type SubscribeTemplate } from '../../subscribe/keywords';
import { miniProgramApiRequest } from '../../transport';
import { cachedSubscribeTemplates } from './templates';

const properties: INodeProperties[] = [
	{
		displayName: 'Template Name or ID',
		name: 'templateId',
		type: 'options',
		typeOptions: { loadOptionsMethod: 'getSubscribeTemplates' },
		default: '',
		required: true,
		description:
			'A template of this mini-program (mp.weixin.qq.com → 订阅消息 → 我的模板). Choose from the list, or specify an ID using an <a href="https://docs.n8n.io/code/expressions/">expression</a>.',
	},
	{
		displayName: 'To User (OpenID)',
		name: 'touser',
		type: 'string',
		default: '',
		required: true,
		placeholder: '={{ $json.openid }}',
		description: 'The openid of the user who accepted this template in the mini-program (Auth → Code to Session gives it)',
	},
	{
		displayName: 'Keywords',
		name: 'keywords',
		type: 'fixedCollection',
		typeOptions: { multipleValues: true, sortable: true },
		placeholder: 'Add Keyword',
		default: {},
		description:
			"One row per keyword of the template. Each value is checked by the keyword's type before anything is sent, e.g. a thing takes at most 20 characters, a phrase at most 5 Chinese characters.",
		options: [
			{
				displayName: 'Keyword',
				name: 'keyword',
				values: [
					{
						displayName: 'Keyword Name or ID',
						name: 'key',
						type: 'options',
						typeOptions: { loadOptionsMethod: 'getTemplateKeywords', loadOptionsDependsOn: ['templateId'] },
						default: '',
						description:
							'The keyword as the template names it, e.g. thing1 or time2. Choose from the list, or specify an ID using an <a href="https://docs.n8n.io/code/expressions/">expression</a>.',
					},
					{
						displayName: 'Value',
						name: 'value',
						type: 'string',
						default: '',
						placeholder: '={{ $json.customerName }}',
					},
				],
			},
		],
	},
	{
		displayName: 'Page',
		name: 'page',
		type: 'string',
		default: '',
		placeholder: 'pages/customer/detail?customer=123',
		description: 'The mini-program page the message opens, with its query; empty opens none',
	},
	{
		displayName: 'Mini Program State',
		name: 'miniprogramState',
		type: 'options',
		options: [
			{ name: 'Formal (Released Version)', value: 'formal' },
			{ name: 'Trial (体验版)', value: 'trial' },
			{ name: 'Developer (开发版)', value: 'developer' },
		],
		default: 'formal',
		description: 'Which version of the mini-program the page opens in',
	},
	{
		displayName: 'Language',
		name: 'lang',
		type: 'options',
		options: [
			{ name: 'Chinese (Simplified)', value: 'zh_CN' },
			{ name: 'Chinese (Hong Kong)', value: 'zh_HK' },
			{ name: 'Chinese (Taiwan)', value: 'zh_TW' },
			{ name: 'English', value: 'en_US' },
		],
		default: 'zh_CN',
		description: 'The language the message shows in WeChat',
	},
	{
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add Option',
		default: {},
		options: [
			{
				displayName: 'Shorten Text That Is Too Long',
				name: 'shortenText',
				type: 'boolean',
				default: false,
				description:
					'Whether to cut a thing, name or phrase that is over its limit instead of failing (a thing gets "…" at the end). Numbers, amounts, dates, times, codes and phone numbers are never cut: that would change what they say.',
			},
		],
	},
];

export const description = updateDisplayOptions({ show: { resource: ['subscribeMessage'], operation: ['send'] } }, properties);

/**
 * The template the message uses, when the account's list can be read: with it every keyword is checked
 * against the template (missing or unknown keywords, enum values, labels in the messages). Without it
 * (the listing failed), each value is still checked by the type its key names, and WeChat decides the rest.
 */
async function templateOf(context: IExecuteFunctions, itemIndex: number, templateId: string): Promise<SubscribeTemplate | undefined> {
	let templates;
	try {
		templates = await cachedSubscribeTemplates.call(context, itemIndex);
	} catch {
		return undefined;
	}
	const template = templates.find((t) => t.templateId === templateId);
	if (!template) {
		throw new NodeOperationError(context.getNode(), `Template ${templateId} is not one of this mini-program's templates`, {
			description:
				'Choose the template from the list, or copy its ID from mp.weixin.qq.com → 订阅消息 → 我的模板 (a template of the public library must first be added there).',
			itemIndex,
		});
	}
	return {
		content: template.content,
		keywordEnumValueList: template.keywords
			.filter((k) => k.enumValues)
			.map((k) => ({ keywordCode: `${k.key}.DATA`, enumValueList: k.enumValues ?? [] })),
	};
}

/** POST /cgi-bin/message/subscribe/send: one subscribe message, its keywords checked first. */
export async function execute(this: IExecuteFunctions, itemIndex: number): Promise<IDataObject> {
	const templateId = String(this.getNodeParameter('templateId', itemIndex, '')).trim();
	const touser = String(this.getNodeParameter('touser', itemIndex, '')).trim();
	if (!templateId) {
		throw new NodeOperationError(this.getNode(), 'Template is empty', { description: 'Choose a template from the list.', itemIndex });
	}
	if (!touser) {
		throw new NodeOperationError(this.getNode(), 'To User (OpenID) is empty', {
			description: 'Map the openid of the user who accepted the template, e.g. {{ $json.openid }}.',
			itemIndex,
		});
	}
	const rows = ((this.getNodeParameter('keywords', itemIndex, {}) as { keyword?: Array<{ key?: string; value?: unknown }> }).keyword ?? []).map(
		(row) => ({ key: String(row.key ?? ''), value: row.value }),
	);
	const options = this.getNodeParameter('options', itemIndex, {}) as { shortenText?: boolean };
	const template = await templateOf(this, itemIndex, templateId);
	const checked = checkData(rows, template, { shorten: options.shortenText === true });
	if (!checked.ok) {
		throw new NodeOperationError(this.getNode(), `The keywords are not what WeChat accepts (${checked.problems.map((p) => p.key || 'a row').join(', ')})`, {
			description: `${checked.message} Nothing was sent.`,
			itemIndex,
		});
	}

	const body: IDataObject = {
		touser,
		template_id: templateId,
		data: checked.data,
		miniprogram_state: this.getNodeParameter('miniprogramState', itemIndex, 'formal'),
		lang: this.getNodeParameter('lang', itemIndex, 'zh_CN'),
	};
	const page = String(this.getNodeParameter('page', itemIndex, '')).trim();
	if (page) body.page = page;

	const answer = await miniProgramApiRequest.call(this, 'POST', '/cgi-bin/message/subscribe/send', body, {
		itemIndex,
		// 47003: WeChat names the keyword; say which one and what its type takes, with the template's label.
		explain: (errcode, errmsg) => (errcode === 47003 ? explain47003(errmsg, template) : undefined),
	});
	const sent: IDataObject = { msgid: answer.msgid, touser, templateId, data: checked.data };
	if (checked.shortened.length > 0) sent.shortened = checked.shortened;
	return sent;
}
