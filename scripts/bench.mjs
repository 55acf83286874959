// `npm run bench -- <name> [more names]`: compiles the tests and benchmarks, then runs bench/<name>.bench.ts
// (or bench/<name>.ts) one after the other on the project's Node 24. Without a name it lists them.
// What each one measures, on which machine, and its last figures: bench/README.md.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { root } from './lib.mjs';

const benchDir = path.join(root, 'bench');
const available = readdirSync(benchDir)
	.filter((file) => file.endsWith('.ts'))
	.map((file) => file.replace(/(\.bench)?\.ts$/, ''))
	.sort();

const names = process.argv.slice(2);
if (names.length === 0) {
	console.log(`Benchmarks (npm run bench -- <name>): ${available.join(', ')}\nSee bench/README.md.`);
	process.exit(0);
}
const unknown = names.filter((name) => !available.includes(name));
if (unknown.length > 0) {
	console.error(`No benchmark named ${unknown.join(', ')}. Available: ${available.join(', ')}`);
	process.exit(2);
}

function run(cmd, args) {
	const result = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
	if (result.status !== 0) process.exit(result.status ?? 1);
}

run('npm', ['run', '--silent', 'build']);
run(path.join(root, 'node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.test.json']);
for (const name of names) {
	const built = [`${name}.bench.js`, `${name}.js`]
		.map((file) => path.join(root, '.test-build', 'bench', file))
		.find((file) => existsSync(file));
	console.log(`\n=== bench ${name}`);
	run(process.execPath, [built]);
}
