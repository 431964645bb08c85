// Unit tests of the UI's own logic, in Node without a browser (the browser tests are in http-api).
import { defineConfig } from 'vitest/config';

export default defineConfig({
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
  test: { include: ['test/**/*.test.ts'], environment: 'node' },
});
