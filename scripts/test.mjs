// `npm test`: build, type-check, lint, then every test stage. `npm test -- unit integration` runs only those stages.
// Stages: unit (fast, no network), integration (real sshd, simulator over HTTP, mkdocs, chromium), e2e (code-server).
// `slow` (minutes each, covered in parts by faster tests; kept out of the default run so CI stays under 30 minutes)
// runs only when named: `npm test -- slow`.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const STAGES = ['build', 'typecheck', 'lint', 'unit', 'integration', 'e2e', 'slow'];
const OPT_IN = ['slow'];
const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
for (const w of wanted) {
  if (!STAGES.includes(w)) {
    console.error(`npm test: unknown stage "${w}"; stages are ${STAGES.join(', ')}`);
    process.exit(2);
  }
}
const selected = wanted.length > 0 ? STAGES.filter((s) => wanted.includes(s) || (s === 'build' && wanted.some((w) => w !== 'lint' && w !== 'typecheck'))) : STAGES.filter((s) => !OPT_IN.includes(s));

function findTests(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .flatMap((name) => {
      const path = join(dir, name);
      return statSync(path).isDirectory() ? findTests(path) : name.endsWith('.test.ts') ? [path] : [];
    })
    .sort();
}

function run(title, cmd, args, env = {}) {
  const started = Date.now();
  console.error(`\n=== ${title}: ${[cmd, ...args].join(' ').slice(0, 200)}`);
  const r = spawnSync(cmd, args, { stdio: 'inherit', env: { ...process.env, ...env } });
  const secs = ((Date.now() - started) / 1000).toFixed(1);
  if (r.status !== 0) {
    console.error(`=== ${title} FAILED (exit ${r.status ?? r.signal}) after ${secs}s`);
    process.exit(1);
  }
  console.error(`=== ${title} passed in ${secs}s`);
}

const nodeTest = (files, extra = []) => [process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', ...extra, ...files]];

for (const stage of selected) {
  switch (stage) {
    case 'build':
      run('build', process.execPath, ['esbuild.mjs']);
      break;
    case 'typecheck':
      run('typecheck', 'npx', ['tsc', '-p', 'tsconfig.json']);
      if (existsSync('webview/main.ts')) run('typecheck webview', 'npx', ['tsc', '-p', 'tsconfig.webview.json']);
      break;
    case 'lint':
      run('lint', 'npx', ['eslint', '--max-warnings=0', '.']);
      break;
    case 'unit': {
      const files = findTests('test/unit');
      // Two files at a time: most of a unit file's time is tsx compiling it or a child CLI starting, which overlap.
      if (files.length) run('unit tests', ...nodeTest(files, ['--test-concurrency=2']));
      break;
    }
    case 'integration': {
      const files = findTests('test/integration');
      // One file at a time: these start servers and engines and would fight over two cores.
      if (files.length) run('integration tests', ...nodeTest(files, ['--test-concurrency=1', '--test-timeout=600000']));
      break;
    }
    case 'slow': {
      const files = findTests('test/slow');
      if (files.length) run('slow tests', ...nodeTest(files, ['--test-concurrency=1', '--test-timeout=900000']));
      break;
    }
    case 'e2e':
      if (existsSync('test/e2e/run.mjs')) run('VS Code e2e tests (code-server)', process.execPath, ['test/e2e/run.mjs']);
      break;
  }
}
console.error('\nall test stages passed');
