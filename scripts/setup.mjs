// Installs what the build and tests need, so `npm test` and `npm start` work
// on a machine that has only Go, Node and npm: npm dev dependencies (the
// interop peers), Go modules and, for the browser test, Debian's chromium
// (`--tests`), and for the homeserver tests a Synapse virtualenv
// (`.venv-synapse/`, scripts/homeserver.mjs). The vodozemac virtualenv is made
// by its test helper. Quick when everything is already there.
import { execFileSync } from 'node:child_process';
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
  // The homeserver tests run a real Synapse from PyPI in a git-ignored venv.
  const { ensureSynapse } = await import('./homeserver.mjs');
  ensureSynapse();
}
