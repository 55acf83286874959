import type {
	IAuthenticateGeneric,
	ICredentialTestRequest,
	ICredentialType,
	Icon,
	IAuthenticateRuleResponseSuccessBody,
	INodeProperties,
} from 'n8n-workflow';

/**
 * The project's WhatsApp Web gateway (gateway/, docs/whatsapp-gateway-api.md): its address, the API key every
 * call carries, and the secret it signs webhooks with (checked by the WhatsApp Web Trigger, never sent).
 *
 * "Test" asks GET /status. n8n's credentials tester turns an answer whose field equals a rule's value into an
 * error with the rule's message, so each state that is not READY gets a rule that says what to do; READY passes.
 * A declarative test, as for WeCom: a function test could only use the deprecated helpers.request.
 */

/** What to do for each FAILED reason the gateway reports (docs/whatsapp-gateway-api.md). */
export const FAILED_REASON_HINTS: Readonly<Record<string, string>> = {
	cannot_reach_whatsapp_web:
		'The gateway cannot reach web.whatsapp.com: check its internet access, DNS and proxy (the status\'s "detail" has the net:: code), then restart the gateway.',
	browser_launch_failed:
		'The gateway could not start Chromium: check its Chromium path (Debian: apt-get install chromium) and that the machine has memory left.',
	profile_locked:
		'Another Chromium holds the gateway\'s session profile: stop the other gateway using the same data folder, or remove the stale lock, then restart.',
	auth_failure:
		'WhatsApp refused the saved session: log out with WhatsApp Web → Session → Log Out, then scan the new QR code.',
	whatsapp_web_incompatible:
		'WhatsApp Web changed and the gateway\'s whatsapp-web.js no longer fits it: update the gateway to the newest release.',
	timeout:
		'WhatsApp Web did not get ready in time: restart the gateway; if it repeats, check the machine\'s network speed and memory.',
	logged_out:
		'The phone unlinked this device: get a new QR code (WhatsApp Web → Session → Get QR Code) and scan it under Linked Devices.',
};

/** What to do for each state that is not READY. */
export const STATE_HINTS: Readonly<Record<string, string>> = {
	QR: 'The gateway is reachable and the key is right, but no phone is linked yet: get the QR code (WhatsApp Web → Session → Get QR Code, or the gateway\'s /qr page) and scan it in WhatsApp → Linked Devices.',
	PAIRING_CODE:
		'The gateway is reachable and the key is right, and waits for a pairing code to be entered: in WhatsApp → Linked Devices → Link with phone number, type the code (WhatsApp Web → Session → Request Pairing Code).',
	STARTING:
		'The gateway is reachable and the key is right, and WhatsApp Web is still starting: test again in a minute.',
	AUTHENTICATING:
		'The gateway is reachable and the key is right, and the phone was linked: WhatsApp Web is loading the chats. Test again in a minute.',
	STOPPED: 'The gateway is reachable and the key is right, but its session is stopped: restart the gateway.',
};

function bodyRule(key: string, value: string, message: string): IAuthenticateRuleResponseSuccessBody {
	return { type: 'responseSuccessBody', properties: { key, value, message } };
}

export class WhatsAppWebGatewayApi implements ICredentialType {
	name = 'whatsAppWebGatewayApi';

	displayName = 'WhatsApp Web Gateway API';

	icon: Icon = { light: 'file:../nodes/WhatsAppWeb/whatsAppWeb.svg', dark: 'file:../nodes/WhatsAppWeb/whatsAppWeb.dark.svg' };

	documentationUrl = 'https://github.com/n8n-nodes-kefu/n8n-nodes-kefu#whatsapp-web-node';

	properties: INodeProperties[] = [
		{
			// n8n shows a connection that failed as the bare error code: this says what each means.
			displayName:
				'The address and key of your WhatsApp Web gateway (not Meta\'s Cloud API). If Test answers ECONNREFUSED, ENOTFOUND or ETIMEDOUT, n8n did not reach the Base URL: check that the gateway runs, the address and port, and the network between them (from a container, 127.0.0.1 is the container itself). Unauthorized means the API Key is not the one the gateway was started with.',
			name: 'notice',
			type: 'notice',
			default: '',
		},
		{
			displayName: 'Base URL',
			name: 'baseUrl',
			type: 'string',
			default: 'http://127.0.0.1:3000',
			required: true,
			placeholder: 'http://127.0.0.1:3000',
			description: 'Where the gateway listens, as n8n reaches it',
		},
		{
			displayName: 'API Key',
			name: 'apiKey',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			required: true,
			description: 'The API key the gateway was started with; sent as X-Api-Key on every call',
		},
		{
			displayName: 'Webhook Secret',
			name: 'webhookSecret',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			required: true,
			description:
				'The secret the gateway signs webhooks with. The WhatsApp Web Trigger refuses events whose signature does not match it.',
		},
	];

	authenticate: IAuthenticateGeneric = {
		type: 'generic',
		properties: { headers: { 'X-Api-Key': '={{$credentials.apiKey}}' } },
	};

	test: ICredentialTestRequest = {
		request: { method: 'GET', baseURL: '={{$credentials.baseUrl}}', url: '/status' },
		// FAILED first: its reason says more than its state.
		rules: [
			...Object.entries(FAILED_REASON_HINTS).map(([reason, hint]) =>
				bodyRule('reason', reason, `The WhatsApp session failed (${reason}). ${hint}`),
			),
			...Object.entries(STATE_HINTS).map(([state, hint]) => bodyRule('state', state, `State ${state}. ${hint}`)),
			bodyRule(
				'state',
				'FAILED',
				'The WhatsApp session failed for a reason this n8n does not know: read the gateway\'s log and its /status "detail".',
			),
		],
	};
}
