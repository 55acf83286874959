/**
 * Every template in workflows/ as an operator first sees it: imported into the real n8n editor and opened in
 * headless Chromium (Debian's package; scripts/ensure-chromium.mjs installs it). For each template:
 * - every node is known to n8n and shows its icon (no "?" placeholder, no "install this node" marker);
 * - no node's box (with its label, subtitle and output labels) overlaps another node's or a sticky note's
 *   text, no sticky note overlaps another, and no wire runs behind a node it does not connect;
 * - once each node has the credential its type needs (as an admin fills them in after the import), no node
 *   shows an issue: a credential type the harness does not make, or a parameter left empty, shows here;
 * - a screenshot of the whole canvas goes to .test-build/screenshots/templates/<template>.png, and with
 *   KEFU_SCREENSHOTS=docs to docs/templates/<template>.png, which the README shows.
 * New templates are checked by this same test: it reads the folder.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';

import { chromiumPath, openEditor, type EditorSession, type Rect } from './editor';
import { createTemplateCredentials, importTemplate, type N8nInstance, readWorkflow, startN8n } from './harness';

const projectRoot = path.resolve(__dirname, '..', '..', '..');
// A run of the tests leaves the repository as it was: screenshots go to .test-build/, and into docs/templates/
// (which the README shows) only when asked with KEFU_SCREENSHOTS=docs.
const screenshots =
	process.env.KEFU_SCREENSHOTS === 'docs'
		? path.join(projectRoot, 'docs', 'templates')
		: path.join(projectRoot, '.test-build', 'screenshots', 'templates');
const files = readdirSync(path.join(projectRoot, 'workflows'))
	.filter((f) => f.endsWith('.json'))
	.sort();

const overlaps = (a: Rect, b: Rect) => a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;

describe('templates in the real n8n editor (headless Chromium)', () => {
	let n8n: N8nInstance;
	let editor: EditorSession;
	let credentials: Awaited<ReturnType<typeof createTemplateCredentials>>;

	before(async () => {
		chromiumPath(); // fails at once, with what to install, when there is no Chromium
		n8n = await startN8n();
		// Nothing is called: the editor only needs each credential to exist.
		credentials = await createTemplateCredentials(n8n, {
			secrets: { corpId: 'ww0000000000000000', token: 'editorToken', encodingAesKey: 'a'.repeat(43) },
			weComUrl: 'http://127.0.0.1:9',
			openAiUrl: 'http://127.0.0.1:9/v1',
		});
		editor = await openEditor(n8n);
		mkdirSync(screenshots, { recursive: true });
	});

	after(async () => {
		await editor?.close();
		await n8n?.stop();
	});

	for (const file of files) {
		it(`${file}: known nodes with icons, nothing overlaps, no node issue once credentials are set`, async () => {
			const template = readWorkflow(file);
			const { id } = await importTemplate(n8n, template, credentials);
			await editor.openWorkflow(id, template.nodes.length);
			const report = await editor.measureCanvas();

			assert.deepEqual(report.unknown, [], `${file}: nodes n8n does not know`);
			assert.deepEqual(report.noIcon, [], `${file}: nodes without an icon`);

			const problems: string[] = [];
			const nodes = report.boxes.filter((b) => !b.sticky);
			for (let i = 0; i < nodes.length; i++) {
				for (let j = i + 1; j < nodes.length; j++) {
					const hit = nodes[i].parts.some((a) => nodes[j].parts.some((b) => overlaps(a, b)));
					if (hit) problems.push(`"${nodes[i].name}" overlaps "${nodes[j].name}"`);
				}
			}
			const stickies = report.boxes.filter((b) => b.sticky);
			for (let i = 0; i < stickies.length; i++) {
				for (let j = i + 1; j < stickies.length; j++) {
					if (overlaps(stickies[i].body, stickies[j].body)) {
						problems.push(`sticky note "${stickies[i].name}" overlaps sticky note "${stickies[j].name}"`);
					}
				}
			}
			for (const sticky of stickies) {
				for (const node of nodes) {
					if (node.parts.some((a) => sticky.parts.some((b) => overlaps(a, b)))) {
						problems.push(`"${node.name}" covers the text of sticky note "${sticky.name}"`);
					}
				}
			}
			// A wire may start and end at its own nodes; anywhere else it must not pass through a node's box.
			const shrink = (b: Rect, by: number) => ({ left: b.left + by, top: b.top + by, right: b.right - by, bottom: b.bottom - by });
			for (const edge of report.edges) {
				for (const node of nodes) {
					if (node.name === edge.from || node.name === edge.to) continue;
					const inner = shrink(node.body, 2);
					const through = edge.points.some((p) => p.x > inner.left && p.x < inner.right && p.y > inner.top && p.y < inner.bottom);
					if (through) problems.push(`the wire "${edge.from}" → "${edge.to}" runs behind "${node.name}"`);
				}
			}

			await editor.page.screenshot({ path: path.join(screenshots, file.replace(/\.json$/, '.png')) });
			assert.deepEqual(problems, [], `${file}: layout problems (screenshot in ${screenshots})`);

			assert.deepEqual(await editor.nodeIssues(), {}, `${file}: issues an operator would see with the credentials set`);
		});
	}
});
