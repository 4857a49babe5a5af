/** Task types and states with FOG's ids (`taskTypes` and `taskStates` tables), names in our API. */
export const TASK_TYPES = [
  'DEPLOY',
  'CAPTURE',
  'DEBUG',
  'MEMTEST',
  'TEST_DISK',
  'DISK_SURFACE_TEST',
  'RECOVER',
  'MULTICAST',
  'INVENTORY',
  'PASSWORD_RESET',
  'ALL_SNAPINS',
  'SINGLE_SNAPIN',
  'WAKE_UP',
  'DEPLOY_DEBUG',
  'CAPTURE_DEBUG',
  'DEPLOY_WITHOUT_SNAPINS',
  'FAST_WIPE',
  'NORMAL_WIPE',
  'FULL_WIPE',
] as const;
export type TaskType = (typeof TASK_TYPES)[number];

export const FOG_TASK_TYPE_IDS: Readonly<Record<TaskType, number>> = {
  DEPLOY: 1,
  CAPTURE: 2,
  DEBUG: 3,
  MEMTEST: 4,
  TEST_DISK: 5,
  DISK_SURFACE_TEST: 6,
  RECOVER: 7,
  MULTICAST: 8,
  INVENTORY: 10,
  PASSWORD_RESET: 11,
  ALL_SNAPINS: 12,
  SINGLE_SNAPIN: 13,
  WAKE_UP: 14,
  DEPLOY_DEBUG: 15,
  CAPTURE_DEBUG: 16,
  DEPLOY_WITHOUT_SNAPINS: 17,
  FAST_WIPE: 18,
  NORMAL_WIPE: 19,
  FULL_WIPE: 20,
};

/**
 * Tasks that boot the host into the imaging client. A host runs one of them at a time; Wake-up
 * (run by the server) and snapins (run by the Windows agent) do not occupy the machine that way.
 */
export const NON_IMAGING_TASK_TYPES: readonly TaskType[] = ['WAKE_UP', 'ALL_SNAPINS', 'SINGLE_SNAPIN'];

export function isImagingTaskType(type: TaskType): boolean {
  return !NON_IMAGING_TASK_TYPES.includes(type);
}

export const WIPE_MODES = ['FAST', 'NORMAL', 'FULL'] as const;
export type WipeMode = (typeof WIPE_MODES)[number];

export const WIPE_TASK_TYPES: Readonly<Record<WipeMode, TaskType>> = {
  FAST: 'FAST_WIPE',
  NORMAL: 'NORMAL_WIPE',
  FULL: 'FULL_WIPE',
};

/** Task types started with `startTask`: those needing no image (imaging has its own mutations). */
export const IMAGELESS_TYPES: readonly TaskType[] = [
  'DEBUG',
  'MEMTEST',
  'TEST_DISK',
  'DISK_SURFACE_TEST',
  'RECOVER',
  'INVENTORY',
  'PASSWORD_RESET',
  'WAKE_UP',
  'FAST_WIPE',
  'NORMAL_WIPE',
  'FULL_WIPE',
];

/**
 * FOG task types no part of Brume runs yet (FOS's testdisk, badblocks, photorec, chntpw, a debug
 * shell, the Windows agent's snapins). Queuing one would hold its host (one active imaging task per
 * host) with nothing to run it, so they are refused when started.
 */
export const UNSUPPORTED_TASK_TYPES: readonly TaskType[] = [
  'DEBUG',
  'TEST_DISK',
  'DISK_SURFACE_TEST',
  'RECOVER',
  'PASSWORD_RESET',
  'DEPLOY_DEBUG',
  'CAPTURE_DEBUG',
  'ALL_SNAPINS',
  'SINGLE_SNAPIN',
];
