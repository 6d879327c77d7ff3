/** The mapping of errors thrown below the routes to the one API error body. */
import { describe, expect, it } from 'vitest';
import { toApiError } from '../../../server/api/apiErrors.js';
import { UniqueKeyViolation } from '../../../server/storage/repository.js';

describe('toApiError', () => {
  it('turns a unique-key refusal of the store into 409 naming both records and the key', () => {
    const e = toApiError(new UniqueKeyViolation('tickets', 'open:device:acme/sn:1|jam', 'T000002', 'T000007'));
    expect(e.statusCode).toBe(409);
    expect(e.body()).toMatchObject({ statusCode: 409, code: 'CONFLICT' });
    expect(e.body().message).toContain('T000002');
    expect(e.body().message).toContain('T000007');
    expect(e.body().message).toContain('open:device:acme/sn:1|jam');
  });

  it('hides the detail of an unexpected error behind 500', () => {
    const e = toApiError(new Error('secret path /var/lib/x'));
    expect(e.statusCode).toBe(500);
    expect(e.body().message).not.toContain('/var/lib/x');
  });
});
