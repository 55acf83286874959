// A loopback fake of the WeChat mini-program server API (api.weixin.qq.com). By area:
//   server.ts     dispatch, stable_token and cgi-bin/token, login (jscode2session) and phone codes, the call log,
//                 the clock and the control API (invalidateTokens, whitelist, injectError)
//   subscribe.ts  templates (wxaapi/newtmpl/gettemplate), acceptances, message/subscribe/send
//   keywords.ts   the fake's own reading of the keyword value rules (47003)
// It never imports the product (nodes/).
export { startFakeMiniProgram } from './server';
export type { FakeMiniProgram, FakeMiniProgramCall, FakeMiniProgramOptions } from './server';
export type { FakeSentSubscribeMessage, FakeSubscribeTemplate } from './subscribe';
