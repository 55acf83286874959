import type { IExecuteFunctions, INodeExecutionData, INodeType, INodeTypeDescription } from 'n8n-workflow';
import { NodeConnectionTypes } from 'n8n-workflow';

import { callWithParameters } from '../common/expression';
import { OPERATIONS, properties } from './description';
import { execute } from './execute';
import { outputs } from './outputs';
import { EMBEDDINGS_INPUT } from './semanticRoute';

/**
 * The reply router of a customer-service flow: each message goes to the output that says what to
 * do with it, so the flow is visible in the editor (the AI step is the built-in AI Agent on No
 * Match). The logic is in engine/, without n8n; this file only declares the node.
 */
export class AutoReply implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Auto Reply',
		name: 'autoReply',
		icon: { light: 'file:autoReply.svg', dark: 'file:autoReply.dark.svg' },
		group: ['transform'],
		// 2: the FAQ confidence (0 to 1) with synonyms; 1 keeps the older FAQ score for saved workflows.
		version: [1, 2],
		defaultVersion: 2,
		// The operation's name ("Route Message"), not its stored value.
		subtitle: callWithParameters(
			function (parameters, names: Record<string, string>) {
				return names[String(parameters.operation || 'route')] || String(parameters.operation);
			},
			Object.fromEntries(OPERATIONS.map(({ value, name }) => [value, name])),
		),
		description:
			'Route customer messages to keyword replies, FAQ answers, hand-off to a human, out-of-hours replies or the AI step',
		defaults: { name: 'Auto Reply' },
		usableAsTool: true,
		// The Embeddings input is optional: Route Message then also matches the FAQ by meaning.
		inputs: [NodeConnectionTypes.Main, EMBEDDINGS_INPUT],
		outputs,
		properties,
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return await execute.call(this);
	}
}
