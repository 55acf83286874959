/**
 * The words on the operator's screen: subtitles name what the operator picked (not stored values), labels
 * say 微信客服 / WeChat Customer Service rather than "Kf", the WeCom Trigger's panel opens with its setting
 * and only the notices that apply, and placeholders are examples a person recognises.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { ICredentialType, INodeProperties, INodeType } from 'n8n-workflow';

import { WeComApi } from '../../credentials/WeComApi.credentials';
import { WeComCallbackApi } from '../../credentials/WeComCallbackApi.credentials';
import { AutoReply } from '../../nodes/AutoReply/AutoReply.node';
import { WeCom } from '../../nodes/WeCom/WeCom.node';
import { WeComTrigger } from '../../nodes/WeCom/WeComTrigger.node';
import { fieldsShown, subtitleShown } from '../support/node-description';

const nodeTypes: INodeType[] = [new WeCom(), new WeComTrigger(), new AutoReply()];
const credentialTypes: ICredentialType[] = [new WeComApi(), new WeComCallbackApi()];

/** Every text of a field an operator reads, with where it is. */
function* texts(properties: INodeProperties[], where: string): Generator<[string, string, string]> {
	for (const property of properties) {
		const at = `${where} → ${property.displayName}`;
		for (const key of ['displayName', 'description', 'hint', 'placeholder'] as const) {
			const value = property[key];
			if (typeof value === 'string') yield [at, key, value];
		}
		for (const option of property.options ?? []) {
			if ('displayName' in option && 'values' in option) yield* texts(option.values, at);
			else if ('displayName' in option) yield* texts([option as INodeProperties], at);
			else {
				yield [at, 'option', option.name];
				if (option.description) yield [at, 'option description', option.description];
				if (option.action) yield [at, 'action', option.action];
			}
		}
	}
}

describe('subtitles name what the operator picked', () => {
	it('WeCom: the operation and resource names', () => {
		const weCom = new WeCom();
		assert.equal(subtitleShown(weCom, { resource: 'kfMessage', operation: 'sendText' }), 'Send Text: WeChat Customer Service Message');
		assert.equal(subtitleShown(weCom, { resource: 'kfMessage', operation: 'pull' }), 'Pull Messages: WeChat Customer Service Message');
		assert.equal(subtitleShown(weCom, { resource: 'kfSession', operation: 'transfer' }), 'Transfer: WeChat Customer Service Session');
		assert.equal(subtitleShown(weCom, {}), 'Send Text: Message', 'the defaults');
	});

	it('Auto Reply: the operation name', () => {
		const autoReply = new AutoReply();
		assert.equal(subtitleShown(autoReply, {}), 'Route Message');
		assert.equal(subtitleShown(autoReply, { operation: 'handOff' }), 'Hand Off Conversation');
		assert.equal(subtitleShown(autoReply, { operation: 'release' }), 'Release Conversation');
	});

	it('WeCom Trigger: the message types, and the events when it listens to chosen events', () => {
		const trigger = new WeComTrigger();
		assert.equal(subtitleShown(trigger, {}), 'Callback: Text');
		assert.equal(subtitleShown(trigger, { messageTypes: ['text', 'image'] }), 'Callback: Text, Image');
		assert.equal(
			subtitleShown(trigger, { messageTypes: ['event'], events: ['kf_msg_or_event'] }),
			'Callback: Customer Service Message or Event',
		);
		assert.equal(subtitleShown(trigger, { messageTypes: ['event'] }), 'Callback: Event', 'all events');
	});
});

describe('labels use the words of WeCom\'s own screens', () => {
	it('no "Kf" in what an operator reads (API names such as kf/sync_msg and open_kfid aside)', () => {
		const found: string[] = [];
		for (const nodeType of nodeTypes) {
			const { displayName, description, properties } = nodeType.description;
			for (const [at, key, value] of [
				[displayName, 'node', description] as [string, string, string],
				...texts(properties, displayName),
			]) {
				if (/\bkf\b(?!\/)/i.test(value)) found.push(`${at} (${key}): ${value}`);
			}
		}
		for (const credential of credentialTypes) {
			for (const [at, key, value] of texts(credential.properties, credential.displayName)) {
				if (/\bkf\b(?!\/)/i.test(value)) found.push(`${at} (${key}): ${value}`);
			}
		}
		assert.deepEqual(found, []);
	});

	it('placeholders are examples, never bare codes such as "2|3"', () => {
		const found: string[] = [];
		for (const nodeType of nodeTypes) {
			for (const [at, key, value] of texts(nodeType.description.properties, nodeType.description.displayName)) {
				if (key === 'placeholder' && /^[\w-]*\|[\w|-]*$|^HH:mm$/.test(value)) found.push(`${at}: ${value}`);
			}
		}
		assert.deepEqual(found, []);
	});
});

describe('WeCom Trigger panel: the setting first, then only the notices that apply', () => {
	const trigger = new WeComTrigger();
	const notices = (parameters: Record<string, unknown>) =>
		fieldsShown(trigger, parameters as never).filter((field) => field.type === 'notice').map((field) => field.name);

	it('opens with Message Types, not with a notice', () => {
		assert.equal(fieldsShown(trigger, {})[0].name, 'messageTypes');
	});

	it('an app callback shows one short notice: where the URL goes', () => {
		assert.deepEqual(notices({ messageTypes: ['text'] }), ['setupNotice']);
	});

	it('微信客服 callbacks add the notice about pulling the messages', () => {
		assert.deepEqual(notices({ messageTypes: ['event'], events: ['kf_msg_or_event'] }), ['kfNotice', 'setupNotice']);
		assert.deepEqual(notices({ messageTypes: ['event'], events: ['click'] }), ['setupNotice']);
	});

	it('each notice reads in a glance (at most two sentences)', () => {
		for (const field of trigger.description.properties.filter((property) => property.type === 'notice')) {
			assert.ok(field.displayName.split(/[.。](?:\s|$)/).filter(Boolean).length <= 2, field.displayName);
		}
	});
});
