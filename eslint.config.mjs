import { globalIgnores } from 'eslint/config';
import { config } from '@n8n/node-cli/eslint';

// What ships (nodes/, credentials/, package.json) gets n8n's default community-node config unchanged, the
// one its scanner applies. Tests, fakes, benchmarks and scripts never ship: they use node: modules, process
// and timers by design, so they are left out (and "strict" is off in package.json because of this file).
// gateway/ is a separate deployable (Node service, not an n8n node), checked by its own build and tests.
export default [
	globalIgnores(['test/**', 'bench/**', 'scripts/**', 'sandbox/**', 'e2e-n8n/**', '.test-build/**', '.sandbox-build/**', '.n8n-local/**', 'gateway/**']),
	...config,
];
