// n8n's canvas cuts the label of an output that has a wire at 96 px with "…" (about 13 characters at its
// label size; docs/editor.md): "Customer Message" read "Customer Mes…". The outputs the templates name
// themselves (Switch rules) and AutoReply's route labels stay within that, so an operator reads them whole.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';

import { ROUTES } from '../../nodes/AutoReply/engine/route';

const MAX_LABEL = 13;
const workflows = path.resolve(__dirname, '..', '..', '..', 'workflows');

interface SwitchRule {
	renameOutput?: boolean;
	outputKey?: string;
}

describe('template output labels fit the canvas', () => {
	it('every renamed Switch output of every template has at most 13 characters', () => {
		const labels: Array<{ where: string; label: string }> = [];
		for (const file of readdirSync(workflows).filter((f) => f.endsWith('.json'))) {
			const template = JSON.parse(readFileSync(path.join(workflows, file), 'utf8')) as {
				nodes: Array<{ name: string; type: string; parameters?: { rules?: { values?: SwitchRule[] } } }>;
			};
			for (const node of template.nodes.filter((n) => n.type === 'n8n-nodes-base.switch')) {
				for (const rule of node.parameters?.rules?.values ?? []) {
					if (rule.renameOutput && rule.outputKey) labels.push({ where: `${file}: ${node.name}`, label: rule.outputKey });
				}
			}
		}
		assert.ok(labels.length >= 4, 'the templates have fewer renamed outputs than expected: is the file layout still read right?');
		const long = labels.filter(({ label }) => label.length > MAX_LABEL);
		assert.deepEqual(long, [], 'these output labels are cut on the canvas');
	});

	it('AutoReply\'s route labels have at most 13 characters', () => {
		for (const { label } of ROUTES) assert.ok(label.length <= MAX_LABEL, `"${label}" is cut on the canvas`);
	});
});
