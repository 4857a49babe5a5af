/**
 * Operating systems and image types, with the ids FOG uses, so exports and imports of FOG data map
 * one to one.
 */
export const OS_TYPES = [
  'WINDOWS_7',
  'WINDOWS_8',
  'WINDOWS_8_1',
  'WINDOWS_10',
  'WINDOWS_11',
  'LINUX',
  'OTHER',
] as const;
export type OsType = (typeof OS_TYPES)[number];

/** FOG's `os` table ids. Our FOG reference gives Windows 11 no id: 12, the next unused one, is our pick. */
export const FOG_OS_IDS: Readonly<Record<OsType, number>> = {
  WINDOWS_7: 5,
  WINDOWS_8: 6,
  WINDOWS_8_1: 7,
  WINDOWS_10: 9,
  WINDOWS_11: 12,
  LINUX: 50,
  OTHER: 99,
};

export const IMAGE_TYPES = [
  'SINGLE_DISK_RESIZABLE',
  'MULTIPLE_PARTITION_SINGLE_DISK',
  'MULTIPLE_PARTITION_ALL_DISKS',
  'RAW',
] as const;
export type ImageType = (typeof IMAGE_TYPES)[number];

/** FOG's image type ids and the short codes its client uses (`n`, `mps`, `mpa`, `dd`). */
export const FOG_IMAGE_TYPES: Readonly<Record<ImageType, { id: number; code: string }>> = {
  SINGLE_DISK_RESIZABLE: { id: 1, code: 'n' },
  MULTIPLE_PARTITION_SINGLE_DISK: { id: 2, code: 'mps' },
  MULTIPLE_PARTITION_ALL_DISKS: { id: 3, code: 'mpa' },
  RAW: { id: 4, code: 'dd' },
};
