import type { ICredentialsDecrypted, ICredentialTestFunctions, INodeCredentialTestResult } from 'n8n-workflow';

import { encodingAesKeyProblem } from './crypto';

/**
 * "Test" of the WeCom Callback API credential, used by every node that takes it (`testedBy`). The callback
 * secrets are never sent anywhere, so the test checks their shape; WeCom itself checks them when the URL is
 * saved in its admin console.
 */
export async function weComCallbackApiTest(
	this: ICredentialTestFunctions,
	credential: ICredentialsDecrypted,
): Promise<INodeCredentialTestResult> {
	const data = credential.data ?? {};
	const corpId = String(data.corpId ?? '').trim();
	const token = String(data.token ?? '');
	if (corpId === '') return { status: 'Error', message: 'Corp ID is empty: copy 企业ID from 我的企业 → 企业信息.' };
	// The admin console generates tokens of letters and digits, 3 to 32 long (doc 90930).
	if (!/^[A-Za-z0-9]{3,32}$/.test(token)) {
		return { status: 'Error', message: 'Token must be 3 to 32 letters or digits, as the WeCom admin console shows it.' };
	}
	const keyProblem = encodingAesKeyProblem(String(data.encodingAesKey ?? ''));
	if (keyProblem) return { status: 'Error', message: keyProblem.message };
	return {
		status: 'OK',
		message: 'The values are well formed. WeCom checks them when you save the callback URL in its admin console.',
	};
}
