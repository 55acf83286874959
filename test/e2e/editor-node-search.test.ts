/**
 * Findability in the real editor: an operator who opens n8n's node creator and types the words they know
 * (客服, 微信客服, customer service, kf, kefu, keyword, 关键词, WeCom, 企业微信, WeChat Work) finds our nodes.
 * The node creator searches display names and the codex aliases (nodes/**\/*.node.json); this drives it in
 * headless Chromium (Debian's /usr/bin/chromium through playwright-core, no browser download), both where
 * a workflow starts (triggers) and where a step is added (actions).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import type { Browser, Page } from 'playwright-core';

import { type N8nInstance, startN8n } from './harness';

const OWNER = { email: 'owner@kefu.test', password: 'Kefu-e2e-Passw0rd' };

/** The trigger's entry in the node creator: n8n lists it under the app's name, with the trigger's description. */
const TRIGGER = { name: 'WeCom', description: /^Starts the workflow when a WeCom/ };
/** Where a step is added, n8n lists the app once (its actions and its trigger behind one entry). */
const ACTIONS = { name: 'WeCom', description: /WeCom/ };
const AUTO_REPLY = { name: 'Auto Reply', description: /^Route customer messages/ };

/** Search term → the entries it must list. */
const FIRST_STEP: Record<string, Array<typeof TRIGGER>> = {
	客服: [TRIGGER],
	微信客服: [TRIGGER],
	'customer service': [TRIGGER],
	kf: [TRIGGER],
	kefu: [TRIGGER],
	WeCom: [TRIGGER],
	企业微信: [TRIGGER],
	'WeChat Work': [TRIGGER],
	回调: [TRIGGER],
};
const NEXT_STEP: Record<string, Array<typeof TRIGGER>> = {
	客服: [ACTIONS, AUTO_REPLY],
	微信客服: [ACTIONS],
	'customer service': [ACTIONS, AUTO_REPLY],
	kf: [ACTIONS],
	kefu: [ACTIONS, AUTO_REPLY],
	keyword: [AUTO_REPLY],
	关键词: [AUTO_REPLY],
	自动回复: [AUTO_REPLY],
	转人工: [AUTO_REPLY],
	WeCom: [ACTIONS],
	企业微信: [ACTIONS],
	'WeChat Work': [ACTIONS],
};

interface Listed {
	name: string;
	description: string;
}

/** What the node creator lists (run in the page: this project compiles without the DOM's types). */
const LISTED = `[...document.querySelectorAll('[data-test-id="item-iterator-item"]')].map((item) => ({
	name: item.querySelector('[data-test-id="node-creator-item-name"]')?.textContent?.trim() ?? '',
	description: item.querySelector('[data-test-id="node-creator-item-description"]')?.textContent?.trim() ?? '',
}))`;

const lists = (listed: Listed[], wanted: typeof TRIGGER) =>
	listed.some((entry) => entry.name === wanted.name && wanted.description.test(entry.description));

/**
 * Types `term` into the node creator's search and asserts it lists every `expected` entry. The list follows
 * the search box after a debounce (and, on first use, once the node types are loaded): it is read until it
 * shows them, for up to 10 s.
 */
async function assertSearchLists(page: Page, term: string, expected: Array<typeof TRIGGER>): Promise<void> {
	const input = page.locator('[data-test-id="node-creator"] input').first();
	await input.fill(term);
	assert.equal(await input.inputValue(), term);
	let listed: Listed[] = [];
	for (const deadline = Date.now() + 10_000; Date.now() < deadline; await page.waitForTimeout(250)) {
		listed = (await page.evaluate(LISTED)) as Listed[];
		if (expected.every((wanted) => lists(listed, wanted))) return;
	}
	const missing = expected.filter((wanted) => !lists(listed, wanted)).map(({ name, description }) => `${name} (${description.source})`);
	assert.fail(`searching "${term}" does not list ${missing.join(', ')}; it lists ${JSON.stringify(listed)}`);
}

describe('node creator search finds our nodes (real n8n, headless Chromium)', () => {
	let n8n: N8nInstance | undefined;
	let browser: Browser | undefined;
	let page: Page;

	before(async () => {
		n8n = await startN8n();
		await n8n.api('GET', '/workflows'); // makes the owner the browser signs in as
		const { chromium } = await import('playwright-core');
		browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu'] });
		page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
		await page.goto(`${n8n.baseUrl}/signin`);
		await page.fill('input[type=email]', OWNER.email);
		await page.fill('input[type=password]', OWNER.password);
		await page.keyboard.press('Enter');
		await page.waitForURL((url) => !url.pathname.includes('signin'), { timeout: 30_000 });
	});

	after(async () => {
		await browser?.close();
		await n8n?.stop();
	});

	it('"Add first step" lists the WeCom Trigger for each word an operator may type', async () => {
		await page.goto(`${n8n!.baseUrl}/workflow/new`);
		await page.click('[data-test-id="canvas-add-button"]', { timeout: 30_000 });
		for (const [term, expected] of Object.entries(FIRST_STEP)) await assertSearchLists(page, term, expected);
	});

	it('adding a step lists the WeCom node and Auto Reply for each word an operator may type', async () => {
		const { id } = await n8n!.importWorkflow({
			name: 'Node search',
			nodes: [
				{
					id: '1',
					name: 'Start',
					type: 'n8n-nodes-base.manualTrigger',
					typeVersion: 1,
					position: [0, 0],
					parameters: {},
				},
			],
			connections: {},
		});
		await page.goto(`${n8n!.baseUrl}/workflow/${id}`);
		await page.click('[data-test-id="node-creator-plus-button"]', { timeout: 30_000 });
		for (const [term, expected] of Object.entries(NEXT_STEP)) await assertSearchLists(page, term, expected);
	});
});
