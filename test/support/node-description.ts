/**
 * What n8n's editor computes from a node's description for a node with given parameters, by n8n's own code
 * (n8n-workflow): its outputs, its subtitle, the fields it shows. No server and no browser.
 */
import type { INode, INodeParameters, INodeProperties, INodeType, INodeTypes } from 'n8n-workflow';
import { NodeHelpers, Workflow } from 'n8n-workflow';

function placed(nodeType: INodeType, parameters: INodeParameters, onError?: INode['onError']): { workflow: Workflow; node: INode } {
	const nodeTypes = {
		getByName: () => nodeType,
		getByNameAndVersion: () => nodeType,
		getKnownTypes: () => ({}),
	} as unknown as INodeTypes;
	const node: INode = {
		id: '1',
		name: 'Node',
		type: `n8n-nodes-kefu.${nodeType.description.name}`,
		typeVersion: 1,
		position: [0, 0],
		parameters,
		...(onError ? { onError } : {}),
	};
	// The workflow fills in the parameters' defaults, as the editor does.
	const workflow = new Workflow({ nodes: [node], connections: {}, active: false, nodeTypes });
	return { workflow, node: workflow.getNode(node.name)! };
}

/** The outputs the editor draws, as "type:label". */
export function outputsShown(nodeType: INodeType, parameters: INodeParameters, onError?: INode['onError']): string[] {
	const { workflow, node } = placed(nodeType, parameters, onError);
	const outputs = NodeHelpers.getNodeOutputs(workflow, node, nodeType.description);
	return outputs.map((output) => (typeof output === 'string' ? output : `${output.type}:${output.displayName ?? ''}`));
}

/** The subtitle under the node on the canvas. */
export function subtitleShown(nodeType: INodeType, parameters: INodeParameters): unknown {
	const { workflow, node } = placed(nodeType, parameters);
	return workflow.expression.getSimpleParameterValue(node, nodeType.description.subtitle!, 'internal', {});
}

/** The top-level fields the panel shows, in order. */
export function fieldsShown(nodeType: INodeType, parameters: INodeParameters): INodeProperties[] {
	const { node } = placed(nodeType, parameters);
	return nodeType.description.properties.filter((property) =>
		NodeHelpers.displayParameter(node.parameters, property, node, nodeType.description),
	);
}
