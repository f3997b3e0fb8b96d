// The certificate commands as a user runs them (CG-09): `studio-proxy cert generate`,
// `cert inspect` and `cert check`, against files they make and files made by the openssl
// command, with what they print compared to what openssl itself says of the same files.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  chmodSync, existsSync, mkdirSync, readdirSync, statSync, writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { makeCertificates, makeExpiredCertificate } from './lib/certs.mjs';
import { runProxy } from './lib/proxy.mjs';
import { tempDir } from './lib/util.mjs';

const temp = tempDir('cert-cli');
// A home of its own, so that the trust steps name browser databases the test controls.
const home = path.join(temp.dir, 'home');
mkdirSync(home);
const env = { ...process.env, HOME: home };
delete env.XDG_CONFIG_HOME;
const hasCertutil = existsSync('/usr/bin/certutil');

after(() => temp.remove());

function cert(...args) {
  return runProxy(['cert', ...args], { env, timeoutMs: 30000 });
}

function openssl(...args) {
  return execFileSync('openssl', args, { encoding: 'utf8', stdio: 'pipe' });
}

// Every path below dir, so that a failed command can be shown to have written nothing.
function listing(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true }).map(String).sort();
}

// A failure as a user sees it: a non-zero exit and one line on stderr naming the problem.
function assertOneLineError(result, pattern) {
  assert.notEqual(result.code, 0, `expected a failure, got: ${result.stdout}`);
  const lines = result.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `expected one line, got:\n${result.stderr}`);
  assert.match(lines[0], /^studio-proxy cert: /);
  assert.match(lines[0], pattern);
  assert.equal(result.stdout, '');
}

// `cert inspect` prints "  label: value" lines; the first certificate's, by label.
function fields(output) {
  const result = {};
  for (const line of output.split('\n')) {
    const match = line.match(/^ {2}([a-zA-Z0-9 -]+?):\s+(.*)$/);
    if (match && !(match[1] in result)) result[match[1]] = match[2].trim();
  }
  return result;
}

// `cert check` prints "[verdict] title" and an indented sentence under it.
function checks(output) {
  const result = [];
  const lines = output.split('\n');
  for (let i = 0; i < lines.length; ++i) {
    const match = lines[i].match(/^\[(ok|warning|FAILED)\s*\] (.*)$/);
    if (match) result.push({ verdict: match[1], title: match[2], sentence: lines[i + 1].trim() });
  }
  return result;
}

function writeConfig(name, variables) {
  const file = path.join(temp.dir, `${name}.cnf`);
  writeFileSync(file, ['[server]',
    ...Object.entries(variables).map(([k, v]) => `${k} = ${v}`)].join('\n') + '\n');
  return file;
}

// Runs `cert check` and asserts that exactly the named checks failed.
async function checkFails(config, hosts, failing) {
  const result = await cert('check', '--config', config, ...hosts.flatMap((h) => ['--host', h]));
  const found = checks(result.stdout);
  assert.ok(found.length >= 6, `expected the list of checks, got:\n${result.stdout}${result.stderr}`);
  assert.equal(result.code, 1, result.stdout);
  assert.deepEqual(found.filter((c) => c.verdict === 'FAILED').map((c) => c.title), failing,
    result.stdout);
  return found;
}

const out = path.join(temp.dir, 'generated');
let generated;
let files;

