import type { ICredentialsDecrypted, ICredentialTestFunctions, INodeCredentialTestResult } from 'n8n-workflow';

import { encodingAesKeyProblem } from '../../WeCom/callback/crypto';

/**
 * "Test" of the WeChat Mini Program Message Push API credential. The push secrets are never sent anywhere, so
 * the test checks their shape; WeChat checks them when the push settings are submitted (the URL check).
 */
export async function weChatMiniProgramPushApiTest(
	this: ICredentialTestFunctions,
	credential: ICredentialsDecrypted,
): Promise<INodeCredentialTestResult> {
	const data = credential.data ?? {};
	const appId = String(data.appId ?? '').trim();
	// AppIDs are "wx" and 16 hex digits; any other value cannot match the App ID inside a push.
	if (!/^wx[0-9a-f]{16}$/i.test(appId)) {
		return { status: 'Error', message: 'App ID must be "wx" and 16 letters or digits: copy AppID from 开发 → 开发管理 → 开发设置.' };
	}
	// The push settings accept a Token of 3 to 32 letters or digits.
	if (!/^[A-Za-z0-9]{3,32}$/.test(String(data.token ?? ''))) {
		return { status: 'Error', message: 'Token must be 3 to 32 letters or digits, as in the message push settings.' };
	}
	const encodingAesKey = String(data.encodingAesKey ?? '');
	if (encodingAesKeyProblem(encodingAesKey)) {
		return {
			status: 'Error',
			message: `EncodingAESKey must be exactly 43 letters and digits, but it has ${encodingAesKey.length} characters or other characters: copy it again from the message push settings (消息推送).`,
		};
	}
	return {
		status: 'OK',
		message: 'The values are well formed. WeChat checks them when you submit the message push settings.',
	};
}
