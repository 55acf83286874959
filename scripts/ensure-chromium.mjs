// Makes sure Debian's Chromium (and a font with Chinese glyphs) is there for the tests that open pages in
// headless Chromium through playwright-core: the project never downloads a browser of its own.
//   node scripts/ensure-chromium.mjs
// Installs `chromium fonts-wqy-zenhei` with apt-get (through sudo when not root) when /usr/bin/chromium is
// missing; says what to install where apt-get is not available.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export const CHROMIUM = '/usr/bin/chromium';
const PACKAGES = ['chromium', 'fonts-wqy-zenhei'];

function has(command) {
	return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

export function ensureChromium() {
	if (existsSync(CHROMIUM)) return CHROMIUM;
	const manual =
		`Install Chromium so that ${CHROMIUM} exists, with a font for Chinese (on Debian or Ubuntu: ` +
		`\`sudo apt-get install -y ${PACKAGES.join(' ')}\`), then run the tests again.`;
	if (!has('apt-get')) throw new Error(`[ensure-chromium] ${CHROMIUM} is missing and apt-get is not available. ${manual}`);
	const root = process.getuid?.() === 0;
	if (!root && !has('sudo')) throw new Error(`[ensure-chromium] ${CHROMIUM} is missing and installing needs root. ${manual}`);
	const [cmd, prefix] = root ? ['apt-get', []] : ['sudo', ['apt-get']];
	console.log(`[ensure-chromium] ${CHROMIUM} is missing: installing ${PACKAGES.join(', ')} with apt-get`);
	for (const args of [['update'], ['install', '-y', ...PACKAGES]]) {
		const r = spawnSync(cmd, [...prefix, ...args], { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
		if (r.status !== 0) throw new Error(`[ensure-chromium] apt-get ${args[0]} failed (exit ${r.status}). ${manual}`);
	}
	if (!existsSync(CHROMIUM)) throw new Error(`[ensure-chromium] apt-get finished but ${CHROMIUM} is still missing. ${manual}`);
	return CHROMIUM;
}

if (import.meta.url === `file://${process.argv[1]}`) {
	try {
		console.log(`[ensure-chromium] ${ensureChromium()} is there`);
	} catch (error) {
		console.error(error.message);
		process.exit(1);
	}
}
