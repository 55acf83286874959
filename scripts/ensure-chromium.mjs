// Chromium for the editor and simulator tests: Debian's `chromium` package and a font that draws Chinese
// (fonts-wqy-zenhei), installed with apt-get when missing. No browser is downloaded from anywhere else.
// CHROMIUM_PATH points at another Chromium instead.
import { existsSync } from 'node:fs';

import { ensureDebianPackages } from './lib.mjs';

const PACKAGES = ['chromium', 'fonts-wqy-zenhei'];

export function ensureChromium() {
	if (process.env.CHROMIUM_PATH) {
		if (existsSync(process.env.CHROMIUM_PATH)) return process.env.CHROMIUM_PATH;
		throw new Error(`CHROMIUM_PATH=${process.env.CHROMIUM_PATH} does not exist.`);
	}
	if (!existsSync('/usr/bin/dpkg-query')) {
		if (existsSync('/usr/bin/chromium')) return '/usr/bin/chromium';
		throw new Error('No Chromium: this is not a Debian system, so install Chromium yourself and set CHROMIUM_PATH to it.');
	}
	ensureDebianPackages(PACKAGES, 'chromium');
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
