/** Paths every test may need: the repository root and the reference material beside it. */
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** `../shared` beside the repository: reference docs, device recordings and captures (read-only). */
export const REFERENCE_DIR = resolve(REPO_ROOT, '..', 'shared');
export const CORPUS_DIR = resolve(REFERENCE_DIR, 'corpus');
