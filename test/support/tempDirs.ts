import { after } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A maker of temp dirs for one test file; they are removed when that file's tests end. */
export function useTempDirs(): (prefix: string) => string {
  const temps: string[] = [];
  after(() => temps.forEach((d) => rmSync(d, { recursive: true, force: true })));
  return (prefix) => {
    const dir = mkdtempSync(join(tmpdir(), prefix));
    temps.push(dir);
    return dir;
  };
}
