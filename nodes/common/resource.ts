import type {
	IDataObject,
	IExecuteFunctions,
	INodeExecutionData,
	INodeProperties,
	INodePropertyOptions,
} from 'n8n-workflow';

import { callWithParameters } from './expression';

/**
 * How a resource of an action node (WeCom, WhatsApp Web) is declared: its entry in the Resource list and
 * its operations, each with its entry in the Operation list and the module that implements it. The node's
 * fields and its router (router.ts) are both built from these declarations, so adding an operation is one
 * <operation>.operation.ts file and one entry in its resource's index.ts.
 */

/** What every <resource>/<operation>.operation.ts exports: one of the two shapes below. */
export type OperationModule = ItemOperationModule | AllItemsOperationModule;

export interface ItemOperationModule {
	/** Its fields, shown for its resource and operation only (updateDisplayOptions). */
	description: INodeProperties[];
	/**
	 * Answers one input item with one output item, or with a list (one output item each): its json, or a
	 * whole item with `binary` when the answer is a file.
	 */
	execute(this: IExecuteFunctions, itemIndex: number): Promise<IDataObject | IDataObject[] | INodeExecutionData>;
}

/**
 * An operation that runs once for all its input items together, because it reads them as one set (a
 * directory sync compares WeCom with the rows the items are). Its parameters are read from the first item.
 */
export interface AllItemsOperationModule {
	description: INodeProperties[];
	executeForAllItems(this: IExecuteFunctions): Promise<INodeExecutionData[]>;
}

/** An operation's entry in the Operation list (its value is its key in `operations`) and its module. */
export interface OperationEntry {
	name: string;
	description: string;
	action: string;
	module: OperationModule;
}

export interface ResourceSpec<Operations extends Record<string, OperationEntry>> {
	/** The resource's entry in the Resource list. */
	name: string;
	value: string;
	description: string;
	defaultOperation: keyof Operations & string;
	/** By the value the node stores in `operation`; their fields follow one another in this order. */
	operations: Operations;
}

export interface Resource {
	name: string;
	value: string;
	description: string;
	operations: ReadonlyMap<string, OperationModule>;
	/** Each operation's name in the Operation list, by its value. */
	operationNames: ReadonlyMap<string, string>;
	/** The Operation list, then the fields of each operation. */
	properties: INodeProperties[];
}

/** n8n's editor lists options by name (and its lint asks for it). */
export function byName(a: INodePropertyOptions, b: INodePropertyOptions): number {
	return a.name.localeCompare(b.name, 'en');
}

export function defineResource<Operations extends Record<string, OperationEntry>>(
	spec: ResourceSpec<Operations>,
): Resource {
	const entries = Object.entries(spec.operations);
	const { defaultOperation } = spec;
	return {
		name: spec.name,
		value: spec.value,
		description: spec.description,
		operations: new Map(entries.map(([value, entry]) => [value, entry.module])),
		operationNames: new Map(entries.map(([value, entry]) => [value, entry.name])),
		properties: [
			{
				displayName: 'Operation',
				name: 'operation',
				type: 'options',
				noDataExpression: true,
				displayOptions: { show: { resource: [spec.value] } },
				options: entries
					.map(([value, { name, description, action }]) => ({ name, value, description, action }))
					.sort(byName),
				default: defaultOperation,
			},
			...entries.flatMap(([, entry]) => entry.module.description),
		],
	};
}

/** An action node's fields: Resource, then each resource's Operation list and the fields of its operations. */
export function nodeProperties(resources: readonly Resource[], defaultResource: string): INodeProperties[] {
	return [
		{
			displayName: 'Resource',
			name: 'resource',
			type: 'options',
			noDataExpression: true,
			options: resources.map(({ name, value, description }) => ({ name, value, description })).sort(byName),
			default: defaultResource,
		},
		...resources.flatMap((resource) => resource.properties),
	];
}

/** "Send Text: Message": the names the operator picked, not the stored values (the node's subtitle). */
export function operationSubtitle(resources: readonly Resource[]): string {
	return callWithParameters(
		function (parameters, names: Record<string, { name: string; operations: Record<string, string> }>) {
			const resource = names[String(parameters.resource)];
			if (!resource) return String(parameters.operation);
			return (resource.operations[String(parameters.operation)] || String(parameters.operation)) + ': ' + resource.name;
		},
		Object.fromEntries(
			resources.map(({ value, name, operationNames }) => [value, { name, operations: Object.fromEntries(operationNames) }]),
		),
	);
}
