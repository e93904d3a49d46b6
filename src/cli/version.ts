import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
/** The package version (from package.json; the same path works from src/ and dist/). */
export const VERSION: string = (require('../../package.json') as { version: string }).version;
