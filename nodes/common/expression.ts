import type { ExpressionString } from 'n8n-workflow';

/**
 * An n8n expression that calls `fn` with the node's parameters and `data`, as n8n's own Switch and JWT
 * nodes compute their outputs and subtitles. n8n evaluates it from the function's source text, in the
 * editor and in the engine, so `fn` must use nothing from outside itself: what it needs comes in `data`,
 * written into the expression as JSON, indented so that no two closing braces meet: "}}" ends an
 * expression.
 */
export function callWithParameters<Data>(
	fn: (parameters: Record<string, unknown>, data: Data) => unknown,
	data: Data,
): ExpressionString {
	return `={{(${fn.toString()})($parameter, ${JSON.stringify(data, null, 1)})}}`;
}
