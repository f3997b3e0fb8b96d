// A private MariaDB server for one test file: its own data folder and Unix socket under a
// temporary folder, no TCP port, stopped by stop().
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import mysql from 'mysql2/promise';

export const APP_USER = 'app';
export const APP_PASSWORD = 'app-secret';
export const APP_DATABASE = 'studio';

function findBinary(names) {
  for (const name of names) {
    for (const dir of ['/usr/sbin', '/usr/bin', '/usr/local/sbin', '/usr/local/bin']) {
      const candidate = path.join(dir, name);
      if (existsSync(candidate)) return candidate;
    }
  }
  throw new Error(`none of ${names.join(', ')} is installed; install the mariadb-server package`);
}

async function waitForSocket(socketPath, child, logFile, timeoutMs = 30000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) {
      throw new Error(`mariadbd exited with ${child.exitCode}:\n${readLog(logFile)}`);
    }
    try {
      const connection = await mysql.createConnection({ socketPath, user: 'root' });
      return connection;
    } catch (error) {
      if (Date.now() > deadline) {
        throw new Error(`mariadbd did not accept connections in time: ${error.message}\n${readLog(logFile)}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

function readLog(file) {
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').slice(-20).join('\n') : '';
}

// Options: ssl ({cert, key, ca} file paths) makes the server offer TLS at the MySQL level.
export async function startMariaDB(dir, { ssl } = {}) {
  const datadir = path.join(dir, 'data');
  const socketPath = path.join(dir, 'mariadb.sock');
  const logFile = path.join(dir, 'mariadb.err');
  mkdirSync(datadir, { recursive: true });

  const asRoot = process.getuid() === 0 ? ['--user=root'] : [];
  execFileSync(findBinary(['mariadb-install-db', 'mysql_install_db']), [
    '--no-defaults', `--datadir=${datadir}`, '--auth-root-authentication-method=normal',
    '--skip-test-db', ...asRoot,
  ], { stdio: 'pipe' });

  const args = [
    '--no-defaults', `--datadir=${datadir}`, `--socket=${socketPath}`, '--skip-networking',
    `--pid-file=${path.join(dir, 'mariadb.pid')}`, `--log-error=${logFile}`,
    '--max-allowed-packet=128M', '--innodb-log-file-size=256M', '--skip-log-bin',
    ...asRoot,
  ];
  if (ssl) args.push(`--ssl-cert=${ssl.cert}`, `--ssl-key=${ssl.key}`, `--ssl-ca=${ssl.ca}`);
  const child = spawn(findBinary(['mariadbd', 'mysqld']), args, { stdio: 'ignore' });

  const root = await waitForSocket(socketPath, child, logFile);
  await root.query(`CREATE DATABASE ${APP_DATABASE}`);
  await root.query(`CREATE USER '${APP_USER}'@'localhost' IDENTIFIED BY '${APP_PASSWORD}'`);
  await root.query(`GRANT ALL ON *.* TO '${APP_USER}'@'localhost'`);
  await root.end();

  return {
    socketPath,
    datadir,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15000);
      await exited;
      clearTimeout(timer);
    },
  };
}
