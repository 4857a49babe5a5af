/**
 * Pre-flight of a task that writes a disk: run BEFORE any write (FOG #671, #778: fail loudly when
 * the target is missing or wrong, never image a USB device). Pure rule plus a reader of the target.
 */
import { type DiskIdentity, describeDisk } from '@brume/server/imaging';

export interface TargetFacts {
  readonly path: string;
  /** False when the path does not exist or is neither a file nor a block device. */
  readonly present: boolean;
  readonly size: number;
  readonly identity: DiskIdentity;
}

export interface PreflightRule {
  /** Bytes the task needs (the image's required size; 0 for a wipe). */
  readonly requiredBytes: number;
  /** The serial the host pins, if any. */
  readonly pinnedSerial?: string | null;
}

export class PreflightError extends Error {
  readonly code: 'TARGET_MISSING' | 'TARGET_REMOVABLE' | 'TARGET_TOO_SMALL' | 'TARGET_SERIAL_MISMATCH';
  constructor(code: PreflightError['code'], message: string) {
    super(message);
    this.name = 'PreflightError';
    this.code = code;
  }
}

/** The first reason the target must not be written, or null. */
export function preflightProblem(target: TargetFacts, rule: PreflightRule): PreflightError | null {
  if (!target.present) return new PreflightError('TARGET_MISSING', `target disk ${target.path} is missing`);
  if (target.identity.removable === true) {
    return new PreflightError('TARGET_REMOVABLE', `target disk ${target.path} is removable (USB?): refused`);
  }
  if (target.size < rule.requiredBytes) {
    return new PreflightError(
      'TARGET_TOO_SMALL',
      `target disk ${target.path} holds ${target.size} bytes; the image needs ${rule.requiredBytes}`,
    );
  }
  const pinned = rule.pinnedSerial?.trim();
  if (pinned && target.identity.serial?.trim() !== pinned) {
    return new PreflightError(
      'TARGET_SERIAL_MISMATCH',
      `target disk ${target.path} has serial ${target.identity.serial ?? '(none)'}, the host pins ${pinned}`,
    );
  }
  return null;
}

export async function readTarget(path: string, sysfsRoot?: string): Promise<TargetFacts> {
  try {
    const d = await describeDisk(path, sysfsRoot === undefined ? {} : { sysfsRoot });
    return { path, present: true, size: d.size, identity: d.identity };
  } catch {
    return { path, present: false, size: 0, identity: {} };
  }
}

/** Reads the target and throws the first problem. */
export async function assertTarget(
  path: string,
  rule: PreflightRule,
  sysfsRoot?: string,
): Promise<TargetFacts> {
  const target = await readTarget(path, sysfsRoot);
  const problem = preflightProblem(target, rule);
  if (problem) throw problem;
  return target;
}
