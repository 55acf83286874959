/**
 * What the node declarations build from one list each: the WeCom node's Operation lists and fields from
 * its resources' entries (actions/resource.ts), AutoReply's outputs from its routes, and the reply
 * length limits from the channel limits. These tests catch an entry that does not fit its list, e.g. an
 * operation file copied from another one whose fields still show for the other operation.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { INodeProperties, INodePropertyOptions } from 'n8n-workflow';

import { AutoReply } from '../../nodes/AutoReply/AutoReply.node';
import { properties as autoReplyProperties } from '../../nodes/AutoReply/description';
import { ROUTES } from '../../nodes/AutoReply/engine/route';
import { properties, resources } from '../../nodes/WeCom/actions/node.description';
import { TEXT_LIMITS } from '../../nodes/shared/channels';

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

describe('AutoReply: outputs from the list of routes', () => {
	it('one output per route, labelled in the same order', () => {
		const { outputs, outputNames } = new AutoReply().description;
		assert.equal(outputs.length, ROUTES.length);
		assert.deepEqual(
			outputNames,
			ROUTES.map(({ label }) => label),
		);
		assert.equal(new Set(ROUTES.map(({ route }) => route)).size, ROUTES.length);
	});

	it('Reply Length Limit offers each channel limit, with its number in the label', () => {
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
