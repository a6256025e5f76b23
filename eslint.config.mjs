// Lint = the architecture's import boundaries (design doc §2), plus TypeScript's recommended rules.
import tseslint from 'typescript-eslint';

const noVscode = { name: 'vscode', message: 'src/core and src/shared must not import vscode: put VS Code code in src/vscode.' };

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'media/**', 'tools/**', 'test-output/**', '**/*.js', '**/*.mjs', '**/*.cjs'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-empty-function': 'off',
    },
  },
  {
    files: ['src/core/**/*.ts', 'src/shared/**/*.ts', 'src/cli/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: [noVscode], patterns: [{ group: ['**/vscode/**', '../vscode', '../../vscode'], message: 'core, shared and cli code must not import the extension layer (src/vscode).' }] }],
    },
  },
  {
    files: ['src/vscode/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['**/cli/**'], message: 'the extension calls src/core, not the CLI: move shared code into src/core.' }] }],
    },
  },
  {
    files: ['webview/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [noVscode],
          patterns: [
            { group: ['**/src/core/**', '**/src/vscode/**', '**/src/cli/**'], message: 'the webview may import only src/shared and browser libraries; talk to the extension through src/shared/protocol.ts.' },
            { group: ['node:*'], message: 'the webview runs in a browser: no Node built-ins.' },
          ],
        },
      ],
    },
  },
);
