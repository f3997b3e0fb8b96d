// Real certificates made with the openssl command: a CA and a leaf for localhost signed by it.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

function openssl(args, cwd) {
  execFileSync('openssl', args, { cwd, stdio: 'pipe' });
}

const CA_EXTENSIONS = 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n'
  + 'subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n';

// Options: names and ips go into the leaf's subjectAltName; with intermediate, the leaf is
// signed by an intermediate CA and `chain` is a file holding the leaf, then the intermediate.
export function makeCertificates(dir, {
  names = ['localhost'], ips = ['127.0.0.1', '::1'], intermediate = false,
} = {}) {
  const file = (name) => path.join(dir, name);
  openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
    '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '30', '-subj', '/CN=Studio Proxy Test CA',
    '-addext', 'basicConstraints=critical,CA:TRUE',
    '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], dir);
  let signer = 'ca';
  if (intermediate) {
    writeFileSync(file('intermediate.ext'), CA_EXTENSIONS);
    openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
      '-keyout', 'intermediate.key', '-out', 'intermediate.csr',
      '-subj', '/CN=Studio Proxy Test Intermediate'], dir);
    openssl(['x509', '-req', '-in', 'intermediate.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key',
      '-CAcreateserial', '-out', 'intermediate.pem', '-days', '30',
      '-extfile', 'intermediate.ext'], dir);
    signer = 'intermediate';
  }

  const san = [...names.map((n) => `DNS:${n}`), ...ips.map((ip) => `IP:${ip}`)].join(',');
  writeFileSync(file('leaf.ext'), [
    `subjectAltName=${san}`,
    'basicConstraints=CA:FALSE',
    'keyUsage=digitalSignature',
    'extendedKeyUsage=serverAuth',
  ].join('\n') + '\n');
  openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
    '-keyout', 'server.key', '-out', 'server.csr', '-subj', `/CN=${names[0]}`], dir);
  openssl(['x509', '-req', '-in', 'server.csr', '-CA', `${signer}.pem`, '-CAkey', `${signer}.key`,
    '-CAcreateserial', '-out', 'server.pem', '-days', '30', '-extfile', 'leaf.ext'], dir);
  const certificates = { ca: file('ca.pem'), cert: file('server.pem'), key: file('server.key') };
  if (intermediate) {
    certificates.chain = file('chain.pem');
    writeFileSync(certificates.chain,
      readFileSync(certificates.cert, 'utf8') + readFileSync(file('intermediate.pem'), 'utf8'));
  }
  return certificates;
}

// A leaf for localhost, signed by a CA of its own, valid only in January 2020 (TL-02).
export function makeExpiredCertificate(dir) {
  const file = (name) => path.join(dir, name);
  writeFileSync(file('ca.cnf'), [
    '[req]', 'distinguished_name = dn', 'prompt = no', '[dn]', 'CN = Expired Test CA',
    '[ca]', 'default_ca = dated', '[dated]', 'database = index.txt', 'serial = serial.txt',
    'new_certs_dir = .', 'default_md = sha256', 'policy = any', '[any]', 'commonName = supplied',
    '[leaf]', 'subjectAltName = DNS:localhost', 'basicConstraints = CA:FALSE',
    'extendedKeyUsage = serverAuth',
  ].join('\n') + '\n');
  writeFileSync(file('index.txt'), '');
  writeFileSync(file('serial.txt'), '10\n');
  openssl(['req', '-config', 'ca.cnf', '-x509', '-newkey', 'ec', '-pkeyopt',
    'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '30'], dir);
  openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
    '-keyout', 'expired.key', '-out', 'expired.csr', '-subj', '/CN=localhost'], dir);
  openssl(['ca', '-config', 'ca.cnf', '-batch', '-notext', '-cert', 'ca.pem', '-keyfile', 'ca.key',
    '-startdate', '20200101000000Z', '-enddate', '20200201000000Z', '-extensions', 'leaf',
    '-in', 'expired.csr', '-out', 'expired.pem'], dir);
  return { cert: file('expired.pem'), key: file('expired.key') };
}
