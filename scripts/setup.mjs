// Installs what the build and tests need, so `npm test` and `npm start` work
// on a machine that has only Go, Node and npm: npm dev dependencies (the
// interop peers), Go modules and, for the browser test, Debian's chromium
// (`--tests`), and for the homeserver tests a Synapse virtualenv
// (`.venv-synapse/`, scripts/homeserver.mjs). The vodozemac virtualenv is made
// by its test helper. Quick when everything is already there.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const run = (cmd, args) => execFileSync(cmd, args, { cwd: root, stdio: 'inherit' });

const marker = join(root, 'node_modules', '.package-lock.json');
const lock = join(root, 'package-lock.json');
if (!existsSync(marker) || statSync(lock).mtimeMs > statSync(marker).mtimeMs) {
  run('npm', ['ci', '--no-audit', '--no-fund']);
}
run('go', ['mod', 'download']);

if (process.argv.includes('--tests') && !existsSync('/usr/bin/chromium')) {
  if (process.getuid?.() === 0) {
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
    execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'chromium'], { stdio: 'inherit', env });
  } else {
    console.warn('setup: /usr/bin/chromium is missing and this is not root; install Debian\'s chromium for the browser test');
  }
}

if (process.argv.includes('--tests')) {
  // The homeserver tests run a real Synapse from PyPI in a git-ignored venv,
  // made with `python3 -m venv`: Debian's python3 needs python3-venv for that
  // (ensurepip). Installed only when missing, and only as root.
  const { ensureSynapse, venvDir } = await import('./homeserver.mjs');
  const venvReady = existsSync(join(venvDir(), 'bin', 'python'));
  const canMakeVenv = () => spawnSync('python3', ['-c', 'import ensurepip, venv'], { stdio: 'ignore' }).status === 0;
  if (!venvReady && !canMakeVenv()) {
    if (process.getuid?.() === 0) {
      console.warn('setup: python3 cannot make a venv (no ensurepip): installing Debian\'s python3-venv for the Synapse of the homeserver tests');
      const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
      execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
      execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'python3', 'python3-venv'], { stdio: 'inherit', env });
    } else {
      console.warn('setup: python3 cannot make a venv and this is not root; install python3-venv for the homeserver tests');
    }
  }
  ensureSynapse();
}
