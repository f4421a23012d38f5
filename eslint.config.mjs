// One lint for every workspace: typescript-eslint's recommended rules, Grafana's for the plugin,
// and Prettier's (eslint-config-prettier) so that formatting is Prettier's alone.
import js from '@eslint/js';
import grafana from '@grafana/eslint-config';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';
import globals from 'globals';

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', 'coverage/**', 'test-artifacts/**', 'data/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.{ts,tsx}'],
    rules: {
      // Unused arguments named _x say so on purpose; `{ a, ...rest }` leaves `a` out on purpose.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true }],
    },
  },
  {
    // Tests read JSON and YAML of whatever shape they are given, and load the plugin's AMD bundle with require.
    files: ['**/*.test.ts', '**/*.test.tsx', 'test/**/*.ts', 'plugin/tests/**/*.{ts,tsx}', 'backend/src/testing/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off', '@typescript-eslint/no-require-imports': 'off', '@typescript-eslint/no-unsafe-function-type': 'off' },
  },
  {
    // The JavaScript there is: worker entries, build and test configuration, scripts. CommonJS in Node
    // (.js), modules in Node (.mjs); the plugin's test setup runs in jsdom under Jest.
    files: ['**/*.js'],
    languageOptions: { sourceType: 'commonjs', globals: { ...globals.node } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  { files: ['**/*.mjs'], languageOptions: { sourceType: 'module', globals: { ...globals.node } } },
  { files: ['plugin/tests/**/*.js'], languageOptions: { globals: { ...globals.browser, ...globals.jest } } },
  ...grafana.map((config) => ({ ...config, files: ['plugin/src/**/*.{ts,tsx}'] })),
  prettier,
);
