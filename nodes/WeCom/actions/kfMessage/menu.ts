import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { menuProblem, type KfMenuEntry, type KfMenuItemType } from '../kf/rules';

/**
 * A menu message (msgmenu, docs 94677 and 95122): a head text, items the customer taps, a tail text.
 * The items are one list with a type each, so their order in the editor is their order in WeChat.
 */

const show = (...types: string[]) => ({ show: { type: types } });

export function menuFields(maxItems: number): INodeProperties[] {
	return [
		{
			displayName: 'Head Content',
			name: 'headContent',
			type: 'string',
			typeOptions: { rows: 2 },
			default: '',
			description: 'Text above the items (head_content), at most 1024 bytes',
		},
		{
			displayName: 'Menu Items',
			name: 'menuItems',
			type: 'fixedCollection',
			typeOptions: { multipleValues: true, sortable: true, maxAllowedFields: maxItems },
			default: {},
			placeholder: 'Add Item',
			description: `At most ${maxItems} items, of which at most 10 Click, View or Mini Program items. A tapped Click item comes back as a text message with menu_id.`,
			options: [
				{
					displayName: 'Item',
					name: 'item',
					values: [
						{
							displayName: 'Content',
							name: 'content',
							type: 'string',
							default: '',
							description: 'What the customer sees',
						},
						{
							displayName: 'Menu ID',
							name: 'id',
							type: 'string',
							default: '',
							description: 'Comes back as text.menu_id when the customer taps the item (1–128 bytes)',
							displayOptions: show('click'),
						},
						{
							displayName: 'Mini Program App ID',
							name: 'appid',
							type: 'string',
							default: '',
							placeholder: 'wx123456789abcdef0',
							displayOptions: show('miniprogram'),
						},
						{
							displayName: 'Page Path',
							name: 'pagepath',
							type: 'string',
							default: '',
							placeholder: 'pages/index?orderid=1042',
							displayOptions: show('miniprogram'),
						},
						{
							displayName: 'Type',
							name: 'type',
							type: 'options',
							options: [
								{ name: 'Click', value: 'click', description: 'A reply the customer taps; it comes back with its ID' },
								{ name: 'Mini Program', value: 'miniprogram', description: 'Opens a page of a mini program' },
								{ name: 'Text', value: 'text', description: 'A line of plain text' },
								{ name: 'View', value: 'view', description: 'Opens a web page' },
							],
							default: 'click',
						},
						{
							displayName: 'URL',
							name: 'url',
							type: 'string',
							default: '',
							placeholder: 'https://example.com/orders',
							displayOptions: show('view'),
						},
					],
				},
			],
		},
		{
			displayName: 'Tail Content',
			name: 'tailContent',
			type: 'string',
			typeOptions: { rows: 2 },
			default: '',
			description: 'Text below the items (tail_content), at most 1024 bytes',
		},
	];
}

function entryOf(item: IDataObject): KfMenuEntry {
	const type = String(item.type ?? 'click') as KfMenuItemType;
	const content = String(item.content ?? '');
	switch (type) {
		case 'click':
			return { type, click: { ...(item.id ? { id: String(item.id) } : {}), content } };
		case 'view':
			return { type, view: { url: String(item.url ?? ''), content } };
		case 'miniprogram':
			return { type, miniprogram: { appid: String(item.appid ?? ''), pagepath: String(item.pagepath ?? ''), content } };
		default:
			return { type: 'text', text: { content } };
	}
}

/** The msgmenu object of the item, checked against WeCom's limits before sending. */
export function menuOf(this: IExecuteFunctions, itemIndex: number, maxItems: number): IDataObject {
	const items = (this.getNodeParameter('menuItems.item', itemIndex, []) as IDataObject[]) ?? [];
	const list = items.map(entryOf);
	const problem = menuProblem(list, maxItems);
	if (problem) {
		throw new NodeOperationError(this.getNode(), problem, {
			description: 'Remove items, or turn some of them into Text items, or split the menu over two messages.',
			itemIndex,
		});
	}
	const empty = list.findIndex((entry) => !String((entry[entry.type] as IDataObject).content ?? '').trim());
	if (empty !== -1) {
		throw new NodeOperationError(this.getNode(), `Menu item ${empty + 1} has no content`, {
			description: 'Every item needs the text the customer sees (Content).',
			itemIndex,
		});
	}
	const headContent = String(this.getNodeParameter('headContent', itemIndex, '') ?? '');
	const tailContent = String(this.getNodeParameter('tailContent', itemIndex, '') ?? '');
	if (list.length === 0 && !headContent.trim() && !tailContent.trim()) {
		throw new NodeOperationError(this.getNode(), 'The menu is empty', {
			description: 'Add at least one item, or a head or tail text.',
			itemIndex,
		});
	}
	return {
		...(headContent ? { head_content: headContent } : {}),
		list,
		...(tailContent ? { tail_content: tailContent } : {}),
	};
}
