#!/usr/bin/env node
// Before `pnpm test`: the tests that talk to the outside world need three system tools, and they
// fail rather than skip without them (a skipped interop test proves nothing). On a fresh machine
// this installs what is missing with Debian's apt (sudo when not root), so `pnpm test` is the
// whole set-up:
//   - Chromium (/usr/bin/chromium) for examples/live's browser test (playwright-core drives it);
//   - a python3 that imports numpy, for @fluxion/io's interop test (python3-numpy);
//   - a C compiler (cc), for @fluxion/export's tests of the generated C (gcc).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const ok = (cmd, args) => spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;
const checks = [
  { pkg: 'chromium', what: 'Chromium for the live page test', present: () => existsSync('/usr/bin/chromium') },
  {
    pkg: 'python3-numpy',
    what: 'numpy for the npz interop test',
    present: () => ok('python3', ['-c', 'import numpy']) || ok('/usr/bin/python3', ['-c', 'import numpy']),
  },
  { pkg: 'gcc', what: 'a C compiler for the exported-model test', present: () => ok('cc', ['--version']) },
];

const missing = checks.filter((c) => !c.present());
if (missing.length === 0) process.exit(0);

const pkgs = missing.map((c) => c.pkg);
console.error(`test set-up: installing ${missing.map((c) => `${c.pkg} (${c.what})`).join(', ')} with apt-get`);
const root = typeof process.getuid === 'function' && process.getuid() === 0;
const apt = (args) => {
  const [cmd, full] = root ? ['apt-get', args] : ['sudo', ['apt-get', ...args]];
  try {
    execFileSync(cmd, full, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    return true;
  } catch {
    return false;
  }
};
if (!ok('apt-get', ['--version'])) {
  console.error(`test set-up: apt-get is not available; install ${pkgs.join(', ')} yourself, then run pnpm test again`);
  process.exit(1);
}
if (!apt(['install', '-y', ...pkgs])) apt(['update']) && apt(['install', '-y', ...pkgs]);
const still = checks.filter((c) => !c.present());
if (still.length > 0) {
  console.error(`test set-up: still missing: ${still.map((c) => c.pkg).join(', ')}; install them, then run pnpm test again`);
  process.exit(1);
}