describe('cert generate', () => {
  before(async () => {
    generated = await cert('generate', '--host', 'localhost', '--host', '127.0.0.1',
      '--out', out);
    files = Object.fromEntries(['ca.pem', 'ca.crt', 'ca.der', 'ca.key', 'server.pem',
      'server.key'].map((name) => [name, path.join(out, name)]));
  });

  it('exits 0 and writes the CA, its key, the server certificate and its key', () => {
    assert.equal(generated.code, 0, generated.stderr);
    assert.deepEqual(listing(out), Object.keys(files).sort());
    assert.match(generated.stdout, new RegExp(`Made the server certificate ${files['server.pem']} `
      + 'for localhost, 127.0.0.1'));
  });

  it('writes the private keys with mode 0600 and the certificates readable', () => {
    for (const key of ['ca.key', 'server.key']) {
      assert.equal(statSync(files[key]).mode & 0o777, 0o600, key);
    }
    for (const cert of ['ca.pem', 'ca.crt', 'ca.der', 'server.pem']) {
      assert.equal(statSync(files[cert]).mode & 0o777, 0o644, cert);
    }
  });

  it('signs the server certificate with the CA, as openssl verifies it', () => {
    assert.equal(openssl('verify', '-CAfile', files['ca.pem'], files['server.pem']).trim(),
      `${files['server.pem']}: OK`);
    // The key matches the certificate: the same public key.
    assert.equal(openssl('pkey', '-in', files['server.key'], '-pubout'),
      openssl('x509', '-in', files['server.pem'], '-noout', '-pubkey'));
    // ca.der is the CA in DER; ca.crt the same CA in PEM.
    const der = openssl('x509', '-inform', 'DER', '-in', files['ca.der'], '-noout',
      '-fingerprint', '-sha256');
    assert.equal(der, openssl('x509', '-in', files['ca.crt'], '-noout', '-fingerprint', '-sha256'));
    assert.equal(der, openssl('x509', '-in', files['ca.pem'], '-noout', '-fingerprint', '-sha256'));
  });

  it('lists each host in the subjectAltName, names as DNS and addresses as IP', () => {
    const san = openssl('x509', '-in', files['server.pem'], '-noout', '-ext', 'subjectAltName');
    const entries = san.split('\n')[1].trim().split(/,\s*/);
    assert.deepEqual(entries.sort(), ['DNS:localhost', 'IP Address:127.0.0.1']);
    const text = openssl('x509', '-in', files['server.pem'], '-noout', '-text');
    assert.match(text, /CA:FALSE/);
    assert.match(text, /TLS Web Server Authentication/);
  });

  it('prints the steps to trust the CA: update-ca-certificates and certutil', () => {
    const { stdout } = generated;
    assert.match(stdout, new RegExp(`The CA also as ${files['ca.crt']} \\(PEM.*\\) and `
      + `${files['ca.der']} \\(DER\\)`));
    const fingerprint = openssl('x509', '-in', files['ca.pem'], '-noout', '-fingerprint',
      '-sha256').trim().split('=')[1];
    assert.ok(stdout.includes(`(SHA-256 ${fingerprint})`), stdout);
    const commands = stdout.split('\n').filter((l) => l.startsWith('    ')).map((l) => l.trim());
    assert.ok(commands.includes(`sudo cp ${files['ca.crt']} `
      + '/usr/local/share/ca-certificates/studio-proxy-development-ca.crt'), stdout);
    assert.ok(commands.includes('sudo update-ca-certificates'), stdout);
    const nssdb = path.join(home, '.pki', 'nssdb');
    assert.ok(commands.includes(`certutil -N -d sql:${nssdb} --empty-password`), stdout);
    assert.ok(commands.includes(`certutil -A -d sql:${nssdb} -t C,, `
      + `-n "Studio Proxy development CA" -i ${files['ca.crt']}`), stdout);
  });

  it('the printed certutil steps make the browser database trust the CA',
    { skip: !hasCertutil && 'certutil is not installed (package libnss3-tools)' }, async () => {
      const commands = generated.stdout.split('\n').map((l) => l.trim())
        .filter((l) => /^(mkdir|certutil) /.test(l));
      assert.equal(commands.length, 3, generated.stdout);
      for (const command of commands) execFileSync('sh', ['-c', command], { env, stdio: 'pipe' });
      const nssdb = path.join(home, '.pki', 'nssdb');
      const listed = execFileSync('certutil', ['-L', '-d', `sql:${nssdb}`], { encoding: 'utf8' });
      assert.match(listed, /Studio Proxy development CA\s+C,,/);
      // The proxy now sees the database trust it and asks for no more steps there.
      const trust = await cert('trust', '--ca', files['ca.crt']);
      assert.equal(trust.code, 0, trust.stderr);
      assert.match(trust.stdout,
        new RegExp(`${nssdb}\\n\\s+The database trusts the CA as "Studio Proxy development CA"`));
      assert.ok(!trust.stdout.includes(`certutil -A -d sql:${nssdb} `), trust.stdout);
    });

  it('names a Firefox profile found in the home folder, with its certutil step',
    { skip: !hasCertutil && 'certutil is not installed (package libnss3-tools)' }, async () => {
      const firefox = path.join(home, '.mozilla', 'firefox');
      const profile = path.join(firefox, 'abcd1234.default-release');
      mkdirSync(profile, { recursive: true });
      writeFileSync(path.join(firefox, 'profiles.ini'), '[Profile0]\nName=default-release\n'
        + 'IsRelative=1\nPath=abcd1234.default-release\n');
      execFileSync('certutil', ['-N', '-d', `sql:${profile}`, '--empty-password'], { stdio: 'pipe' });
      const more = path.join(temp.dir, 'generated-firefox');
      const result = await cert('generate', '--host', 'localhost', '--out', more);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, new RegExp(`Firefox, profile default-release\\n\\s+${profile}\\n`
        + '\\s+The database does not hold the CA\\.'));
      assert.ok(result.stdout.includes(`certutil -A -d sql:${profile} -t C,, `
        + `-n "Studio Proxy development CA" -i ${path.join(more, 'ca.crt')}`), result.stdout);
    });

  it('refuses to run without --host, and writes nothing', async () => {
    const dir = path.join(temp.dir, 'no-host');
    assertOneLineError(await cert('generate', '--out', dir), /at least one --host NAME/);
    assert.equal(existsSync(dir), false);
  });

  it('refuses an invalid host name, and writes nothing', async () => {
    const dir = path.join(temp.dir, 'bad-host');
    for (const host of ['bad_name!', 'a*.example.test', '*.test', '-dash.example']) {
      assertOneLineError(await cert('generate', '--host', 'localhost', '--host', host,
        '--out', dir), new RegExp(host.replace(/[.*]/g, '\\$&')));
      assert.equal(existsSync(dir), false, host);
    }
  });

  it('refuses an --out it cannot create, and writes nothing', async () => {
    const file = path.join(temp.dir, 'a-file');
    writeFileSync(file, 'not a folder\n');
    const before = listing(temp.dir);
    assertOneLineError(await cert('generate', '--host', 'localhost', '--out',
      path.join(file, 'certs')), /cannot create the folder .*a-file\/certs/);
    assertOneLineError(await cert('generate', '--host', 'localhost', '--out', file),
      /cannot create the folder .*a-file/);
    assert.deepEqual(listing(temp.dir), before);
  });

  it('refuses a folder it may not write into, and writes nothing',
    { skip: process.getuid() === 0 && 'root may write into any folder' }, async () => {
      const dir = path.join(temp.dir, 'read-only');
      mkdirSync(dir);
      chmodSync(dir, 0o555);
      try {
        assertOneLineError(await cert('generate', '--host', 'localhost', '--out', dir),
          /cannot write .*read-only/);
        assert.deepEqual(listing(dir), []);
      } finally {
        chmodSync(dir, 0o755);
      }
    });

  it('refuses --out missing, a weak RSA key and a bad --days', async () => {
    assertOneLineError(await cert('generate', '--host', 'localhost'), /needs --out DIR/);
    const dir = path.join(temp.dir, 'bad-options');
    assertOneLineError(await cert('generate', '--host', 'localhost', '--out', dir,
      '--rsa', '1024'), /2048 bits or more; 1024 is too weak/);
    assertOneLineError(await cert('generate', '--host', 'localhost', '--out', dir,
      '--days', '900'), /1 to 825 days/);
    assertOneLineError(await cert('generate', '--host', 'localhost', '--out', dir,
      '--days', 'soon'), /--days takes a number/);
    assert.equal(existsSync(dir), false);
  });
});

