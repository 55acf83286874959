import type { ExpressionString } from 'n8n-workflow';

import { ROUTES } from './engine/route';

/**
 * The outputs of each operation, by label, in order. Route Message's are the routes, at the indexes
 * the templates and operators' workflows wire; Hand Off and Release have one output each, so their
 * items never leave by a route they did not take.
 */
export const OUTPUTS_BY_OPERATION = {
	route: ROUTES.map(({ label }) => label),
	handOff: ['Handed Off'],
	release: ['Released'],
} as const satisfies Record<string, readonly string[]>;

export type Operation = keyof typeof OUTPUTS_BY_OPERATION;

/**
 * n8n evaluates the node's `outputs` expression (as for its own Switch node) in the editor and in the
 * engine, from the node's parameters. It runs this function's source text there, so the function uses
 * nothing from outside it: the labels come in as an argument.
 */
function outputsOf(parameters: { operation?: string }, labels: Record<string, string[]>, type: string) {
	const names = labels[parameters.operation || 'route'] || labels.route;
	return names.map(function (displayName) {
		return { type: type, displayName: displayName };
	});
}

export const outputs: ExpressionString = `={{(${outputsOf.toString()})($parameter, ${JSON.stringify(OUTPUTS_BY_OPERATION)}, "main")}}`;
