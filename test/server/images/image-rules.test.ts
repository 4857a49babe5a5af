import { describe, expect, it } from 'vitest';
import {
  FOG_IMAGE_TYPES,
  FOG_OS_IDS,
  IMAGE_TYPES,
  OS_TYPES,
} from '../../../server/src/images/image-kinds.ts';
import { isValidImageName } from '../../../server/src/images/image-name.ts';

describe('image name rules: a folder name, never a path', () => {
  it.each(['win10', 'Win10_22H2.v2', 'a', '...', '-x-', 'x'.repeat(64)])('accepts %j', (name) => {
    expect(isValidImageName(name)).toBe(true);
  });

  it.each([
    '',
    '.',
    '..',
    '../../etc',
    '..%2f',
    '/abs',
    'a/../../b',
    'a\\b',
    'a\u0000b',
    'x; touch /tmp/pwned',
    '$(id)',
    '`id`',
    'a|b',
    'ａｂ．．',
    '\uff0e\uff0e',
    'with space',
    'x'.repeat(65),
    'x'.repeat(300),
  ])('refuses %j', (name) => {
    expect(isValidImageName(name)).toBe(false);
  });
});

describe('FOG ids', () => {
  it('maps every OS type and image type to a distinct FOG id', () => {
    const osIds = OS_TYPES.map((t) => FOG_OS_IDS[t]);
    expect(new Set(osIds).size).toBe(OS_TYPES.length);
    expect(FOG_OS_IDS.WINDOWS_10).toBe(9);
    expect(FOG_OS_IDS.LINUX).toBe(50);
    const typeIds = IMAGE_TYPES.map((t) => FOG_IMAGE_TYPES[t].id);
    expect(new Set(typeIds).size).toBe(IMAGE_TYPES.length);
    expect(FOG_IMAGE_TYPES.RAW.code).toBe('dd');
  });
});