describe('cert inspect', () => {
  it('prints what openssl reads in the generated server certificate', async () => {
    const result = await cert('inspect', files['server.pem']);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /: 1 certificate\(s\)/);
    const shown = fields(result.stdout);

    assert.equal(shown.subject, 'CN=localhost,O=Studio Proxy');
    assert.match(openssl('x509', '-in', files['server.pem'], '-noout', '-subject'),
      /CN = localhost/);
    const issuer = openssl('x509', '-in', files['server.pem'], '-noout', '-issuer');
    assert.match(issuer, /CN = Studio Proxy development CA/);
    assert.match(shown.issuer, /^CN=Studio Proxy development CA,/);
    assert.equal(shown.names, 'DNS:localhost, IP:127.0.0.1');

    const date = (flag) => new Date(openssl('x509', '-in', files['server.pem'], '-noout', flag)
      .trim().split('=')[1]).toISOString().replace('.000Z', 'Z');
    assert.equal(shown['valid from'], date('-startdate'));
    assert.equal(shown['valid until'], date('-enddate'));

    assert.equal(shown.key, 'EC P-256');
    assert.match(openssl('x509', '-in', files['server.pem'], '-noout', '-text'),
      /Public-Key: \(256 bit\)[\s\S]*NIST CURVE: P-256/);
    assert.equal(shown.signature, 'ecdsa-with-SHA256');
    assert.equal(shown['SHA-256 fingerprint'], openssl('x509', '-in', files['server.pem'],
      '-noout', '-fingerprint', '-sha256').trim().split('=')[1]);
  });

  it('reads an RSA certificate made by openssl, and says whether a key matches it', async () => {
    const dir = path.join(temp.dir, 'rsa');
    mkdirSync(dir);
    openssl('req', '-x509', '-newkey', 'rsa:3072', '-nodes', '-keyout', path.join(dir, 'rsa.key'),
      '-out', path.join(dir, 'rsa.pem'), '-days', '10', '-subj', '/CN=db.example.test',
      '-addext', 'subjectAltName=DNS:db.example.test,IP:10.1.2.3');
    const pem = path.join(dir, 'rsa.pem');
    const result = await cert('inspect', pem, '--key', path.join(dir, 'rsa.key'));
    assert.equal(result.code, 0, result.stderr);
    const shown = fields(result.stdout);
    assert.equal(shown.subject, 'CN=db.example.test');
    assert.equal(shown.issuer, 'CN=db.example.test');
    assert.equal(shown.names, 'DNS:db.example.test, IP:10.1.2.3');
    assert.equal(shown.key, 'RSA 3072');
    assert.equal(shown.signature, 'sha256WithRSAEncryption');
    assert.equal(shown['SHA-256 fingerprint'],
      openssl('x509', '-in', pem, '-noout', '-fingerprint', '-sha256').trim().split('=')[1]);
    assert.match(result.stdout, /RSA 3072, matches the server certificate/);

    const other = await cert('inspect', pem, '--key', files['server.key']);
    assert.equal(other.code, 0, other.stderr);
    assert.match(other.stdout, /EC P-256, matches NO certificate in the file/);
  });

  it('shows each certificate of a chain file, in the order served', async () => {
    const dir = path.join(temp.dir, 'chain');
    mkdirSync(dir);
    const made = makeCertificates(dir, { intermediate: true });
    const result = await cert('inspect', made.chain);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /: 2 certificate\(s\)/);
    assert.match(result.stdout, /served first \(server certificate\):\n {2}subject: +CN=localhost\n/);
    assert.match(result.stdout,
      /served next \(issuer 1\):\n {2}subject: +CN=Studio Proxy Test Intermediate\n/);
  });

  it('fails with one line for a missing file or a file that is not a certificate', async () => {
    assertOneLineError(await cert('inspect', path.join(temp.dir, 'missing.pem')),
      /missing\.pem: No such file or directory/);
    assertOneLineError(await cert('inspect', files['server.key']),
      /server\.key holds no PEM certificate/);
    const text = path.join(temp.dir, 'notes.txt');
    writeFileSync(text, 'hello\n');
    assertOneLineError(await cert('inspect', text), /notes\.txt holds no PEM certificate/);
    assertOneLineError(await cert('inspect'), /inspect takes one FILE/);
  });
});

