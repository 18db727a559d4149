// Installs what the build and tests need, so `npm test` and `npm start` work
// on a machine that has only Go, Node and npm. It says what it installs and
// why before doing it, and does nothing when everything is already there:
//
//   npm packages   `npm ci` when node_modules is missing or older than the
//                  lock file: the interop peers (libolm, matrix-sdk-crypto-wasm,
//                  matrix-js-sdk), fake-indexeddb, playwright-core, miniflare.
//   Go modules     `go mod download` (go.sum pins them).
//   Synapse        a git-ignored virtualenv .venv-synapse/ with
//                  matrix-synapse from PyPI (scripts/homeserver.mjs), for
//                  `npm start`'s demo and the homeserver, Worker and page
//                  tests; Debian's python3-venv first if python3 cannot make
//                  a virtualenv (as root only).
//   with --tests only:
//   Chromium       Debian's `chromium` package through apt-get (as root only),
//                  for the browser tests (IndexedDB, Web Locks, the page).
//                  This is the one system-wide install.
//   vodozemac      a git-ignored virtualenv .venv/ with vodozemac==0.10.0 from
//                  PyPI, for the vodozemac interop tests (see
//                  tests/helpers/vodozemac.mjs, which would otherwise make it
//                  on first use).
//
// `--no-system-installs` (or MXCRYPTO_NO_SYSTEM_INSTALLS=1 in the
// environment) skips Chromium and the virtualenv: setup then only reports
// what is missing, and the tests that need them fail with a message naming it.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, lstatSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
if (args.includes('--help')) {
  console.log('usage: node scripts/setup.mjs [--tests] [--no-system-installs]\n(see the comment at the top of scripts/setup.mjs)');
  process.exit(0);
}
const forTests = args.includes('--tests');
const noSystem = args.includes('--no-system-installs') || ['1', 'true', 'yes'].includes(process.env.MXCRYPTO_NO_SYSTEM_INSTALLS ?? '');

const say = (message) => console.error(`setup: ${message}`);
const run = (cmd, cmdArgs, env = process.env) => {
  say(`$ ${cmd} ${cmdArgs.join(' ')}`);
  execFileSync(cmd, cmdArgs, { cwd: root, stdio: 'inherit', env });
};

const modules = join(root, 'node_modules');
const marker = join(modules, '.package-lock.json');
const lock = join(root, 'package-lock.json');
// A node_modules that is a link is someone else's install (a git worktree
// sharing one): `npm ci` would empty the directory it points to, so it is
// never run here; a stale shared install is reported instead.
const linked = existsSync(modules) && lstatSync(modules).isSymbolicLink();
const stale = !existsSync(marker) || statSync(lock).mtimeMs > statSync(marker).mtimeMs;
if (linked) {
  if (!existsSync(marker)) say(`node_modules links to ${modules} which has no install; run npm ci where it points`);
} else if (stale) {
  say('installing the npm dev dependencies of package-lock.json (interop peers, test tools)');
  run('npm', ['ci', '--no-audit', '--no-fund']);
}
execFileSync('go', ['mod', 'download'], { cwd: root, stdio: 'inherit' });

if (forTests) {
  const chromium = '/usr/bin/chromium';
  if (!existsSync(chromium)) {
    if (noSystem) {
      say(`${chromium} is missing (system installs skipped): the browser tests will fail until Debian's chromium is installed`);
    } else if (process.getuid?.() === 0) {
      say(`installing Debian's chromium with apt-get (system-wide) for the browser tests; skip with --no-system-installs`);
      const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
      run('apt-get', ['update', '-qq'], env);
      run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'chromium'], env);
    } else {
      say(`${chromium} is missing and this is not root; install Debian's chromium for the browser tests`);
    }
  }
  const { ensureVodozemac, VODOZEMAC_VERSION } = await import('../tests/helpers/vodozemac.mjs');
  if (noSystem) {
    say(`the vodozemac ${VODOZEMAC_VERSION} virtualenv (.venv/) is not made (system installs skipped)`);
  } else {
    ensureVodozemac(); // prints each step it takes, nothing when .venv/ is ready
  }
}

// Synapse: the homeserver tests and `npm start` (scripts/demo.mjs) both run one.
{
  const { ensureSynapse, venvDir } = await import('./homeserver.mjs');
  const venvReady = existsSync(join(venvDir(), 'bin', 'python'));
  const canMakeVenv = () => spawnSync('python3', ['-c', 'import ensurepip, venv'], { stdio: 'ignore' }).status === 0;
  if (!venvReady && !canMakeVenv()) {
    if (noSystem) {
      say('python3 cannot make a virtualenv (no ensurepip) and system installs are skipped: the homeserver tests will fail until python3-venv is installed');
    } else if (process.getuid?.() === 0) {
      say("installing Debian's python3-venv with apt-get (system-wide): python3 cannot make the Synapse virtualenv without it");
      const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
      run('apt-get', ['update', '-qq'], env);
      run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'python3', 'python3-venv'], env);
    } else {
      say('python3 cannot make a virtualenv and this is not root; install python3-venv for the homeserver tests');
    }
  }
  if (noSystem && !venvReady) say('the Synapse virtualenv (.venv-synapse/) is not made (system installs skipped)');
  else ensureSynapse(); // prints each step it takes, nothing when the venv is ready
}
