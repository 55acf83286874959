/** Checks on the product's callback errors. WeCom's own side of callbacks (signed, encrypted requests;
 * opening a passive reply) is a fake: test/fakes/wecom/callback.ts. */
import { WeComCallbackError, type WeComCallbackErrorReason } from '../../nodes/WeCom/callback/crypto';

/** Runs fn and returns the WeComCallbackError it must throw, checking its reason. */
export function callbackErrorOf(fn: () => unknown, reason: WeComCallbackErrorReason): WeComCallbackError {
	let caught: unknown;
	try {
		fn();
	} catch (error) {
		caught = error;
	}
	if (!(caught instanceof WeComCallbackError)) {
		throw new Error(`expected a WeComCallbackError (${reason}), got ${String(caught)}`);
	}
	if (caught.reason !== reason) throw new Error(`expected reason ${reason}, got ${caught.reason}: ${caught.message}`);
	return caught;
}
