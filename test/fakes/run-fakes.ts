// The local demo's platforms: starts the WeCom and OpenAI fakes on fixed loopback ports, prints what to
// put into the n8n credentials, logs each request, and runs until SIGINT or SIGTERM.
//   node .test-build/test/fakes/run-fakes.js
//   FAKE_WECOM_PORT=5701 FAKE_OPENAI_PORT=5702 (the defaults)
import { startFakeOpenAi } from './openai';
import { listenOrExplain, portFromEnv } from './ports';
import { startFakeWeComApi } from './wecom';

async function main(): Promise<void> {
	const wecomPort = portFromEnv('FAKE_WECOM_PORT', 5701);
	const openAiPort = portFromEnv('FAKE_OPENAI_PORT', 5702);

	const wecom = await listenOrExplain('WeCom fake', 'FAKE_WECOM_PORT', wecomPort, (port) =>
		startFakeWeComApi({
			port,
			onRequest: (r) =>
				console.log(`[wecom]  ${r.method} ${r.path} → ${r.errcode ?? `HTTP ${r.status}`}`),
		}),
	);
	const openai = await listenOrExplain('OpenAI fake', 'FAKE_OPENAI_PORT', openAiPort, (port) =>
		startFakeOpenAi({
			port,
			onRequest: (r) => console.log(`[openai] ${r.method} ${r.path} → HTTP ${r.status}`),
		}),
	);

	const app = wecom.apps[0];
	console.log(
		[
			'Fake platforms are running (127.0.0.1 only).',
			'',
			`WeCom API   ${wecom.url}`,
			`  Corp ID   ${wecom.corpId}`,
			`  Agent ID  ${app.agentId}`,
			`  Secret    ${app.secret}`,
			`  (use the URL as the WeCom credential's API base URL)`,
			'',
			`OpenAI API  ${openai.url}`,
			'  API key   any non-empty value, e.g. sk-fake',
			`  (use the URL as the OpenAI credential's Base URL; replies are "AI answer to: <message>")`,
			'',
			'Ctrl+C stops them.',
		].join('\n'),
	);

	const stop = (signal: string) => {
		console.log(`\n${signal}: stopping the fakes`);
		Promise.all([wecom.close(), openai.close()]).then(
			() => process.exit(0),
			(error: unknown) => {
				console.error(error);
				process.exit(1);
			},
		);
	};
	process.once('SIGINT', () => stop('SIGINT'));
	process.once('SIGTERM', () => stop('SIGTERM'));
}

main().catch((error: unknown) => {
	console.error(error instanceof Error ? error.message : error);
	process.exit(1);
});
