#!/usr/bin/env node
// Runs the TypeScript sources through tsx, so `npx fleetdesk` works without a build step.
// Production installs can run the compiled `node dist/bin/run.js` instead (npm run build).
import { register } from 'tsx/esm/api';

register();
await import('./run.ts');
