import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// Built into web/dist by `npm start` (scripts/build-web.ts); the server serves it at `/`.
export default defineConfig({
  root: import.meta.dirname,
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: true },
  // The dev server (npm run dev:web) sends the API and the gateway to a running server.
  server: {
    proxy: {
      '/api': 'http://localhost:3000',
      '/socket.io': { target: 'ws://localhost:3000', ws: true },
    },
  },
});
