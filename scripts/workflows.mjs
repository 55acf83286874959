// Putting workflows into a local n8n without ever touching what an operator built there.
//
// `n8n import:workflow` replaces a workflow that has the same id and unpublishes it, so importing the
// templates on every start wiped the operator's rules, FAQ, pinned data and chosen credentials and silenced a
// live bot. Here a workflow is imported only when n8n has no workflow with its id and it was never imported
// into this n8n before (an operator who deleted a template meant it). Everything else is reported, not changed.
// All of this goes through n8n's own CLI, which reads and writes the database of the user folder; the CLI's
// writes are seen by a running n8n only after a restart, so these run before `n8n start`.
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { n8nBin, node24Bin, root } from './lib.mjs';

/** Runs one n8n CLI command quietly (it prints migrations and warnings); on failure shows its last lines. */
export function n8nCli(env, args) {
	const r = spawnSync(node24Bin(), [n8nBin(), ...args], {
		cwd: root,
		env,
		encoding: 'utf8',
		maxBuffer: 64 * 1024 * 1024,
		timeout: 180_000,
	});
	const output = `${r.stdout ?? ''}${r.stderr ?? ''}`;
	if (r.status !== 0) {
		const last = output.trim().split('\n').slice(-12).join('\n');
		const error = new Error(`n8n ${args[0]} failed (exit ${r.status ?? r.signal}):\n${last}`);
		error.output = output;
		throw error;
	}
	return output;
}

/** Every workflow in the n8n of `env`: id → { name, active (published), isArchived }. */
export function listWorkflows(env) {
	// A private folder: the export holds the workflows' static data (conversation state) and pinned data.
	const dir = mkdtempSync(path.join(tmpdir(), 'kefu-list-'));
	try {
		const file = path.join(dir, 'all.json');
		try {
			n8nCli(env, ['export:workflow', '--all', `--output=${file}`]);
		} catch (error) {
			if (/No workflows found/.test(error.output ?? '')) return new Map();
			throw error;
		}
		const all = JSON.parse(readFileSync(file, 'utf8'));
		return new Map(
			all.map((w) => [w.id, { name: w.name, active: Boolean(w.active), isArchived: Boolean(w.isArchived) }]),
		);
	} finally {
		rmSync(dir, { recursive: true, force: true });
	}
}

/** The templates shipped in workflows/: { file, json, sha256 } in file-name order. */
export function readTemplates() {
	const dir = path.join(root, 'workflows');
	return readdirSync(dir)
		.filter((f) => f.endsWith('.json'))
		.sort()
		.map((file) => {
			const text = readFileSync(path.join(dir, file), 'utf8');
			return { file, json: JSON.parse(text), sha256: createHash('sha256').update(text).digest('hex') };
		});
}

/** n8n's workflow ids are 16 letters and digits. */
export function newWorkflowId() {
	const alphabet = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
	return Array.from(randomBytes(16), (b) => alphabet[b % alphabet.length]).join('');
}

/**
 * A copy of a workflow that can live beside the original: its own id and name, and its own webhook ids (two
 * published workflows with the same webhook id would fight over one URL). `webhookIds: 'derived'` gives the
 * same ids for the same copy id every time (the sandbox's URLs stay put across starts), `'random'` new ones.
 */
export function copyOfWorkflow(workflow, { id, name, webhookIds = 'random' }) {
	const derive = (node) => {
		if (webhookIds === 'random') return randomUUID();
		const h = createHash('sha256').update(`${id}\0${node.name}`).digest('hex');
		return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
	};
	const copy = structuredClone(workflow);
	copy.id = id;
	copy.name = name;
	delete copy.active;
	delete copy.versionId;
	for (const node of copy.nodes) if (node.webhookId) node.webhookId = derive(node);
	return copy;
}

/**
 * Where the ledger of imported templates is kept, and the file whose presence says the database it describes is
 * still there: by default beside n8n's SQLite database. Queue mode keeps it inside its Postgres cluster's data
 * directory instead (scripts/start-queue.mjs), so a cluster made anew never inherits an old ledger.
 */
