/**
 * Every node of the package has a codex file (<Node>.node.json beside it): n8n's node creator finds a node
 * by its display name and the codex aliases, files it under the codex categories, and links "Docs" to its
 * primaryDocumentation. test/e2e/editor-node-search.test.ts types the same words into the real editor.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';

import type { INodeType } from 'n8n-workflow';

const root = path.join(__dirname, '..', '..', '..');
const packageJson = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {
	name: string;
	homepage: string;
	n8n: { nodes: string[] };
};

interface Codex {
	node: string;
	categories?: string[];
	alias?: string[];
	resources?: { primaryDocumentation?: Array<{ url: string }> };
}

/** Words operators type, and the nodes (by name) each must find. */
const SEARCHES: Record<string, string[]> = {
	客服: ['weCom', 'weComTrigger', 'autoReply', 'whatsAppWeb', 'whatsAppWebTrigger'],
	微信客服: ['weCom', 'weComTrigger'],
	通讯录: ['weCom'],
	directory: ['weCom'],
	'customer service': ['weCom', 'weComTrigger', 'autoReply', 'whatsAppWeb', 'whatsAppWebTrigger'],
	'whatsapp web': ['whatsAppWeb', 'whatsAppWebTrigger'],
	wa: ['whatsAppWeb', 'whatsAppWebTrigger'],
	kf: ['weCom', 'weComTrigger'],
	kefu: ['weCom', 'weComTrigger', 'autoReply'],
	keyword: ['autoReply'],
	关键词: ['autoReply'],
	WeCom: ['weCom', 'weComTrigger'],
	企业微信: ['weCom', 'weComTrigger'],
	'WeChat Work': ['weCom', 'weComTrigger'],
	小程序: ['weChatMiniProgram', 'weChatMiniProgramTrigger'],
	'mini program': ['weChatMiniProgram', 'weChatMiniProgramTrigger'],
	订阅消息: ['weChatMiniProgram', 'weChatMiniProgramTrigger'],
};

const nodes = packageJson.n8n.nodes.map((built) => {
	const source = built.replace(/^dist\//, '').replace(/\.js$/, '');
	const compiled = require(path.join(root, '.test-build', source)) as Record<string, new () => INodeType>;
	const description = new (Object.values(compiled)[0])().description;
	const codexFile = path.join(root, `${source}.json`);
	return { source, description, codexFile };
});

function codexOf(codexFile: string): Codex {
	assert.ok(existsSync(codexFile), `${path.relative(root, codexFile)} is missing`);
	return JSON.parse(readFileSync(codexFile, 'utf8')) as Codex;
}

describe('codex files: the node creator finds every node', () => {
	it('every node has a codex naming it, with categories and a link to its README section', () => {
		for (const { description, codexFile } of nodes) {
			const codex = codexOf(codexFile);
			assert.equal(codex.node, `${packageJson.name}.${description.name}`);
			assert.ok((codex.categories ?? []).length > 0, `${codex.node} has no category`);
			const docs = codex.resources?.primaryDocumentation?.[0]?.url ?? '';
			assert.match(docs, new RegExp(`^${packageJson.homepage.replace(/[.]/g, '\\.')}#[a-z0-9-]+$`), `${codex.node}: ${docs}`);
		}
	});

	it('each word an operator types matches the display name or an alias of the nodes it should find', () => {
		const searchable = new Map(
			nodes.map(({ description, codexFile }) => [
				description.name,
				[description.displayName, ...(codexOf(codexFile).alias ?? [])].map((word) => word.toLowerCase()),
			]),
		);
		for (const [term, expected] of Object.entries(SEARCHES)) {
			for (const name of expected) {
				const words = searchable.get(name);
				assert.ok(words, `no node ${name}`);
				assert.ok(
					words.some((word) => word.includes(term.toLowerCase())),
					`searching "${term}" would not find ${name}`,
				);
			}
		}
	});
});

describe('codex docs links', () => {
	it("each node's Docs link opens a heading that the README has", () => {
		const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
		// GitHub's anchor for a heading: lower case, spaces to hyphens, other punctuation dropped.
		const anchors = new Set(
			[...readme.matchAll(/^#{1,6} (.+)$/gm)].map((m) =>
				m[1].trim().toLowerCase().replace(/[^\p{L}\p{N} _-]/gu, '').replace(/ /g, '-'),
			),
		);
		for (const file of packageJson.n8n.nodes) {
			const codexFile = path.join(root, file.replace(/^dist\//, '').replace(/\.js$/, '.json'));
			const codex = JSON.parse(readFileSync(codexFile, 'utf8')) as Codex;
			const url = codex.resources?.primaryDocumentation?.[0]?.url ?? '';
			const anchor = url.split('#')[1] ?? '';
			assert.ok(anchors.has(anchor), `${codexFile}: README has no heading for #${anchor}`);
		}
	});
});
