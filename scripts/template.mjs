// `npm run template -- <name>`: adds a pristine copy of a shipped template to the local n8n of `npm start`, as a
// NEW workflow (own id, own webhook URLs, not published) named "<template> (fresh copy <date>)". The operator's
// own copy is never touched. Without a name it lists the templates.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ensureN8n } from './ensure-n8n.mjs';
import { startEnv } from './lib.mjs';
import { copyOfWorkflow, n8nCli, newWorkflowId, readTemplates } from './workflows.mjs';

const templates = readTemplates();
const wanted = process.argv[2];
const names = templates.map((t) => path.basename(t.file, '.json'));
if (!wanted) {
	console.log('Usage: npm run template -- <name>   adds a fresh copy of a template as a new workflow.');
	console.log(`Templates: ${names.join(', ')}`);
	process.exit(0);
}
const template = templates.find((t) => path.basename(t.file, '.json') === path.basename(wanted, '.json'));
if (!template) {
	console.error(`No template "${wanted}" in workflows/. Templates: ${names.join(', ')}`);
	process.exit(1);
}

ensureN8n();
const { env, userFolder } = startEnv();
const stamp = new Date().toISOString().slice(0, 16).replace('T', ' ');
const copy = copyOfWorkflow(template.json, {
	id: newWorkflowId(),
	name: `${template.json.name} (fresh copy ${stamp} UTC)`,
});
const dir = mkdtempSync(path.join(tmpdir(), 'kefu-template-'));
try {
	writeFileSync(path.join(dir, 'copy.json'), JSON.stringify(copy));
	n8nCli(env, ['import:workflow', `--input=${path.join(dir, 'copy.json')}`]);
} finally {
	rmSync(dir, { recursive: true, force: true });
}
console.log(`Added "${copy.name}" (id ${copy.id}) to the n8n in ${userFolder}, not published.`);
console.log('Your own copy of the template was not touched. Reload the editor\'s workflow list to see it; credentials');
console.log('are to be chosen on its nodes again, and its webhook URLs are new.');
