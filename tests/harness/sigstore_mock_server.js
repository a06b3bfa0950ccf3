// A throwaway Sigstore instance on 127.0.0.1 for the test suite: Fulcio (with a CT log),
// Rekor v1 and an RFC 3161 timestamp authority, all from npm `@sigstore/mock`.
//
//   node sigstore_mock_server.js OUTDIR [NODE_MODULES]
//
// Writes OUTDIR/trust_config.json (a ClientTrustConfig: trusted root + signing config) for the
// fresh keys of this run, prints `LISTENING <base-url>` on stdout and serves until killed.
// `@sigstore/mock` speaks the dialect of sigstore-js; the request adapters below translate what
// sigstore-python sends. Started by tests/harness/sigstore.py; never shipped.
'use strict';

const crypto = require('crypto');
const fs = require('fs');
const http = require('http');
const path = require('path');

const outDir = process.argv[2];
const modules = process.argv[3] || path.join(__dirname, '..', 'npm', 'node_modules');
if (!outDir) {
  console.error('usage: sigstore_mock_server.js OUTDIR [NODE_MODULES]');
  process.exit(64);
}
const mock = require(path.join(modules, '@sigstore', 'mock'));
const pkijs = require(path.join(modules, 'pkijs'));

const HASH_OIDS = {
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
};

const base64 = (bytes) => Buffer.from(bytes).toString('base64');
const sha256 = (bytes) => crypto.createHash('sha256').update(bytes).digest();
const newKey = () => crypto.generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
const spki = (pair) => pair.publicKey.export({ format: 'der', type: 'spki' });

function readBody(req) {
  return new Promise((resolve, reject) => {
    const parts = [];
    req.on('data', (part) => parts.push(part));
    req.on('end', () => resolve(Buffer.concat(parts)));
    req.on('error', reject);
  });
}

// Fulcio: sigstore-python sends the token as a bearer header and the CSR as base64 of its PEM;
// the mock reads `credentials.oidcIdentityToken` and a PEM string.
function fulcioAdapter(handler) {
  return async (body, req) => {
    const request = JSON.parse(body.toString('utf8'));
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization || '');
    if (!request.credentials && bearer) request.credentials = { oidcIdentityToken: bearer[1] };
    const csr = request.certificateSigningRequest;
    if (typeof csr === 'string' && !csr.startsWith('-----')) {
      const decoded = Buffer.from(csr, 'base64').toString('utf8');
      if (decoded.startsWith('-----BEGIN')) request.certificateSigningRequest = decoded;
    }
    return handler.fn(JSON.stringify(request));
  };
}

// Rekor v1: a real Rekor does not store a proposed DSSE entry as sent but as hashes of the
// envelope and payload plus the signatures; sigstore-python re-derives that form on verify.
function rekorAdapter(handler) {
  const hexDigest = (bytes) => sha256(bytes).toString('hex');
  return async (body) => {
    const proposed = JSON.parse(body.toString('utf8'));
    const content = proposed.kind === 'dsse' && proposed.spec && proposed.spec.proposedContent;
    if (!content) return handler.fn(body.toString('utf8'));
    const envelope = JSON.parse(content.envelope);
    const canonical = {
      apiVersion: proposed.apiVersion || '0.0.1',
      kind: 'dsse',
      spec: {
        envelopeHash: { algorithm: 'sha256', value: hexDigest(Buffer.from(content.envelope)) },
        payloadHash: {
          algorithm: 'sha256',
          value: hexDigest(Buffer.from(envelope.payload, 'base64')),
        },
        signatures: envelope.signatures.map((s) => ({
          signature: s.sig,
          verifier: content.verifiers[0],
        })),
      },
    };
    return handler.fn(JSON.stringify(canonical));
  };
}

// TSA: sigstore-python posts a DER TimeStampReq; the mock takes the JSON request of
// sigstore/timestamp-authority. Its nonce is a JS number, so a 64-bit nonce is cut to 32 bits
// (sigstore-python does not compare nonces).
function tsaAdapter(handler) {
  return async (body, req) => {
    if ((req.headers['content-type'] || '').includes('json')) {
      return handler.fn(body.toString('utf8'));
    }
    const query = pkijs.TimeStampReq.fromBER(new Uint8Array(body).buffer);
    const imprint = query.messageImprint;
    const request = {
      artifactHash: base64(imprint.hashedMessage.valueBlock.valueHexView),
      hashAlgorithm: HASH_OIDS[imprint.hashAlgorithm.algorithmId] || 'sha256',
      certificates: Boolean(query.certReq),
    };
    if (query.nonce) {
      const hex = Buffer.from(query.nonce.valueBlock.valueHexView).toString('hex');
      request.nonce = Number(BigInt('0x' + (hex || '0')) & 0xffffffffn);
    }
    if (query.reqPolicy) request.tsaPolicyOID = query.reqPolicy;
    return handler.fn(JSON.stringify(request));
  };
}

