// Bundles: the extension (node/cjs, `vscode` external), the CLI (node/cjs, built WITHOUT `vscode` external so any
// core import of `vscode` breaks this build), and the webview (browser). `--release` minifies.
import * as esbuild from 'esbuild';
import { existsSync } from 'node:fs';

const release = process.argv.includes('--release');
const watch = process.argv.includes('--watch');

// ssh2 requires two optional native add-ons inside try/catch and falls back to pure JS when they are missing.
// Bundlers cannot inline `.node` files, so both stay external: at run time the require throws and ssh2 uses JS.
// (A stub would be wrong: ssh2 checks `!!binding` and would then call native ciphers that do not exist.)
const ssh2Natives = ['cpu-features', './crypto/build/Release/sshcrypto.node'];

const common = {
  bundle: true,
  sourcemap: true,
  minify: release,
  logLevel: 'warning',
  legalComments: 'none',
};

const builds = [
  {
    ...common,
    entryPoints: { extension: 'src/vscode/extension.ts' },
    outdir: 'dist',
    platform: 'node',
    format: 'cjs',
    target: 'node18',
    external: ['vscode', ...ssh2Natives],
  },
  {
    ...common,
    entryPoints: { cli: 'src/cli/main.ts' },
    outdir: 'dist',
    platform: 'node',
    format: 'cjs',
    target: 'node18',
    external: ssh2Natives,
  },
];
if (existsSync('webview/main.ts')) {
  builds.push({
    ...common,
    entryPoints: { dashboard: 'webview/main.ts' },
    outdir: 'media',
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
  });
}

if (watch) {
  for (const options of builds) await (await esbuild.context(options)).watch();
} else {
  await Promise.all(builds.map((options) => esbuild.build(options)));
}
