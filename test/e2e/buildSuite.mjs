// Bundles the extension-host mocha suite (test/e2e/suite/*.ts) to CommonJS. `vscode` and `mocha` stay external: the
// extension host provides `vscode`, and mocha resolves from the repository's node_modules.
import * as esbuild from 'esbuild';
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

export async function buildSuite(repo, outdir) {
  rmSync(outdir, { recursive: true, force: true });
  const sources = join(repo, 'test/e2e/suite');
  const entryPoints = readdirSync(sources).filter((f) => f.endsWith('.ts')).map((f) => join(sources, f));
  await esbuild.build({
    entryPoints,
    outdir,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node18',
    sourcemap: 'inline',
    external: ['vscode', 'mocha'],
    logLevel: 'warning',
  });
  return outdir;
}
