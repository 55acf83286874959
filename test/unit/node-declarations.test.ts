/**
 * What the node declarations build from one list each: the WeCom node's Operation lists and fields from
 * its resources' entries (actions/resource.ts), AutoReply's outputs from its routes, and the reply
 * length limits from the channel limits. These tests catch an entry that does not fit its list, e.g. an
 * operation file copied from another one whose fields still show for the other operation.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';

import type { INode, INodeParameters, INodeProperties, INodePropertyOptions, IWorkflowBase } from 'n8n-workflow';

import { AutoReply } from '../../nodes/AutoReply/AutoReply.node';
import { properties as autoReplyProperties } from '../../nodes/AutoReply/description';
import { ROUTES } from '../../nodes/AutoReply/engine/route';
import { properties, resources } from '../../nodes/WeCom/actions/node.description';
import { TEXT_LIMITS } from '../../nodes/common/channels';
import { outputsShown as shownOutputs } from '../support/node-description';

function operationList(resource: string): INodeProperties {
	const found = properties.find(
		(property) => property.name === 'operation' && property.displayOptions?.show?.resource?.[0] === resource,
	);
	assert.ok(found, `no Operation list for ${resource}`);
	return found;
}

describe('WeCom node: resources declare their operations once', () => {
	it('every field of an operation shows for its own resource and operation only', () => {
		for (const resource of resources) {
			for (const value of resource.operations.keys()) {
				const module = resource.operations.get(value)!;
				assert.ok(module.description.length > 0, `${resource.value}.${value} has no fields`);
				for (const field of module.description) {
					assert.deepEqual(
						[field.displayOptions?.show?.resource, field.displayOptions?.show?.operation],
						[[resource.value], [value]],
						`${resource.value}.${value}: field ${field.name}`,
					);
				}
			}
		}
	});

	it('each Operation list offers exactly the operations the router runs, sorted by name, with an offered default', () => {
		for (const resource of resources) {
			const list = operationList(resource.value);
			const options = list.options as INodePropertyOptions[];
			assert.deepEqual(options.map((option) => option.value).sort(), [...resource.operations.keys()].sort());
			const names = options.map((option) => option.name);
			assert.deepEqual(names, [...names].sort((a, b) => a.localeCompare(b, 'en')));
			assert.ok(resource.operations.has(String(list.default)), `${resource.value}: default ${String(list.default)}`);
		}
	});

	it('the Resource list offers every resource once, with an offered default', () => {
		const list = properties.find((property) => property.name === 'resource')!;
		const values = (list.options as INodePropertyOptions[]).map((option) => option.value);
		assert.deepEqual([...values].sort(), resources.map((resource) => resource.value).sort());
		assert.ok(values.includes(list.default as string));
	});
});

const outputsShown = (parameters: INodeParameters, onError?: INode['onError']) => shownOutputs(new AutoReply(), parameters, onError);

describe('AutoReply: the outputs of each operation', () => {
	it('Route Message has one output per route, labelled in the order templates wire them', () => {
		const expected = ROUTES.map(({ label }) => `main:${label}`);
		assert.deepEqual(outputsShown({ operation: 'route' }), expected);
		assert.deepEqual(outputsShown({}), expected, 'the default operation');
		assert.deepEqual(expected.slice(0, 3), ['main:Keyword Reply', 'main:FAQ Answer', 'main:Hand-Off']);
		assert.equal(new Set(ROUTES.map(({ route }) => route)).size, ROUTES.length);
	});

	it('Hand Off Conversation and Release Conversation have one output each, named for what happened', () => {
		assert.deepEqual(outputsShown({ operation: 'handOff' }), ['main:Handed Off']);
		assert.deepEqual(outputsShown({ operation: 'release' }), ['main:Released']);
	});

	it('n8n adds its error output after the operation\'s own outputs', () => {
		assert.deepEqual(outputsShown({ operation: 'release' }, 'continueErrorOutput'), ['main:Success', 'main:Error']);
		assert.equal(outputsShown({ operation: 'route' }, 'continueErrorOutput').length, ROUTES.length + 1);
	});


	it('every template wires AutoReply nodes only from outputs their operation has', () => {
		const folder = path.join(__dirname, '..', '..', '..', 'workflows');
		const templates = readdirSync(folder).filter((file) => file.endsWith('.json'));
		assert.ok(templates.length > 0);
		for (const file of templates) {
			const { nodes, connections } = JSON.parse(readFileSync(path.join(folder, file), 'utf8')) as IWorkflowBase;
			for (const node of nodes.filter(({ type }) => type === 'n8n-nodes-kefu.autoReply')) {
				const shown = outputsShown(node.parameters, node.onError);
				(connections[node.name]?.main ?? []).forEach((targets, output) => {
					if ((targets ?? []).length > 0) assert.ok(output < shown.length, `${file}: "${node.name}" is wired from output ${output}, it has ${shown.join(', ')}`);
				});
			}
		}
	});
});

describe('AutoReply: Reply Length Limit', () => {
	it('offers each channel limit, with its number in the label', () => {
		const field = autoReplyProperties.find((property) => property.name === 'replyLimit')!;
		const offered = (field.options as INodePropertyOptions[]).filter((option) => option.value !== 'none');
		assert.deepEqual(
			offered.map((option) => option.value).sort(),
			Object.keys(TEXT_LIMITS).sort(),
		);
		for (const option of offered) {
			const limit = TEXT_LIMITS[option.value as keyof typeof TEXT_LIMITS];
			assert.ok(option.name.includes(String(limit.max)), `${option.name} does not say ${limit.max}`);
		}
	});
});

describe('AutoReply: fields read in the order an operator fills them', () => {
	const collectionFields = (name: string) => {
		const field = autoReplyProperties.find((property) => property.name === name)!;
		const [group] = field.options as Array<{ values: INodeProperties[] }>;
		return group.values.map((value) => value.name);
	};

	it('a keyword rule: its name first, the priority last (stored names unchanged)', () => {
		assert.deepEqual(collectionFields('keywordRules'), ['name', 'keywords', 'matchType', 'reply', 'priority']);
	});

	it('an FAQ entry: the question, other wordings, then the answer (stored names unchanged)', () => {
		assert.deepEqual(collectionFields('faq'), ['question', 'similarQuestions', 'answer']);
	});

	it('FAQ Entries (JSON) starts as an empty list, which the JSON editor accepts', () => {
		const field = autoReplyProperties.find((property) => property.name === 'faqEntries')!;
		assert.deepEqual(JSON.parse(String(field.default)), []);
	});
});
