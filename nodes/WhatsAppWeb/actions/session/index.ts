import { defineResource } from '../../../common/resource';
import * as getQrCode from './getQrCode.operation';
import * as getStatus from './getStatus.operation';
import * as logOut from './logOut.operation';
import * as requestPairingCode from './requestPairingCode.operation';

export const session = defineResource({
	name: 'Session',
	value: 'session',
	description: 'The gateway\'s WhatsApp Web session: its state, linking a phone, logging out',
	defaultOperation: 'getStatus',
	operations: {
		getStatus: {
			name: 'Get Status',
			description: 'Get the session\'s state (READY, QR, FAILED with its reason…) and the linked account',
			action: 'Get the session status',
			module: getStatus,
		},
		getQrCode: {
			name: 'Get QR Code',
			description: 'Get the pending QR code as a PNG to scan under WhatsApp → Linked Devices',
			action: 'Get the QR code',
			module: getQrCode,
		},
		requestPairingCode: {
			name: 'Request Pairing Code',
			description: 'Get an 8-character code to link a phone by its number instead of the QR code',
			action: 'Request a pairing code',
			module: requestPairingCode,
		},
		logOut: {
			name: 'Log Out',
			description: 'Unlink the phone and delete the saved session; a new QR code follows',
			action: 'Log out of WhatsApp Web',
			module: logOut,
		},
	},
});