function trustConfig(baseURL, keys, services) {
  // Valid from a minute ago: certificates the mock issues are backdated a little.
  const start = new Date(Date.now() - 60_000).toISOString();
  const publicKey = (der) => ({
    rawBytes: base64(der),
    keyDetails: 'PKIX_ECDSA_P256_SHA_256',
    validFor: { start },
  });
  const service = (url) => ({ url, majorApiVersion: 1, validFor: { start }, operator: 'lumen-tests' });
  const tsaURL = `${baseURL}${services.tsaPath}`;
  return {
    mediaType: 'application/vnd.dev.sigstore.clienttrustconfig.v0.1+json',
    trustedRoot: {
      mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
      tlogs: [{
        baseUrl: baseURL,
        hashAlgorithm: 'SHA2_256',
        publicKey: publicKey(spki(keys.tlog)),
        logId: { keyId: base64(sha256(spki(keys.tlog))) },
      }],
      certificateAuthorities: [{
        subject: { organization: 'lumen-tests', commonName: 'fulcio' },
        uri: baseURL,
        certChain: { certificates: [{ rawBytes: base64(services.ca.rootCertificate) }] },
        validFor: { start },
      }],
      ctlogs: [{
        baseUrl: baseURL,
        hashAlgorithm: 'SHA2_256',
        publicKey: publicKey(spki(keys.ct)),
        logId: { keyId: base64(services.ctlog.logID) },
      }],
      timestampAuthorities: [{
        subject: { organization: 'lumen-tests', commonName: 'tsa' },
        uri: tsaURL,
        certChain: {
          // Signing certificate first, root last, as the trusted-root format wants.
          certificates: [
            { rawBytes: base64(services.tsa.intCertificate) },
            { rawBytes: base64(services.tsa.rootCertificate) },
          ],
        },
        validFor: { start },
      }],
    },
    signingConfig: {
      mediaType: 'application/vnd.dev.sigstore.signingconfig.v0.2+json',
      caUrls: [service(baseURL)],
      // Never contacted: tests hand sigstore-python a ready identity token.
      oidcUrls: [service(`${baseURL}/oauth2`)],
      rekorTlogUrls: [service(baseURL)],
      tsaUrls: [service(tsaURL)],
      rekorTlogConfig: { selector: 'ANY' },
      tsaConfig: { selector: 'ANY' },
    },
  };
}

async function main() {
  const routes = new Map();
  const server = http.createServer(async (req, res) => {
    let reply;
    try {
      const body = await readBody(req);
      const route = routes.get(`${req.method} ${req.url.split('?')[0]}`);
      reply = route
        ? await route(body, req)
        : { statusCode: 404, response: `no route for ${req.method} ${req.url}` };
    } catch (error) {
      reply = { statusCode: 500, response: String((error && error.stack) || error) };
    }
    if (reply.statusCode >= 400) console.error(`${req.method} ${req.url}: ${reply.statusCode} ${reply.response}`);
    const payload = typeof reply.response === 'string'
      ? reply.response
      : Buffer.from(reply.response.buffer, reply.response.byteOffset, reply.response.byteLength);
    res.writeHead(reply.statusCode, { 'Content-Type': reply.contentType || 'text/plain' });
    res.end(payload);
  });
  // Listen first: the transparency log's origin string contains the URL, port included.
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const baseURL = `http://127.0.0.1:${server.address().port}`;

  const keys = { ca: newKey(), ct: newKey(), tlog: newKey(), tsa: newKey() };
  const ctlog = await mock.initializeCTLog(keys.ct);
  const ca = await mock.initializeCA(keys.ca, ctlog);
  const tlog = await mock.initializeTLog(baseURL, keys.tlog);
  const tsa = await mock.initializeTSA(keys.tsa);

  const fulcio = mock.fulcioHandler(ca, { strict: true });
  const rekor = mock.rekorHandler(tlog, { strict: true });
  const timestamps = mock.tsaHandler(tsa, { strict: true });
  routes.set(`POST ${fulcio.path}`, fulcioAdapter(fulcio));
  routes.set(`POST ${rekor.path}`, rekorAdapter(rekor));
  routes.set(`POST ${timestamps.path}`, tsaAdapter(timestamps));
  routes.set('GET /healthz', async () => ({ statusCode: 200, response: 'ok' }));

  const config = trustConfig(baseURL, keys, { ca, ctlog, tsa, tsaPath: timestamps.path });
  fs.mkdirSync(outDir, { recursive: true });
  // Written then renamed, so the fixture never reads half a file.
  const target = path.join(outDir, 'trust_config.json');
  fs.writeFileSync(`${target}.tmp`, JSON.stringify(config, null, 2));
  fs.renameSync(`${target}.tmp`, target);
  process.stdout.write(`LISTENING ${baseURL}\n`);

  const stop = () => server.close(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
