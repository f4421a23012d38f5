// One lint for every workspace: typescript-eslint's recommended rules, Grafana's for the plugin,
// and Prettier's (eslint-config-prettier) so that formatting is Prettier's alone.
import js from '@eslint/js';
import grafana from '@grafana/eslint-config';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', 'coverage/**', 'test-artifacts/**', 'data/**', '**/*.js', '**/*.mjs'] },
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
  ...grafana.map((config) => ({ ...config, files: ['plugin/src/**/*.{ts,tsx}'] })),
  prettier,
);
