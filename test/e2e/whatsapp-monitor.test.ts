/**
 * The WhatsApp connection monitor template (workflows/whatsapp-connection-monitor.json) in a real n8n: its
 * schedule (shortened to every 5 s here, from 5 minutes), the real gateway with its simulated WhatsApp driven
 * into each state an operator must hear about, and a loopback SMTP server catching the alerts.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';

import { startFakeSmtp, type FakeSmtp, type ReceivedMail } from '../fakes/smtp';
import { GatewayProcess } from './gateway';
import { type N8nInstance, readWorkflow, startN8n } from './harness';

const template = readWorkflow('whatsapp-connection-monitor.json');
const SCHEDULE = 'Every 5 Minutes';
const EVERY_SECONDS = 5;

async function until<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const found = await probe();
		if (found !== undefined) return found;
		if (Date.now() > deadline) throw new Error(`still not there after ${timeoutMs} ms: ${what}`);
		await new Promise((r) => setTimeout(r, 250));
	}
}

/** The text part of a mail as nodemailer writes it (quoted-printable or 7bit), soft line breaks joined. */
function textOf(mail: ReceivedMail): string {
	return mail.raw.replace(/=\r\n/g, '').replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

describe('WhatsApp connection monitor template: real n8n, real gateway with simulated WhatsApp, loopback SMTP', () => {
	const userFolder = mkdtempSync(path.join(tmpdir(), 'kefu-wa-monitor-n8n-'));
	const gatewayFolder = mkdtempSync(path.join(tmpdir(), 'kefu-wa-monitor-gateway-'));
	const gateway = new GatewayProcess({ dataDir: path.join(gatewayFolder, 'data'), logFile: path.join(gatewayFolder, 'gateway.log') });
	let n8n: N8nInstance;
	let smtp: FakeSmtp;
	let workflowId: string;

	/** The first alert mailed after `since` whose subject is `subject`. */
	const alertAfter = async (since: number, subject: string) =>
		await until(`a mail "${subject}"`, () => smtp.mails.find((m) => m.at >= since && m.subject === subject));

	before(async () => {
		smtp = await startFakeSmtp();
		await gateway.start();
		n8n = await startN8n({ userFolder });
		const gatewayCredential = await n8n.createCredential('whatsAppWebGatewayApi', 'WhatsApp Web Gateway', {
			baseUrl: gateway.url,
			apiKey: gateway.apiKey,
			webhookSecret: gateway.webhookSecret,
		});
		const mail = await n8n.createCredential('smtp', 'Loopback SMTP', {
			host: smtp.host,
			port: smtp.port,
			secure: false,
			disableStartTls: true,
			user: '',
			password: '',
		});
		const byNode: Record<string, Record<string, { id: string; name: string }>> = {};
		for (const node of template.nodes) {
			if (node.type === 'n8n-nodes-kefu.whatsAppWeb') byNode[node.name] = { whatsAppWebGatewayApi: gatewayCredential };
			if (node.type === 'n8n-nodes-base.emailSend') byNode[node.name] = { smtp: mail };
		}
		const nodes = template.nodes.map((node) =>
			node.name === SCHEDULE ? { ...node, parameters: { rule: { interval: [{ field: 'seconds', secondsInterval: EVERY_SECONDS }] } } } : node,
		);
		assert.ok(nodes.some((node) => node.name === SCHEDULE), `the template has no node "${SCHEDULE}"`);
		({ id: workflowId } = await n8n.importWorkflow({ ...template, nodes }, byNode));
		await n8n.publish(workflowId);
	});

	after(async () => {
		await n8n?.stop({ keepUserFolder: true });
		await gateway.stop();
		await smtp?.close();
		if (process.env.KEFU_E2E_KEEP !== '1') {
			rmSync(userFolder, { recursive: true, force: true });
			rmSync(gatewayFolder, { recursive: true, force: true });
		}
	});

	it('while the session is READY the checks run and mail nothing', async () => {
		const runs = await n8n.waitForExecutions(workflowId, 2, 60_000);
		for (const run of runs) assert.equal(run.status, 'success');
		assert.deepEqual(smtp.mails, []);
	});

	it('FAILED: the mail names the state, the reason and what to do', async () => {
		const since = Date.now();
		await gateway.request('POST', '/simulator/fail', { reason: 'cannot_reach_whatsapp_web' });
		const mail = await alertAfter(since, 'WhatsApp not connected: FAILED');
		assert.deepEqual(mail.to, ['team@example.com']);
		assert.match(textOf(mail), /FAILED \(cannot_reach_whatsapp_web[^)]*\): the gateway cannot reach web\.whatsapp\.com: check its network, DNS and proxy/);
		assert.doesNotMatch(mail.raw, /image\/png/, 'no QR code is pending: nothing to attach');
		await gateway.request('DELETE', '/simulator/fail');
		await until('READY again', async () => ((await gateway.request<{ state: string }>('GET', '/status')).state === 'READY' ? true : undefined));
	});

	it('the phone unlinked the device: the mail brings the QR code as a PNG attachment', async () => {
		const since = Date.now();
		await gateway.request('POST', '/simulator/unlink');
		// The session shows FAILED (logged_out) for about 5 s, then restarts on its own and shows a QR code. A
		// check that falls into those seconds mails the reason; one after them mails the QR code.
		const qr = await alertAfter(since, 'WhatsApp not connected: QR');
		const unlinked = smtp.mails.find((m) => m.at >= since && m.at <= qr.at && m.subject === 'WhatsApp not connected: FAILED');
		if (unlinked) assert.match(textOf(unlinked), /FAILED \(logged_out[^)]*\): the phone unlinked this device: link it again with the QR code/);
		assert.match(textOf(qr), /QR: no phone is linked\. Scan the attached QR code at once/);
		assert.match(qr.raw, /Content-Type: image\/png/i);
		const png = /Content-Type: image\/png[^]*?\r\n\r\n([A-Za-z0-9+/=\r\n]+?)\r\n--/i.exec(qr.raw);
		assert.ok(png, 'no PNG part in the mail');
		assert.equal(Buffer.from(png[1].replace(/\r\n/g, ''), 'base64').subarray(1, 4).toString('latin1'), 'PNG');
		await gateway.request('POST', '/simulator/link');
	});

	it('a gateway n8n cannot reach: the mail says so and what to check', async () => {
		const since = Date.now();
		await gateway.stop();
		try {
			const mail = await alertAfter(since, 'WhatsApp not connected: gateway unreachable');
			assert.match(textOf(mail), /n8n could not reach the WhatsApp Web gateway: .*Check that the gateway runs and the Base URL of its credential\./);
			assert.doesNotMatch(mail.raw, new RegExp(gateway.apiKey));
		} finally {
			await gateway.start();
		}
	});
});
