// A certificate authority made for one test run, with openssl, in a temp folder: the fake's leaf
// certificate for Google's hosts is signed by it, and the n8n under test trusts it through
// NODE_EXTRA_CA_CERTS (read by Node at start). Nothing is stored in the repository, so no key that
// signs "sheets.googleapis.com" outlives the run.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export interface LocalCa {
	/** The CA certificate (PEM file): what NODE_EXTRA_CA_CERTS points at. */
	caFile: string;
	/** The leaf certificate (PEM) for `hosts`, and its key. */
	cert: string;
	key: string;
}

function openssl(folder: string, args: string[]): void {
	execFileSync('openssl', args, { cwd: folder, stdio: ['ignore', 'ignore', 'pipe'] });
}

/** A CA and one leaf certificate naming every host in `hosts` (subjectAltName), valid for a day. */
export function makeLocalCa(folder: string, hosts: string[]): LocalCa {
	openssl(folder, ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=kefu test CA',
		'-keyout', 'ca.key', '-out', 'ca.pem', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
	openssl(folder, ['req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${hosts[0]}`, '-keyout', 'leaf.key', '-out', 'leaf.csr']);
	// Node checks the host against subjectAltName only (not CN), and wants serverAuth for a TLS server.
	writeFileSync(
		path.join(folder, 'leaf.ext'),
		[`subjectAltName=${hosts.map((host) => `DNS:${host}`).join(',')}`, 'extendedKeyUsage=serverAuth', 'basicConstraints=CA:FALSE'].join('\n'),
	);
	openssl(folder, ['x509', '-req', '-in', 'leaf.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '1',
		'-extfile', 'leaf.ext', '-out', 'leaf.pem']);
	return {
		caFile: path.join(folder, 'ca.pem'),
		cert: readFileSync(path.join(folder, 'leaf.pem'), 'utf8'),
		key: readFileSync(path.join(folder, 'leaf.key'), 'utf8'),
	};
}