describe('cert check --config', () => {
  let good;
  before(() => {
    // What an engine's memsql.cnf holds for a proxy serving wss://; no datadir or
    // tracelogsdir, which the certificate does not depend on.
    good = writeConfig('good', { https_proxy_port: 9443, ssl_cert: files['server.pem'],
      ssl_key: files['server.key'], ssl_ca: files['ca.pem'] });
  });

  it('passes every check for a name and an address in the certificate', async () => {
    const result = await cert('check', '--config', good, '--host', 'localhost',
      '--host', '127.0.0.1');
    assert.equal(result.code, 0, result.stdout + result.stderr);
    const found = checks(result.stdout);
    assert.deepEqual(found.map((c) => c.title), [
      'Key matches the certificate', 'Key file is private', 'Chain is complete', 'Valid now',
      'localhost is a name in the certificate', '127.0.0.1 is a name in the certificate',
      'Key and signature are strong enough', 'It is a server certificate',
      'TLS 1.2 or newer offered']);
    assert.deepEqual(found.filter((c) => c.verdict !== 'ok'), [], result.stdout);
    assert.match(result.stdout, /The chain ends at CN=Studio Proxy development CA.* from ssl_ca/);
  });

  it('finds files named relative to the config file', async () => {
    const config = path.join(out, 'relative.cnf');
    writeFileSync(config, '[server]\nhttps_proxy_port = 9443\nssl_cert = server.pem\n'
      + 'ssl_key = server.key\nssl_ca = ca.pem\n');
    const result = await cert('check', '--config', config, '--host', 'localhost');
    assert.equal(result.code, 0, result.stdout + result.stderr);
  });

  it('fails for a hostname that is not in the certificate', async () => {
    const found = await checkFails(good, ['localhost', 'db.example.com'],
      ['db.example.com is a name in the certificate']);
    const failed = found.find((c) => c.verdict === 'FAILED');
    assert.match(failed.sentence, /^db\.example\.com is not a name in the certificate \(its names: DNS:localhost, IP:127\.0\.0\.1\); use a certificate whose subjectAltName lists DNS:db\.example\.com$/);
  });

  it('fails for an IP address the certificate has no IP SAN for', async () => {
    const found = await checkFails(good, ['192.168.7.7'],
      ['192.168.7.7 is a name in the certificate']);
    assert.match(found.find((c) => c.verdict === 'FAILED').sentence,
      /192\.168\.7\.7 is an IP address, and the certificate has no IP SAN for it.*add IP:192\.168\.7\.7/);
  });

  it('fails for a key that belongs to another certificate', async () => {
    const other = path.join(temp.dir, 'generated-other');
    const made = await cert('generate', '--host', 'localhost', '--out', other);
    assert.equal(made.code, 0, made.stderr);
    const config = writeConfig('mixed', { https_proxy_port: 9443, ssl_cert: files['server.pem'],
      ssl_key: path.join(other, 'server.key'), ssl_ca: files['ca.pem'] });
    const found = await checkFails(config, ['localhost'], ['Key matches the certificate']);
    assert.match(found[0].sentence, new RegExp(`The key in ${other}/server\\.key belongs to no `
      + 'server certificate in .*/generated/server\\.pem: the proxy will refuse to start'));
  });

  it('fails for an expired certificate', async () => {
    const dir = path.join(temp.dir, 'expired');
    mkdirSync(dir);
    const expired = makeExpiredCertificate(dir);
    const config = writeConfig('expired', { https_proxy_port: 9443, ssl_cert: expired.cert,
      ssl_key: expired.key, ssl_ca: path.join(dir, 'ca.pem') });
    const found = await checkFails(config, ['localhost'], ['Valid now']);
    assert.equal(found.find((c) => c.title === 'Valid now').sentence,
      'The certificate expired on 2020-02-01T00:00:00Z; browsers refuse it: make or get a new one');
  });

  it('fails for a CA it was not given, naming the missing root', async () => {
    const config = writeConfig('no-ca', { https_proxy_port: 9443, ssl_cert: files['server.pem'],
      ssl_key: files['server.key'] });
    const found = await checkFails(config, ['localhost'], ['Chain is complete']);
    assert.match(found.find((c) => c.title === 'Chain is complete').sentence,
      /issuer CN=Studio Proxy development CA.* is neither served nor in the system's trust store/);
  });

  it('warns, without failing, when others may read the key', async () => {
    const dir = path.join(temp.dir, 'open-key');
    const made = await cert('generate', '--host', 'localhost', '--out', dir);
    assert.equal(made.code, 0, made.stderr);
    chmodSync(path.join(dir, 'server.key'), 0o644);
    const config = writeConfig('open-key', { https_proxy_port: 9443,
      ssl_cert: path.join(dir, 'server.pem'), ssl_key: path.join(dir, 'server.key'),
      ssl_ca: path.join(dir, 'ca.pem') });
    const result = await cert('check', '--config', config, '--host', 'localhost');
    assert.equal(result.code, 0, result.stdout + result.stderr);
    const warned = checks(result.stdout).filter((c) => c.verdict !== 'ok');
    assert.deepEqual(warned.map((c) => [c.verdict, c.title]), [['warning', 'Key file is private']]);
    assert.match(warned[0].sentence, /run chmod 600 on it/);
  });

  it('fails with one line for https_proxy_port without ssl_cert', async () => {
    const config = writeConfig('no-cert', { https_proxy_port: 9443, ssl_key: files['server.key'] });
    assertOneLineError(await cert('check', '--config', config, '--host', 'localhost'),
      /https_proxy_port requires SSL, but ssl_cert is not set in .*no-cert\.cnf/);
  });

  it('fails with one line for a config that serves no certificate, or none at all', async () => {
    const plain = writeConfig('plain', { http_proxy_port: 9080 });
    assertOneLineError(await cert('check', '--config', plain),
      /plain\.cnf sets http_proxy_port, not https_proxy_port: the proxy serves no certificate/);
    assertOneLineError(await cert('check', '--config', path.join(temp.dir, 'none.cnf')),
      /cannot read config file .*none\.cnf/);
    const missingCert = writeConfig('missing-cert', { https_proxy_port: 9443,
      ssl_cert: path.join(temp.dir, 'gone.pem'), ssl_key: files['server.key'] });
    assertOneLineError(await cert('check', '--config', missingCert), /gone\.pem/);
    assertOneLineError(await cert('check'), /check needs --config FILE/);
  });

  it('checks files named on the command line with --cert and --key', async () => {
    const ok = await cert('check', '--cert', files['server.pem'], '--key', files['server.key'],
      '--ca', files['ca.pem'], '--host', 'localhost');
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    const wrong = await cert('check', '--cert', files['server.pem'], '--key', files['server.key'],
      '--ca', files['ca.pem'], '--host', 'other.example.test');
    assert.equal(wrong.code, 1, wrong.stdout);
    assert.match(wrong.stdout, /\[FAILED\s*\] other\.example\.test is a name in the certificate/);
  });
});
