/**
 * The sandbox of `npm start`, brought up by the same code (sandbox/index.ts) in a temp user folder on free
 * ports, with the pinned n8n and the WhatsApp gateway on its simulated WhatsApp: the customer simulator page in
 * headless Chromium gets the bots' answers for a WeCom app user, a 微信客服 customer and a WhatsApp customer,
 * and a hand-off word shows the hand-off (for 微信客服 with the session state, for WhatsApp the message to the
 * team); after a colleague types on the WhatsApp phone the bot is silent. A second prepare (the next
 * `npm start`) keeps what is there.
 *
 * KEFU_SCREENSHOTS=docs also saves the page after the conversations as docs/sandbox-simulator.png (微信客服)
 * and docs/sandbox-simulator-whatsapp.png.
 * About 2 min 15 s on an idle 2-core machine, 3 min at load 7; the suite timeout only stops a hang.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';

import { chromium, type Browser, type Page } from 'playwright-core';

import {
	prepareSandbox,
	sandboxPlan,
	startSandboxServers,
	SANDBOX_MODEL_MARKER,
	type SandboxPlan,
	type SandboxServers,
} from '../../sandbox';
import type { SandboxBotKind } from '../../sandbox/copies';
import { SANDBOX_WHATSAPP_TEAM } from '../../sandbox/world';
import { urlVerification, withQuery } from '../fakes/wecom/callback';
import { chromiumPath } from './editor';
import { freePorts, installPackageInto, n8nEnv, OWNER, startN8n, waitForWebhook, type N8nInstance } from './harness';

const projectRoot = path.resolve(__dirname, '..', '..', '..');

describe('sandbox: the customer simulator against the sandbox copies (real n8n, headless Chromium)', { timeout: 420_000 }, () => {
	const userFolder = mkdtempSync(path.join(tmpdir(), 'kefu-sandbox-e2e-'));
	let plan: SandboxPlan;
	let n8n: N8nInstance | undefined;
	let servers: SandboxServers | undefined;
	let browser: Browser | undefined;
	let page: Page;

	const choose = async (kind: SandboxBotKind, user: string) => {
		const copy = plan.copies.find((c) => c.kind === kind);
		assert.ok(copy, `no template in workflows/ is a sandbox bot of kind ${kind}`);
		await page.selectOption('#bot', copy.workflow.id);
		await page.fill('#user', user);
		await page.dispatchEvent('#user', 'change');
	};
	const say = async (text: string) => {
		await page.fill('#text', text);
		await page.click('#send');
	};
	/** Waits until a bubble of `from` shows text matching `pattern`, as the page renders it. */
	const bubble = async (from: 'customer' | 'bot' | 'colleague' | 'event', pattern: RegExp, timeout = 60_000) => {
		const locator = page.locator(`#chat .msg.${from} .bubble`).filter({ hasText: pattern });
		await locator.first().waitFor({ timeout });
		return locator.first();
	};

	before(async () => {
		// First, so that a machine without Chromium learns it at once (the error says how to install it).
		const executablePath = chromiumPath();
		const [simulator, weCom, model, gateway] = await freePorts(4);
		plan = sandboxPlan({
			userFolder,
			env: {
				...process.env,
				// n8n's environment in the tests (the same encryption key as startN8n gives n8n); its ports are unused here.
				...n8nEnv(userFolder, 1, 1),
				KEFU_SANDBOX_PORT: String(simulator),
				FAKE_WECOM_PORT: String(weCom),
				FAKE_OPENAI_PORT: String(model),
				KEFU_SANDBOX_GATEWAY_PORT: String(gateway),
			},
		});
		// As scripts/start.mjs does: the package in place, then the sandbox written before n8n starts.
		installPackageInto(userFolder);
		const report = prepareSandbox(plan);
		assert.ok('main' in plan.whatsApp, `the gateway was not built: ${JSON.stringify(plan.whatsApp)}`);
		assert.deepEqual(report.createdCredentials, ['Sandbox WeCom API', 'Sandbox WeCom Callback', 'Sandbox model', 'Sandbox WhatsApp gateway']);
		assert.deepEqual(
			report.copies,
			plan.copies.map((c) => `imported: "${c.workflow.name}" (${c.workflow.id}, published) from workflows/${c.templateFile} (sandbox copy)`),
		);
		n8n = await startN8n({ userFolder });
		servers = await startSandboxServers(plan, { n8nUrl: n8n.baseUrl });
		// Published by the CLI before n8n started: n8n registers the webhooks while it boots.
		for (const copy of plan.copies) {
			const url = `${n8n.baseUrl}/webhook/${copy.triggerWebhookId}/webhook`;
			if (copy.kind === 'whatsapp') await registeredWithGateway(url);
			else await waitForWebhook(withQuery(url, urlVerification(plan.secrets, 'warm-up')));
		}
		browser = await chromium.launch({ executablePath, args: ['--no-sandbox', '--disable-gpu'] });
		page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
		await page.goto(servers.simulatorUrl);
		await page.locator('#bot option').first().waitFor({ state: 'attached' });
	});

	/** n8n registers a published WhatsApp trigger with the gateway (webhookMethods.create) while it boots. */
	const registeredWithGateway = async (url: string) => {
		const deadline = Date.now() + 60_000;
		for (;;) {
			const res = await fetch(`${servers!.whatsAppGateway!.url}/webhooks`, { headers: { 'x-api-key': plan.gatewaySecrets.apiKey } });
			const { webhooks } = (await res.json()) as { webhooks: Array<{ url: string }> };
			if (webhooks.some((w) => w.url === url)) return;
			if (Date.now() > deadline) throw new Error(`n8n did not register ${url} with the sandbox gateway in 60 s`);
			await new Promise((r) => setTimeout(r, 500));
		}
	};

	after(async () => {
		await browser?.close();
		await servers?.close();
		await n8n?.stop({ keepUserFolder: true });
		if (process.env.KEFU_E2E_KEEP !== '1') rmSync(userFolder, { recursive: true, force: true });
	});

	it('a WeCom app user types a question and sees the sandbox model\'s answer, with a link to the execution', async () => {
		await choose('app', 'zhangsan');
		await say('下周的团建在哪里？');
		const answer = await bubble('bot', /团建/);
		assert.ok((await answer.textContent())?.startsWith(SANDBOX_MODEL_MARKER), 'the AI answer carries no sandbox marker');
		assert.equal(servers?.weCom.sentMessages.at(-1)?.body.touser, 'zhangsan');
		const link = page.locator('#chat .msg.customer a[href*="/executions/"]').first();
		await link.waitFor({ timeout: 30_000 });
		const copy = plan.copies.find((c) => c.kind === 'app');
		assert.match(String(await link.getAttribute('href')), new RegExp(`^${n8n?.baseUrl}/workflow/${copy?.workflow.id}/executions/\\d+$`));
		const [execution] = await n8n!.executions(copy!.workflow.id);
		const href = `${n8n?.baseUrl}/workflow/${copy?.workflow.id}/executions/${execution.id}`;
		assert.equal(await link.getAttribute('href'), href);
		// The link opens that execution in the editor once the operator has logged in (n8n keeps the target).
		const editor = await browser!.newPage({ viewport: { width: 1400, height: 900 } });
		try {
			await editor.goto(href);
			await editor.fill('input[type=email]', OWNER.email);
			await editor.fill('input[type=password]', OWNER.password);
			await editor.keyboard.press('Enter');
			await editor.getByText(`ID#${execution.id}`).first().waitFor({ timeout: 60_000 });
			assert.equal(editor.url(), href);
		} finally {
			await editor.close();
		}
	});

	it('"转人工" from an app user: the page shows the bot\'s hand-off answer and the colleague it told', async () => {
		await choose('app', 'lisi');
		await say('转人工');
		// The app template tells a colleague (its Notify Colleague node) and answers the user.
		await bubble('event', /^To \S+: 【转人工】lisi/);
		const answer = await bubble('bot', /./);
		assert.doesNotMatch(String(await answer.textContent()), /\[sandbox model\]/, 'a hand-off is no AI answer');
	});

	it('a 微信客服 customer gets the keyword answer, and "转人工" shows the hand-off and the queued session', async () => {
		await choose('kf', 'wm_sandbox_e2e');
		await say('请问价格是多少');
		await bubble('bot', /价格/);
		await say('转人工');
		await bubble('bot', /人工/);
		await bubble('event', /待接入池/);
		await page.locator('#service-state').filter({ hasText: /^2 · / }).waitFor({ timeout: 30_000 });
		assert.equal(servers?.weCom.kfSessionState(servers.weCom.kfAccounts[0].open_kfid, 'wm_sandbox_e2e').service_state, 2);
		if (process.env.KEFU_SCREENSHOTS === 'docs') {
			await page.screenshot({ path: path.join(projectRoot, 'docs', 'sandbox-simulator.png') });
		}
	});

	it('a WhatsApp customer gets the keyword answer, and "human" shows the message to the team', async () => {
		await choose('whatsapp', '8613800000711');
		await say('How much does the blue one cost?');
		await bubble('bot', /^Prices depend on the product/);
		await say('I want a human');
		await bubble('event', new RegExp(`^To the team \\(\\+${SANDBOX_WHATSAPP_TEAM}\\): \\[Hand-off\\] .*\\(\\+8613800000711\\) wants a person`));
		await bubble('bot', /colleague will answer/);
	});

	it('after a colleague types on the WhatsApp phone, the page shows the bot silent in that chat, and it is', async () => {
		const customer = '8613800000712';
		const sentHere = async () => (await servers!.whatsAppGateway!.sent()).filter((m) => m.chatId === `${customer}@c.us`);
		await choose('whatsapp', customer);
		await say('hello');
		await bubble('bot', /^Hello!/);
		await page.fill('#phone-text', 'Hi, this is Anna from the shop, I will help you myself.');
		await page.click('#phone-send');
		await bubble('colleague', /^Hi, this is Anna/);
		await bubble('event', /^The bot stays silent in this chat: a colleague is answering/);
		/** The execution the message `text` started has finished, as the page shows it. */
		const done = async (from: 'customer' | 'colleague', text: string) =>
			await page.locator(`#chat .msg.${from}`).filter({ hasText: text }).locator('a.status-success').waitFor({ timeout: 60_000 });
		// Its execution done (AutoReply's hand-off noted), the customer writes again.
		await done('colleague', 'Hi, this is Anna');
		await say('how much is it?');
		await done('customer', 'how much is it?');
		// The execution of "how much is it?" finished: a reply would have gone out through the gateway by now.
		assert.deepEqual((await sentHere()).map((m) => m.text?.slice(0, 6)), ['Hello!']);
		assert.equal(await page.locator('#chat .msg.bot').count(), 1);
		if (process.env.KEFU_SCREENSHOTS === 'docs') {
			await page.screenshot({ path: path.join(projectRoot, 'docs', 'sandbox-simulator-whatsapp.png') });
		}
	});

	it('the next start keeps the sandbox credentials and copies as they are', () => {
		const report = prepareSandbox(plan);
		assert.deepEqual(report.createdCredentials, []);
		assert.equal(report.keptCredentials.length, 4);
		assert.deepEqual(
			report.copies,
			plan.copies.map((c) => `left alone: "${c.workflow.name}" (${c.workflow.id}, published)`),
		);
	});
});
