// sigstore_bundle.mjs STATEMENT PRIVATE-KEY PUBLIC-KEY: a key-based Sigstore
// bundle (v0.3, DSSE) over the in-toto statement, made by the real
// sigstore-js builder (@sigstore/sign's DSSEBundleBuilder) with no
// witnesses (no Rekor, no TSA), as cosign 3.x makes one with a key.
// Prints the bundle's JSON. Test-only.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import crypto from 'node:crypto';

const require = createRequire(process.env.SIGSTORE_MODULES + '/');
const { DSSEBundleBuilder } = require('@sigstore/sign');
const { bundleToJSON } = require('@sigstore/bundle');

const [statement, privPath, pubPath] = process.argv.slice(2);
const key = crypto.createPrivateKey(readFileSync(privPath));
const pub = readFileSync(pubPath, 'utf8');
const signer = {
  sign: async (data) => ({
    signature: crypto.sign('sha256', data, key),
    key: { $case: 'publicKey', publicKey: pub, hint: 'release' },
  }),
};
const builder = new DSSEBundleBuilder({ signer, witnesses: [] });
const bundle = await builder.create({
  data: readFileSync(statement),
  type: 'application/vnd.in-toto+json',
});
process.stdout.write(JSON.stringify(bundleToJSON(bundle)));
