/** WeCom → Passive Reply → Build: the reply WeCom decrypts is the one the operator configured. */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';

import { newSecrets, openPassiveReply } from '../fakes/wecom/callback';
import { cleanupHarness, runNode } from './harness';

const secrets = newSecrets('ww_reply_corp');

const openReply = (replyXml: string) => openPassiveReply(secrets, replyXml) as Record<string, any>;

describe('WeCom node: passive reply', () => {
	after(() => cleanupHarness());

	it('builds an encrypted text reply to the sender', async () => {
		const { outputs, error } = await runNode({
			nodeType: 'weCom',
			parameters: { resource: 'passiveReply', operation: 'build', toUser: 'zhangsan', replyType: 'text', content: '您好 <&> ]]> 再见' },
			credentials: { weComCallbackApi: { ...secrets } },
		});
		assert.equal(error, undefined);
		const reply = openReply(String(outputs[0][0].json.replyXml));
		assert.equal(reply.ToUserName, 'zhangsan');
		assert.equal(reply.FromUserName, secrets.corpId);
		assert.equal(reply.MsgType, 'text');
		assert.equal(reply.Content, '您好 <&> ]]> 再见');
		assert.match(String(reply.CreateTime), /^\d+$/);
	});

	it('builds news with articles and image by media_id', async () => {
		const news = await runNode({
			nodeType: 'weCom',
			parameters: {
				resource: 'passiveReply',
				operation: 'build',
				toUser: 'lisi',
				replyType: 'news',
				articles: { article: [{ title: 'A', url: 'https://a' }, { title: 'B', picUrl: 'https://b.png' }] },
			},
			credentials: { weComCallbackApi: { ...secrets } },
		});
		const reply = openReply(String(news.outputs[0][0].json.replyXml));
		assert.equal(reply.ArticleCount, '2');
		assert.deepEqual(reply.Articles.item.map((a: { Title: string }) => a.Title), ['A', 'B']);

		const image = await runNode({
			nodeType: 'weCom',
			parameters: { resource: 'passiveReply', operation: 'build', toUser: 'lisi', replyType: 'image', mediaId: 'MEDIA1' },
			credentials: { weComCallbackApi: { ...secrets } },
		});
		assert.deepEqual(openReply(String(image.outputs[0][0].json.replyXml)).Image, { MediaId: 'MEDIA1' });
	});

	it('says what to fix when the recipient is empty, without leaking the secrets', async () => {
		const { error } = await runNode({
			nodeType: 'weCom',
			parameters: { resource: 'passiveReply', operation: 'build', toUser: ' ', replyType: 'text', content: 'x' },
			credentials: { weComCallbackApi: { ...secrets } },
		});
		assert.match(String(error?.message), /To User is empty/);
		assert.doesNotMatch(JSON.stringify(error), new RegExp(`${secrets.token}|${secrets.encodingAesKey}`));
	});
});
