import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { NodeOperationError, updateDisplayOptions } from 'n8n-workflow';

import { TEXT_LIMITS } from '../../../common/channels';
import { buildEncryptedReply, decodeEncodingAesKey } from '../../callback/crypto';
import { buildXml, type XmlBuildObject } from '../../callback/xml';

const properties: INodeProperties[] = [
	{
		displayName:
			'Make this the last node of a flow whose WeCom Trigger gets callbacks on its URL ending in /passive: its replyXml becomes the callback\'s answer. WeCom waits 5 seconds at most; slower flows should send messages instead.',
		name: 'passiveReplyNotice',
		type: 'notice',
		default: '',
	},
	{
		displayName: 'To User',
		name: 'toUser',
		type: 'string',
		default: "={{ $('WeCom Trigger').item.json.FromUserName }}",
		required: true,
		description: 'The member who sent the callback (its FromUserName). Change the node name in the expression if your trigger has another name.',
	},
	{
		displayName: 'Reply Type',
		name: 'replyType',
		type: 'options',
		options: [
			{ name: 'Image', value: 'image', description: 'An image by media_id (upload it first)' },
			{ name: 'News', value: 'news', description: 'One to eight articles with picture and link' },
			{ name: 'Text', value: 'text' },
			{ name: 'Video', value: 'video', description: 'A video by media_id, with a title and description' },
			{ name: 'Voice', value: 'voice', description: 'A voice message by media_id' },
		],
		default: 'text',
	},
	{
		displayName: 'Content',
		name: 'content',
		type: 'string',
		typeOptions: { rows: 3 },
		default: '',
		required: true,
		displayOptions: { show: { replyType: ['text'] } },
		description: `The reply text (at most ${TEXT_LIMITS.weCom.max} bytes)`,
	},
	{
		displayName: 'Media ID',
		name: 'mediaId',
		type: 'string',
		default: '',
		required: true,
		displayOptions: { show: { replyType: ['image', 'voice', 'video'] } },
		description: 'A media_id from WeCom → Media → Upload (valid 3 days)',
	},
	{
		displayName: 'Title',
		name: 'title',
		type: 'string',
		default: '',
		displayOptions: { show: { replyType: ['video'] } },
	},
	{
		displayName: 'Description',
		name: 'description',
		type: 'string',
		default: '',
		displayOptions: { show: { replyType: ['video'] } },
	},
	{
		displayName: 'Articles',
		name: 'articles',
		type: 'fixedCollection',
		typeOptions: { multipleValues: true, maxAllowedFields: 8 },
		default: {},
		placeholder: 'Add Article',
		displayOptions: { show: { replyType: ['news'] } },
		options: [
			{
				displayName: 'Article',
				name: 'article',
				values: [
					{ displayName: 'Title', name: 'title', type: 'string', default: '', required: true },
					{ displayName: 'Description', name: 'description', type: 'string', default: '' },
					{ displayName: 'URL', name: 'url', type: 'string', default: '', description: 'Opened when the article is tapped' },
					{ displayName: 'Picture URL', name: 'picUrl', type: 'string', default: '', description: 'JPG or PNG; 1068×455 for the first article, 150×150 for the others' },
				],
			},
		],
	},
];

export const description = updateDisplayOptions(
	{ show: { resource: ['passiveReply'], operation: ['build'] } },
	properties,
);

/** The plaintext reply of doc 90241, keyed by the reply type's own element names. */
function replyBody(this: IExecuteFunctions, replyType: string, itemIndex: number): XmlBuildObject {
	switch (replyType) {
		case 'text':
			return { Content: this.getNodeParameter('content', itemIndex) as string };
		case 'image':
			return { Image: { MediaId: this.getNodeParameter('mediaId', itemIndex) as string } };
		case 'voice':
			return { Voice: { MediaId: this.getNodeParameter('mediaId', itemIndex) as string } };
		case 'video':
			return {
				Video: {
					MediaId: this.getNodeParameter('mediaId', itemIndex) as string,
					Title: this.getNodeParameter('title', itemIndex, '') as string,
					Description: this.getNodeParameter('description', itemIndex, '') as string,
				},
			};
		default: {
			const articles = ((this.getNodeParameter('articles', itemIndex, {}) as IDataObject).article ?? []) as IDataObject[];
			if (articles.length < 1 || articles.length > 8) {
				throw new NodeOperationError(this.getNode(), 'A news reply needs 1 to 8 articles', { itemIndex });
			}
			return {
				ArticleCount: articles.length,
				Articles: {
					item: articles.map((a) => ({
						Title: String(a.title ?? ''),
						Description: String(a.description ?? ''),
						PicUrl: String(a.picUrl ?? ''),
						Url: String(a.url ?? ''),
					})),
				},
			};
		}
	}
}

/**
 * The encrypted passive reply (doc 90241 plaintext inside doc 90930's envelope), which the WeCom Trigger
 * sends as the callback's answer when this node runs last.
 */
export async function execute(this: IExecuteFunctions, itemIndex: number): Promise<IDataObject> {
	const credentials = await this.getCredentials('weComCallbackApi', itemIndex);
	const corpId = String(credentials.corpId ?? '').trim();
	const toUser = String(this.getNodeParameter('toUser', itemIndex) ?? '').trim();
	if (toUser === '') {
		throw new NodeOperationError(this.getNode(), 'To User is empty', {
			itemIndex,
			description: 'Use the FromUserName of the callback this reply answers.',
		});
	}
	const replyType = this.getNodeParameter('replyType', itemIndex) as string;
	const plaintextXml = buildXml({
		ToUserName: toUser,
		FromUserName: corpId,
		CreateTime: Math.floor(Date.now() / 1000),
		MsgType: replyType,
		...replyBody.call(this, replyType, itemIndex),
	});
	let aesKey: Buffer;
	try {
		aesKey = decodeEncodingAesKey(String(credentials.encodingAesKey ?? ''));
	} catch (error) {
		throw new NodeOperationError(this.getNode(), error as Error, { itemIndex });
	}
	const replyXml = buildEncryptedReply({
		token: String(credentials.token ?? ''),
		aesKey,
		receiveId: corpId,
		plaintextXml,
	});
	return { replyXml, msgType: replyType, toUser };
}
