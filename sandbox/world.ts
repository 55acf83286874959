// Who the sandbox plays and where: the fake corp, app and 微信客服 account, the credentials that point
// at the fakes, the callback secrets, and the loopback ports. Everything here is made up and local: no
// value reaches WeCom, WeChat or a model provider.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import { portFromEnv } from '../test/fakes/ports';
import { newSecrets, type CallbackSecrets } from '../test/fakes/wecom/callback';

export const SANDBOX_CORP_ID = 'ww_sandbox_corp';
export const SANDBOX_APP = { agentId: 1000002, secret: 'sandbox-app-secret' };
export const SANDBOX_KF_ACCOUNT = { open_kfid: 'wkSANDBOXKF0001', name: '沙箱客服' };
/** The person of the sandbox corp who takes over a 微信客服 conversation. */
export const SANDBOX_SERVICER = 'sandbox_servicer';
/**
 * The WhatsApp number of the sandbox's team: a template's fixed number (the admin's team, "YourTeamPhoneNumber")
 * becomes this one in the copy, so a hand-off shows on the simulator page as a message to the team.
 */
export const SANDBOX_WHATSAPP_TEAM = '8613900000001';

export interface CredentialRef {
	id: string;
	name: string;
}

/** The sandbox credentials by n8n credential type. Fixed ids: they are looked up, never made twice. */
export const SANDBOX_CREDENTIALS = {
	weComApi: { id: 'kefuSandboxApi01', name: 'Sandbox WeCom API' },
	weComCallbackApi: { id: 'kefuSandboxCb001', name: 'Sandbox WeCom Callback' },
	openAiApi: { id: 'kefuSandboxAi001', name: 'Sandbox model' },
	whatsAppWebGatewayApi: { id: 'kefuSandboxWa001', name: 'Sandbox WhatsApp gateway' },
} as const satisfies Record<string, CredentialRef>;

export type SandboxCredentialType = keyof typeof SANDBOX_CREDENTIALS;

export interface SandboxPorts {
	simulator: number;
	weCom: number;
	model: number;
	whatsAppGateway: number;
}

/** Ports and the variables that move them: the fakes keep the names the local demo has used all along. */
export const SANDBOX_PORT_ENV = {
	simulator: { name: 'KEFU_SANDBOX_PORT', fallback: 5700, label: 'sandbox customer simulator' },
	weCom: { name: 'FAKE_WECOM_PORT', fallback: 5701, label: 'sandbox WeCom fake' },
	model: { name: 'FAKE_OPENAI_PORT', fallback: 5702, label: 'sandbox model fake' },
	whatsAppGateway: { name: 'KEFU_SANDBOX_GATEWAY_PORT', fallback: 5703, label: 'sandbox WhatsApp gateway' },
} as const satisfies Record<keyof SandboxPorts, { name: string; fallback: number; label: string }>;

export function sandboxPorts(env: NodeJS.ProcessEnv): SandboxPorts {
	const port = (key: keyof SandboxPorts) => portFromEnv(SANDBOX_PORT_ENV[key].name, SANDBOX_PORT_ENV[key].fallback, env);
	return { simulator: port('simulator'), weCom: port('weCom'), model: port('model'), whatsAppGateway: port('whatsAppGateway') };
}

/** Secrets made once per n8n user folder and kept beside its database (mode 600), in <userFolder>/sandbox/. */
function keptSecrets<T>(userFolder: string, fileName: string, make: () => T): T {
	const file = path.join(userFolder, 'sandbox', fileName);
	if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as T;
	const secrets = make();
	mkdirSync(path.dirname(file), { recursive: true });
	writeFileSync(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
	return secrets;
}

/**
 * The callback Token and EncodingAESKey of the sandbox: the "Sandbox WeCom Callback" credential is created
 * from them once and never rewritten, so the simulator must go on signing with the same pair.
 */
export function sandboxCallbackSecrets(userFolder: string): CallbackSecrets {
	return keptSecrets(userFolder, 'callback-secrets.json', () => newSecrets(SANDBOX_CORP_ID));
}

export interface GatewaySecrets {
	apiKey: string;
	webhookSecret: string;
}

/** The sandbox gateway's API key and webhook secret, kept for the same reason as the callback secrets. */
export function sandboxGatewaySecrets(userFolder: string): GatewaySecrets {
	return keptSecrets(userFolder, 'gateway-secrets.json', () => ({
		apiKey: randomBytes(24).toString('hex'),
		webhookSecret: randomBytes(24).toString('hex'),
	}));
}

/** What each sandbox credential holds: the fakes' addresses and made-up keys. */
export function sandboxCredentialData(
	secrets: CallbackSecrets,
	gatewaySecrets: GatewaySecrets,
	ports: SandboxPorts,
): Record<SandboxCredentialType, Record<string, string>> {
	return {
		weComApi: {
			corpId: SANDBOX_CORP_ID,
			agentId: String(SANDBOX_APP.agentId),
			secret: SANDBOX_APP.secret,
			baseUrl: `http://127.0.0.1:${ports.weCom}`,
		},
		weComCallbackApi: { corpId: secrets.corpId, token: secrets.token, encodingAesKey: secrets.encodingAesKey },
		openAiApi: { apiKey: 'sk-sandbox-not-a-real-key', url: `http://127.0.0.1:${ports.model}/v1` },
		whatsAppWebGatewayApi: { baseUrl: `http://127.0.0.1:${ports.whatsAppGateway}`, ...gatewaySecrets },
	};
}
