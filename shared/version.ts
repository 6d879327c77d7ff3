import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
/** The package version, read once from package.json (works from sources and from dist/). */
export const VERSION: string = (() => {
  for (const candidate of ['../package.json', '../../package.json']) {
    try {
      const pkg = require(candidate) as { name?: string; version?: string };
      if (pkg.name === 'fleetdesk' && pkg.version) return pkg.version;
    } catch {
      // try the next location
    }
  }
  return '0.0.0';
})();
