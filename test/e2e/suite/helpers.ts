// Shared by the extension-host tests: the extension's API, the workspace, and waiting for things.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ServingLabApi } from '../../../src/vscode/extension';

export const EXTENSION_ID = 'serving-lab.serving-lab';

export async function api(): Promise<ServingLabApi> {
  const extension = vscode.extensions.getExtension<ServingLabApi>(EXTENSION_ID);
  if (!extension) throw new Error(`${EXTENSION_ID} is not loaded`);
  return extension.activate();
}

/** The repository (the extension under development is loaded from it). */
export function repo(): string {
  return vscode.extensions.getExtension(EXTENSION_ID)!.extensionPath;
}

export function workspaceDir(): string {
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder) throw new Error('the tests need a workspace folder');
  return folder.uri.fsPath;
}

/** Copies the report fixture store (the reference study's experiment and its results) into the workspace's store. */
export function seedReferenceStore(): string {
  const store = path.join(workspaceDir(), '.serving-lab');
  fs.cpSync(path.join(repo(), 'test/fixtures/report/store'), store, { recursive: true });
  return store;
}

export async function waitFor<T>(what: string | (() => string), probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${typeof what === 'function' ? what() : what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export const REFERENCE_EXPERIMENT = 'x-20251106-091500-glm45a';
