/**
 * The real n8n editor in headless Chromium, for e2e tests: Debian's `chromium` through playwright-core (no
 * browser download), signed in as the harness's owner.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { type Browser, type Page, chromium } from 'playwright-core';

import { type N8nInstance, OWNER } from './harness';

/** Where Chromium is: CHROMIUM_PATH, else Debian's package; an error that says how to get it otherwise. */
export function chromiumPath(): string {
	const candidates = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'];
	for (const file of candidates) if (file && existsSync(file)) return file;
	try {
		return execFileSync('which', ['chromium'], { encoding: 'utf8' }).trim();
	} catch {
		throw new Error(
			'No Chromium for the editor tests: run `node scripts/ensure-chromium.mjs` (it installs Debian\'s ' +
				'chromium and fonts-wqy-zenhei with apt-get), or set CHROMIUM_PATH to a Chromium binary.',
		);
	}
}

export interface Rect {
	left: number;
	top: number;
	right: number;
	bottom: number;
}

/** The canvas as drawn: each node's box and the boxes of its label and output labels, and each wire's path. */
export interface Canvas {
	/** Nodes n8n does not know (the "?" placeholder or the "install this node" marker). */
	unknown: string[];
	/** Nodes whose icon did not load. */
	noIcon: string[];
	/** `parts`: for a node its box, label and output labels; for a sticky note its lines of text. */
	boxes: Array<{ name: string; sticky: boolean; body: Rect; parts: Rect[] }>;
	/** Points along each wire every 4 px, in page coordinates. */
	edges: Array<{ from: string; to: string; points: Array<{ x: number; y: number }> }>;
}

// Runs in the page, so it is plain JavaScript (the tests compile without the DOM's types).
const MEASURE_CANVAS = `(() => {
	const plain = (el) => { const r = el.getBoundingClientRect(); return { left: r.left, top: r.top, right: r.right, bottom: r.bottom }; };
	const unknown = [], noIcon = [], boxes = [];
	// Sticky notes carry no data-test-id; every node, sticky or not, is a .vue-flow__node with its name and type.
	for (const el of document.querySelectorAll('.vue-flow__node > [data-node-name]')) {
		const name = el.dataset.nodeName || '?';
		if (el.dataset.nodeType === 'n8n-nodes-base.stickyNote') {
			// A sticky note's parts are its lines of text: a node may sit on the note, not on what it says.
			const text = [...el.querySelectorAll('h1, h2, h3, h4, h5, h6, p, li')].filter((t) => !t.querySelector('p, li')).map(plain);
			boxes.push({ name, sticky: true, body: plain(el), parts: text });
			continue;
		}
		if (el.querySelector('[data-test-id="node-not-installed"], [class*="nodeIconPlaceholder"]')) unknown.push(name);
		const img = el.querySelector('.n8n-node-icon img');
		const svg = el.querySelector('.n8n-node-icon svg');
		if (!svg && !(img && img.complete && img.naturalWidth > 0)) noIcon.push(name);
		const body = el.querySelector('[data-canvas-node-render-type]') || el;
		const parts = [body, ...el.querySelectorAll('[class*="_description_"], [class*="outputLabel"]')].map(plain);
		boxes.push({ name, sticky: false, body: plain(body), parts });
	}
	const edges = [...document.querySelectorAll('[data-test-id="edge"]')].map((g) => {
		const p = g.querySelector('path.vue-flow__edge-path');
		const m = p.getScreenCTM();
		const points = [];
		for (let at = 0, length = p.getTotalLength(); at <= length; at += 4) {
			const q = p.getPointAtLength(at);
			points.push({ x: q.x * m.a + q.y * m.c + m.e, y: q.x * m.b + q.y * m.d + m.f });
		}
		return { from: g.dataset.sourceNodeName || '?', to: g.dataset.targetNodeName || '?', points };
	});
	return { unknown, noIcon, boxes, edges };
})()`;

export interface EditorSession {
	page: Page;
	/** Opens a workflow on the canvas, waits for its nodes and zooms to fit them. */
	openWorkflow(id: string, nodeCount: number): Promise<void>;
	measureCanvas(): Promise<Canvas>;
	/** Zooms the canvas so every node shows, and waits for the zoom to settle. */
	fitView(): Promise<void>;
	/** What each node's warning triangle says when hovered, one line per issue. */
	nodeIssues(): Promise<Record<string, string[]>>;
	close(): Promise<void>;
}

export async function openEditor(n8n: N8nInstance, viewport = { width: 2560, height: 1440 }): Promise<EditorSession> {
	await n8n.api('GET', '/workflows?limit=1'); // makes the owner on a fresh instance
	const browser: Browser = await chromium.launch({
		executablePath: chromiumPath(),
		args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
	});
	const page = await browser.newPage({ viewport });
	await page.goto(`${n8n.baseUrl}/signin`);
	await page.fill('input[name=emailOrLdapLoginId], input[type=email]', OWNER.email);
	await page.fill('input[type=password]', OWNER.password);
	await page.keyboard.press('Enter');
	await page.waitForURL((url) => !url.pathname.includes('signin'), { timeout: 30_000 });

	const session: EditorSession = {
		page,
		async openWorkflow(id, nodeCount) {
			await page.goto(`${n8n.baseUrl}/workflow/${id}`);
			await page.waitForFunction(
				`document.querySelectorAll('.vue-flow__node > [data-node-name]').length >= ${Number(nodeCount)}`,
				undefined,
				{ timeout: 30_000 },
			);
			await session.fitView();
		},
		async measureCanvas() {
			return (await page.evaluate(MEASURE_CANVAS)) as Canvas;
		},
		async fitView() {
			await page.locator('[data-test-id="zoom-to-fit"]').click();
			await page.waitForTimeout(800); // the zoom animates
		},
		async nodeIssues() {
			const out: Record<string, string[]> = {};
			const markers = page.locator('[data-test-id="canvas-node"]:has([data-test-id="node-issues"])');
			for (let i = 0; i < (await markers.count()); i++) {
				const node = markers.nth(i);
				const name = (await node.getAttribute('data-node-name')) ?? '?';
				await page.mouse.move(0, 0);
				await node.locator('[data-test-id="node-issues"] span').first().hover();
				const tip = page.locator('.n8n-tooltip:visible', { hasText: 'Issues' }).last();
				await tip.waitFor({ timeout: 5_000 });
				const text = await tip.innerText();
				out[name] = text
					.split('\n')
					.map((line) => line.trim())
					.filter((line) => line && line !== 'Issues');
			}
			await page.mouse.move(0, 0);
			return out;
		},
		async close() {
			await browser.close();
		},
	};
	return session;
}