function ledgerPaths(userFolder, ledger) {
	return ledger ?? {
		file: path.join(userFolder, '.n8n', 'kefu-imported.json'),
		database: path.join(userFolder, '.n8n', 'database.sqlite'),
	};
}

function readLedger(paths) {
	// A ledger without the database it describes (the operator removed database.sqlite) means nothing.
	if (!existsSync(paths.database)) return {};
	try {
		return JSON.parse(readFileSync(paths.file, 'utf8'));
	} catch {
		return {};
	}
}

/**
 * Imports each of `workflows` ({ json, source, sha256, publish }) that this n8n does not have and never had,
 * publishes the new ones marked `publish`, and leaves every other workflow as it is. Returns one line per
 * workflow saying what happened, for the start output. `ledger` ({ file, database }) moves the ledger.
 */
export function importOnce({ env, userFolder, workflows, freshCopyHint, ledger: ledgerAt }) {
	const paths = ledgerPaths(userFolder, ledgerAt);
	const ledger = readLedger(paths);
	const existing = listWorkflows(env);
	const lines = [];
	const toImport = [];
	for (const w of workflows) {
		const { id, name } = w.json;
		const have = existing.get(id);
		const record = ledger[id];
		if (have) {
			const state = have.isArchived ? 'archived' : have.active ? 'published' : 'not published';
			let line = `left alone: "${have.name}" (${id}, ${state})`;
			if (record && record.sha256 !== w.sha256) {
				line += `; ${w.source} has changed since it was imported on ${record.importedAt.slice(0, 10)}`;
				if (freshCopyHint) line += `: ${freshCopyHint(w)} adds the new version beside yours`;
			}
			lines.push(line);
		} else if (record) {
			let line = `not imported again: "${name}" (${id}) was deleted in n8n`;
			if (freshCopyHint) line += `; ${freshCopyHint(w)} brings back a fresh copy`;
			lines.push(line);
		} else {
			toImport.push(w);
		}
	}
	if (toImport.length > 0) {
		const dir = mkdtempSync(path.join(tmpdir(), 'kefu-import-'));
		try {
			toImport.forEach((w, i) => writeFileSync(path.join(dir, `${i}.json`), JSON.stringify(w.json)));
			n8nCli(env, ['import:workflow', '--separate', `--input=${dir}`]);
		} finally {
			rmSync(dir, { recursive: true, force: true });
		}
		const importedAt = new Date().toISOString();
		for (const w of toImport) {
			ledger[w.json.id] = { source: w.source, sha256: w.sha256, importedAt };
			if (w.publish) n8nCli(env, ['publish:workflow', `--id=${w.json.id}`]);
			lines.push(`imported: "${w.json.name}" (${w.json.id}${w.publish ? ', published' : ''}) from ${w.source}`);
		}
		writeFileSync(paths.file, `${JSON.stringify(ledger, null, 2)}\n`);
	}
	return lines;
}

/**
 * What `npm start` and `npm run start:queue` do with workflows/: templates go in only when this n8n has never
 * had them, unpublished; an operator's copy (rules, FAQ, pinned data, chosen credentials, published state) is
 * never replaced or unpublished. Prints one line per template.
 */
export function importTemplates({ env, userFolder, prefix, ledger }) {
	const templates = readTemplates();
	if (templates.length === 0) return;
	console.log(`${prefix} templates from workflows/ (imported only when n8n does not have them yet):`);
	const lines = importOnce({
		env,
		userFolder,
		ledger,
		workflows: templates.map((t) => ({ json: t.json, source: `workflows/${t.file}`, sha256: t.sha256, publish: false })),
		freshCopyHint: (w) => `\`npm run template -- ${path.basename(w.source, '.json')}\``,
	});
	for (const line of lines) console.log(`${prefix}   ${line}`);
}
