// scripts/workflows.mjs is the one place that reads the templates and puts workflows into a local n8n
// (imported only when n8n never had them, never over an operator's copy). `npm start` uses it for the
// templates and the sandbox for its copies; this gives its functions types. It is an ES module: Node 24
// (which runs `npm start` and the tests) loads it with require().
import path from 'node:path';

import type { Template } from './copies';

export interface WorkflowToImport {
	json: Template;
	/** Where it came from, for the start output. */
	source: string;
	sha256: string;
	/** Publish it right after the import (only a workflow imported now is published). */
	publish: boolean;
}

interface WorkflowsModule {
	/** Runs one n8n CLI command with `env`; throws with its last lines (and `output`) when it fails. */
	n8nCli(env: NodeJS.ProcessEnv, args: string[]): string;
	readTemplates(): Array<{ file: string; json: Template; sha256: string }>;
	copyOfWorkflow(workflow: Template, options: { id: string; name: string; webhookIds?: 'derived' | 'random' }): Template;
	importOnce(options: {
		env: NodeJS.ProcessEnv;
		userFolder: string;
		workflows: WorkflowToImport[];
		freshCopyHint?: (workflow: WorkflowToImport) => string;
	}): string[];
}

const projectRoot = path.resolve(__dirname, '..', '..');

// eslint-disable-next-line @typescript-eslint/no-require-imports
export const workflows = require(path.join(projectRoot, 'scripts', 'workflows.mjs')) as WorkflowsModule;
