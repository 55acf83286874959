// The WhatsApp Web gateway's tests (gateway/ is a project of its own, with its own lockfile): install and
// compile it (scripts/build-gateway.mjs), Debian's Chromium for the smoke test (apt-get when missing), then
// run gateway/test/.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { buildGateway, gatewayDir } from './build-gateway.mjs';
import { ensureChromium } from './ensure-chromium.mjs';

try {
	buildGateway();
} catch (error) {
	console.error(error instanceof Error ? error.message : String(error));
	process.exit(1);
}
const chromium = ensureChromium();
const tests = readdirSync(path.join(gatewayDir, 'dist', 'test')).filter((f) => f.endsWith('.test.js')).map((f) => path.join('dist', 'test', f));
const r = spawnSync(process.execPath, ['--test', '--test-reporter=spec', ...tests], {
	cwd: gatewayDir,
	stdio: 'inherit',
	env: { ...process.env, GATEWAY_CHROMIUM_PATH: chromium },
});
process.exit(r.status ?? 1);
