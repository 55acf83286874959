// The sandbox credentials, created once through n8n's CLI before `n8n start` (no owner account
// needed) and never written again: the operator may have put a real model key into "Sandbox model".
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { workflows } from './workflows';
import { SANDBOX_CREDENTIALS, type SandboxCredentialType } from './world';

/** Ids of the credentials in n8n's database (their data stays encrypted: the export is not --decrypted). */
function existingCredentialIds(env: NodeJS.ProcessEnv, dir: string): Set<string> {
	const file = path.join(dir, 'existing.json');
	try {
		workflows.n8nCli(env, ['export:credentials', '--all', `--output=${file}`]);
	} catch (error) {
		if (/No credentials found/.test((error as { output?: string }).output ?? '')) return new Set();
		throw error;
	}
	return new Set((JSON.parse(readFileSync(file, 'utf8')) as Array<{ id: string }>).map((c) => c.id));
}

/** Creates the sandbox credentials n8n has not got; returns the names created and the names kept. */
export function ensureSandboxCredentials(
	env: NodeJS.ProcessEnv,
	data: Record<SandboxCredentialType, Record<string, string>>,
): { created: string[]; kept: string[] } {
	// A private folder: the import file holds the credentials' data in clear until n8n has encrypted it.
	const dir = mkdtempSync(path.join(tmpdir(), 'kefu-sandbox-'));
	try {
		const existing = existingCredentialIds(env, dir);
		const types = Object.keys(SANDBOX_CREDENTIALS) as SandboxCredentialType[];
		const missing = types.filter((type) => !existing.has(SANDBOX_CREDENTIALS[type].id));
		if (missing.length > 0) {
			const file = path.join(dir, 'sandbox-credentials.json');
			writeFileSync(file, JSON.stringify(missing.map((type) => ({ ...SANDBOX_CREDENTIALS[type], type, data: data[type] }))), { mode: 0o600 });
			workflows.n8nCli(env, ['import:credentials', `--input=${file}`]);
		}
		return {
			created: missing.map((type) => SANDBOX_CREDENTIALS[type].name),
			kept: types.filter((type) => !missing.includes(type)).map((type) => SANDBOX_CREDENTIALS[type].name),
		};
	} finally {
		rmSync(dir, { recursive: true, force: true });
	}
}
