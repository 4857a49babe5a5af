/** The console's status line for a store import: counts, and the first version skipped with why. */
import { describe, expect, it } from 'vitest';
import { storeImportWords } from '../../../tui/src/api/graphql-mappers.ts';

describe('storeImportWords', () => {
  it('Given nothing to do, then it says so, with what was already registered', () => {
    expect(storeImportWords({ alreadyRegistered: 0, imported: [], skipped: [] })).toBe(
      'store import: nothing to register',
    );
    expect(storeImportWords({ alreadyRegistered: 4, imported: [], skipped: [] })).toBe(
      'store import: nothing to register; 4 already registered',
    );
  });

  it('Given versions registered and some skipped, then the counts, new images counted once, and the first skip named', () => {
    const line = storeImportWords({
      alreadyRegistered: 1,
      imported: [
        { imageName: 'win11', createdImage: true },
        { imageName: 'win11', createdImage: true },
        { imageName: 'lab', createdImage: false },
      ],
      skipped: [
        { imageName: 'old', storeVersion: 2, reason: 'MISSING_CHUNKS' },
        { imageName: 'gone', storeVersion: null, reason: 'NOT_IN_STORE' },
      ],
    });
    expect(line).toBe(
      'store import: 3 versions registered (1 new image); 2 skipped (old v2: missing chunks, ...); 1 already registered',
    );
    expect(
      storeImportWords({
        imported: [{ imageName: 'a', createdImage: false }],
        skipped: [{ imageName: 'gone', storeVersion: null, reason: 'NOT_IN_STORE' }],
      }),
    ).toBe('store import: 1 version registered (0 new images); 1 skipped (gone: not in store)');
  });
});
