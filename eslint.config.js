import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/node_modules/**', '**/dist/**', '.data/**', 'web/public/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: { process: 'readonly', console: 'readonly', URL: 'readonly', Buffer: 'readonly' },
    },
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' },
      ],
      'no-restricted-properties': [
        'error',
        { object: 'it', property: 'only', message: 'A focused test hides the rest of the suite.' },
        {
          object: 'describe',
          property: 'only',
          message: 'A focused test hides the rest of the suite.',
        },
        {
          object: 'test',
          property: 'only',
          message: 'A focused test hides the rest of the suite.',
        },
      ],
    },
  },
  {
    // config.ts is the one reader of the environment; tests and tooling set up their own.
    files: ['server/src/**/*.ts', 'protocol/src/**/*.ts', 'sdk/src/**/*.ts'],
    ignores: ['server/src/config.ts', 'server/src/config-docs.ts'],
    rules: {
      'no-restricted-properties': [
        'error',
        {
          object: 'process',
          property: 'env',
          message: 'Read settings from Config (server/src/config.ts).',
        },
        { object: 'it', property: 'only', message: 'A focused test hides the rest of the suite.' },
        {
          object: 'describe',
          property: 'only',
          message: 'A focused test hides the rest of the suite.',
        },
      ],
    },
  },
);
