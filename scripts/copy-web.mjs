// Copies the web page's static files next to the compiled server, which serves them from dist/.
import { cpSync } from 'node:fs';

cpSync(new URL('../src/web/', import.meta.url), new URL('../dist/src/web/', import.meta.url), { recursive: true });
