import { callWithParameters } from '../common/expression';
import { ROUTES } from './engine/route';

/**
 * The outputs of each operation, by label, in order. Route Message's are the routes, at the indexes
 * the templates and operators' workflows wire; Hand Off and Release have one output each, so their
 * items never leave by a route they did not take. Check FAQ routes nothing: its results and its summary
 * differ in shape, so each has an output and reads as one table.
 */
export const OUTPUTS_BY_OPERATION = {
	route: ROUTES.map(({ label }) => label),
	handOff: ['Handed Off'],
	release: ['Released'],
	checkFaq: ['Test Results', 'Summary'],
} as const satisfies Record<string, readonly string[]>;

export type Operation = keyof typeof OUTPUTS_BY_OPERATION;

/** n8n computes the node's outputs from its Operation, in the editor and in the engine. */
export const outputs = callWithParameters(
	function (parameters, labels: Record<string, string[]>) {
		const names = labels[String(parameters.operation || 'route')] || labels.route;
		return names.map(function (displayName) {
			return { type: 'main', displayName: displayName };
		});
	},
	OUTPUTS_BY_OPERATION as unknown as Record<string, string[]>,
);
