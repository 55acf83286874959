// Chromium for the editor and simulator tests: Debian's `chromium` package and a font that draws Chinese
// (fonts-wqy-zenhei), installed with apt-get when missing. No browser is downloaded from anywhere else.
// CHROMIUM_PATH points at another Chromium instead.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const PACKAGES = ['chromium', 'fonts-wqy-zenhei'];

function installed(pkg) {
	const r = spawnSync('dpkg-query', ['-W', '-f=${Status}', pkg], { encoding: 'utf8' });
	return r.status === 0 && r.stdout.includes('install ok installed');
}

export function ensureChromium() {
	if (process.env.CHROMIUM_PATH) {
		if (existsSync(process.env.CHROMIUM_PATH)) return process.env.CHROMIUM_PATH;
		throw new Error(`CHROMIUM_PATH=${process.env.CHROMIUM_PATH} does not exist.`);
	}
	if (!existsSync('/usr/bin/dpkg-query')) {
		if (existsSync('/usr/bin/chromium')) return '/usr/bin/chromium';
		throw new Error('No Chromium: this is not a Debian system, so install Chromium yourself and set CHROMIUM_PATH to it.');
	}
	const missing = PACKAGES.filter((pkg) => !installed(pkg));
	if (missing.length > 0) {
		const asRoot = process.getuid?.() === 0;
		const sudo = asRoot ? [] : ['sudo', '-n'];
		console.log(`[chromium] installing ${missing.join(' ')} with apt-get`);
		for (const args of [['update', '-q'], ['install', '-y', '-q', '--no-install-recommends', ...missing]]) {
			const cmd = [...sudo, 'apt-get', ...args];
			const r = spawnSync(cmd[0], cmd.slice(1), {
				stdio: 'inherit',
				env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
			});
			if (r.status !== 0) {
				throw new Error(
					`\`${cmd.join(' ')}\` failed (exit ${r.status ?? r.signal}). Install them yourself: ` +
						`sudo apt-get install ${missing.join(' ')}`,
				);
			}
		}
	}
	return '/usr/bin/chromium';
}

if (import.meta.url === `file://${process.argv[1]}`) {
	try {
		console.log(`[chromium] ${ensureChromium()}`);
	} catch (error) {
		console.error(error.message);
		process.exit(1);
	}
}
