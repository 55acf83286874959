// The n8n command line, used before `n8n start` (its commands write the database directly, and need no
// owner account): what exists, import, publish. Each command takes a few seconds (n8n boots its database
// layer every time), so the sandbox asks once per start what is there.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface N8nCli {
	/** Node 24, which n8n 2.x needs. */
	node: string;
	/** n8n's bin/n8n. */
	bin: string;
	/** n8n's environment: user folder and encryption key as `n8n start` gets them. */
	env: NodeJS.ProcessEnv;
}

function run(cli: N8nCli, args: string[]): { ok: boolean; output: string } {
	const r = spawnSync(cli.node, [cli.bin, ...args], { env: cli.env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
	return { ok: r.status === 0, output: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}` };
}

function failed(args: string[], output: string): Error {
	const tail = output.trim().split('\n').slice(-15).join('\n');
	return new Error(`\`n8n ${args[0]}\` failed while preparing the sandbox:\n${tail}`);
}

function runOrThrow(cli: N8nCli, args: string[]): string {
	const { ok, output } = run(cli, args);
	if (!ok) throw failed(args, output);
	return output;
}

export function existingWorkflowIds(cli: N8nCli): Set<string> {
	const output = runOrThrow(cli, ['list:workflow', '--onlyId']);
	return new Set(output.split('\n').map((line) => line.trim()).filter(Boolean));
}

/** Ids of the credentials in n8n's database (their data stays encrypted: the export is not --decrypted). */
export function existingCredentialIds(cli: N8nCli): Set<string> {
	const dir = mkdtempSync(path.join(tmpdir(), 'kefu-sandbox-'));
	try {
		const file = path.join(dir, 'credentials.json');
		const args = ['export:credentials', '--all', `--output=${file}`];
		const { ok, output } = run(cli, args);
		if (!ok) {
			if (output.includes('No credentials found')) return new Set();
			throw failed(args, output);
		}
		return new Set((JSON.parse(readFileSync(file, 'utf8')) as Array<{ id: string }>).map((c) => c.id));
	} finally {
		rmSync(dir, { recursive: true, force: true });
	}
}

/** Imports `items` (credentials or workflows) through a file n8n reads and that is removed at once. */
export function importEntities(cli: N8nCli, kind: 'credentials' | 'workflow', items: unknown[]): void {
	const dir = mkdtempSync(path.join(tmpdir(), 'kefu-sandbox-'));
	try {
		const file = path.join(dir, `${kind}.json`);
		writeFileSync(file, JSON.stringify(items), { mode: 0o600 });
		runOrThrow(cli, [`import:${kind}`, `--input=${file}`]);
	} finally {
		rmSync(dir, { recursive: true, force: true });
	}
}

export function publishWorkflow(cli: N8nCli, id: string): void {
	runOrThrow(cli, ['publish:workflow', `--id=${id}`]);
}
