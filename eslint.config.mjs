// Lint = the architecture's import boundaries (design doc §2), plus TypeScript's recommended rules.
import tseslint from 'typescript-eslint';

const noVscode = { name: 'vscode', message: 'src/core and src/shared must not import vscode: put VS Code code in src/vscode.' };
const notExtension = { group: ['**/vscode/**', '../vscode', '../../vscode'], message: 'core, shared and cli code must not import the extension layer (src/vscode).' };
const coreImports = (...patterns) => ['error', { paths: [noVscode], patterns: [notExtension, ...patterns] }];
const notRemote = (who) => ({
  group: ['**/remote/**', '**/ssh/**'],
  message: `${who} must not reach into remote/ or ssh/: quoting and argv helpers are in src/core/shell.`,
});

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
    rules: { 'no-restricted-imports': coreImports() },
  },
  // Directions inside src/core (design doc §13). A later block replaces the rule for its files, so each repeats the
  // layer rule through coreImports().
  {
    files: ['src/core/shell/**/*.ts'],
    rules: { 'no-restricted-imports': coreImports({ group: ['../*', '../**'], message: 'src/core/shell is a leaf: it imports nothing from the rest of src/core.' }) },
  },
  {
    files: ['src/core/engines/**/*.ts'],
    rules: { 'no-restricted-imports': coreImports(notRemote('engines')) },
  },
  {
    files: ['src/core/sim/**/*.ts'],
    rules: {
      'no-restricted-imports': coreImports(notRemote('the simulator'), { group: ['**/tune/**', '**/tune'], message: 'the simulator knows nothing of tuning: tune calls the simulator, never the other way round.' }),
    },
  },
  {
    files: ['src/core/telemetry/**/*.ts'],
    rules: {
      'no-restricted-imports': coreImports({ group: ['**/tune/**', '**/tune'], message: 'telemetry produces samples that tune consumes: put shared types in src/core/telemetry, not in tune.' }),
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
