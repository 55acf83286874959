import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { NodeOperationError, updateDisplayOptions } from 'n8n-workflow';

import { recipientFields, sendAppMessage, sendOptions } from './common';

const properties: INodeProperties[] = [
	...recipientFields,
	{
		displayName: 'Articles',
		name: 'articles',
		type: 'fixedCollection',
		typeOptions: { multipleValues: true, maxAllowedFields: 8 },
		placeholder: 'Add Article',
		default: {},
		required: true,
		description: 'One to eight link cards; the first is shown large',
		options: [
			{
				displayName: 'Article',
				name: 'article',
				values: [
					{
						displayName: 'Description',
						name: 'description',
						type: 'string',
						default: '',
						description: 'At most 512 bytes',
					},
					{
						displayName: 'Mini-Program App ID',
						name: 'appId',
						type: 'string',
						default: '',
						description: 'AppID of a mini-program linked to the company, opened instead of the URL',
					},
					{
						displayName: 'Mini-Program Page Path',
						name: 'pagePath',
						type: 'string',
						default: '',
						placeholder: 'pages/order/detail',
						description: 'Page of the mini-program to open (with App ID)',
					},
					{
						displayName: 'Picture URL',
						name: 'picUrl',
						type: 'string',
						default: '',
						description: 'Image shown on the card: 1068×455 for the first article, 150×150 for the others',
					},
					{
						displayName: 'Title',
						name: 'title',
						type: 'string',
						default: '',
						required: true,
						description: 'At most 128 bytes',
					},
					{
						displayName: 'URL',
						name: 'url',
						type: 'string',
						default: '',
						placeholder: 'https://example.com/news/1',
						description: 'The page the article opens, with http:// or https://. Leave empty to open a mini-program instead.',
					},
				],
			},
		],
	},
	sendOptions(['enableIdTrans', 'enableDuplicateCheck']),
];

export const description = updateDisplayOptions(
	{ show: { resource: ['message'], operation: ['sendNews'] } },
	properties,
);

export async function execute(this: IExecuteFunctions, itemIndex: number): Promise<IDataObject> {
	const collection = this.getNodeParameter('articles', itemIndex, {}) as { article?: IDataObject[] };
	const entries = collection.article ?? [];
	if (entries.length < 1 || entries.length > 8) {
		throw new NodeOperationError(this.getNode(), `A news message needs 1 to 8 articles, got ${entries.length}`, {
			itemIndex,
		});
	}
	const articles = entries.map((entry, position) => {
		const article: IDataObject = { title: String(entry.title ?? '').trim() };
		if (!article.title) {
			throw new NodeOperationError(this.getNode(), `Article ${position + 1} has no title`, { itemIndex });
		}
		const fields: Array<[string, string]> = [
			['description', 'description'],
			['url', 'url'],
			['picUrl', 'picurl'],
			['appId', 'appid'],
			['pagePath', 'pagepath'],
		];
		for (const [from, to] of fields) {
			const value = String(entry[from] ?? '').trim();
			if (value) article[to] = value;
		}
		if (!article.url && !article.appid) {
			throw new NodeOperationError(
				this.getNode(),
				`Article ${position + 1} needs a URL (or a mini-program App ID and Page Path)`,
				{ itemIndex },
			);
		}
		return article;
	});
	return await sendAppMessage.call(this, itemIndex, { msgtype: 'news', news: { articles } });
}
