/**
 * One workflow execution as n8n runs it, without a server: a Workflow made from what the database holds
 * (n8n-workflow wraps the static data in its ObservableObject, which marks it changed), and the save n8n
 * makes when the execution ends (the whole static data, only when it changed). docs/state.md.
 */
import { Workflow, type IDataObject, type INodeTypes } from 'n8n-workflow';

let executions = 0;

const nodeTypes = {
	getByName: () => undefined,
	getByNameAndVersion: () => undefined,
	getKnownTypes: () => ({}),
} as unknown as INodeTypes;

export interface N8nExecution {
	workflow: Workflow;
	executionId: string;
	/** What a node's `this` offers for workflow state (common/workflowState.ts). */
	context: {
		getExecutionId(): string;
		getWorkflow(): Workflow;
		getWorkflowStaticData(type: 'global'): IDataObject;
	};
	/** What n8n does at the end of the execution: write the whole static data into `database` if it changed. */
	save(): boolean;
}

/** A new execution of `workflowId`, loading its static data from `database` (n8n's row, kept by the test). */
export function n8nExecution(workflowId: string, database: IDataObject): N8nExecution {
	const workflow = new Workflow({
		id: workflowId,
		nodes: [],
		connections: {},
		active: true,
		nodeTypes,
		staticData: structuredClone(database),
	});
	const executionId = String(++executions);
	return {
		workflow,
		executionId,
		context: {
			getExecutionId: () => executionId,
			getWorkflow: () => workflow,
			getWorkflowStaticData: (type: 'global') => workflow.getStaticData(type),
		},
		save() {
			if (workflow.staticData.__dataChanged !== true) return false;
			const saved = JSON.parse(JSON.stringify(workflow.staticData)) as IDataObject;
			for (const key of Object.keys(database)) delete database[key];
			Object.assign(database, saved);
			return true;
		},
	};
}
