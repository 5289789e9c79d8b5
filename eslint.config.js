// Lint rules that guard the architecture (see docs/architecture.md):
// domains never import adapters; cluster drivers only under adapters/;
// no import cycles; promises are never left floating.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import importX from 'eslint-plugin-import-x';
import globals from 'globals';

const DRIVERS = ['pg', 'amqplib', '@aws-sdk/*', 'better-sqlite3'];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'web/dist/**', 'bench/results/**', '.millrace/**', '.tmp/**'] },
  js.configs.recommended,
  { languageOptions: { globals: { ...globals.node } } },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    ignores: ['web/**'],
    languageOptions: { parserOptions: { project: ['./tsconfig.check.json'], tsconfigRootDir: import.meta.dirname } },
    plugins: { 'import-x': importX },
    rules: {
      '@typescript-eslint/no-floating-promises': ['error', { allowForKnownSafeCalls: [{ from: 'package', name: ['describe', 'it', 'test', 'suite'], package: 'node:test' }] }],
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-non-null-assertion': 'off',
      // Cycles among our own modules; external packages' declarations are not ours to untangle (and lru-cache's crash the rule).
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
    },
  },
  {
    // The dashboard: browser code with its own tsconfig (DOM, JSX for Preact). No import-x here:
    // its legacy resolver throws on the Vite config's imports, and the app is a dozen files.
    files: ['web/**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser }, parserOptions: { project: ['./web/tsconfig.json'], tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  {
    files: ['src/**/*.ts'],
    ignores: ['src/adapters/**', 'src/runtime/**'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { group: ['**/adapters/**'], message: 'Domains depend on ports; only src/runtime wires adapters.' },
          { group: DRIVERS, message: 'Storage and messaging drivers are imported only under src/adapters/.' },
        ],
      }],
    },
  },
  {
    files: ['src/core/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['../*', '!../core/*'], message: 'core/ imports nothing else of ours.' }] }],
    },
  },
);
