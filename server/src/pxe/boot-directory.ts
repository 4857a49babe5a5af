/**
 * The port the boot chain needs from the rest of Brume. The PXE domain depends on this interface
 * only; `pxe-directory-adapter.ts` implements it over the hosts, tasks, images, multicast and auth
 * services. Everything here is keyed by what a booting machine can claim (a MAC), so nothing in
 * it returns a secret: a MAC is not an identity.
 */

export type BootHostState = 'pending' | 'approved';

export interface BootTask {
  readonly id: string;
  /** FOG-style task kind as the imaging environment reads it, e.g. `deploy`, `capture`, `inventory`. */
  readonly kind: string;
}

export interface BootHost {
  readonly id: string;
  readonly name: string;
  readonly state: BootHostState;
  /** The host's queued or checked-in imaging task, if any: it boots straight into it. */
  readonly pendingTask: BootTask | null;
}

export interface BootImage {
  readonly id: string;
  readonly name: string;
}

/** One boot request, as logged: who asked, from where, and what they were given. */
export interface BootRecord {
  readonly mac: string;
  readonly hostId: string | null;
  readonly address: string | null;
  readonly arch: string | null;
  readonly uuid: string | null;
  readonly at: Date;
  /** `menu`, `task`, `login-refused`, or the action performed (`deploy`, `approve`, ...). */
  readonly outcome: string;
}

/** A user whose credentials were verified and whose role allows boot-menu actions. */
export interface BootOperator {
  readonly username: string;
  /** The user's id, recorded as the creator of what the action queues. */
  readonly userId: string | null;
}

/** Domain refusals come back as values (shown on the client's screen), not exceptions. */
export type BootActionResult<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly message: string };

export interface BootActionContext {
  readonly mac: string;
  readonly host: BootHost | null;
  readonly operator: BootOperator;
  readonly address: string | null;
}

export interface BootDirectory {
  lookupByMac(mac: string): Promise<BootHost | null>;
  /** Logs the request (audit/boot log) and, for a known host, updates its last-seen time. */
  recordBoot(entry: BootRecord): Promise<void>;
  /** Checks the password and that the role may act from the boot menu (operator or admin). */
  verifyOperator(username: string, password: string, address: string | null): Promise<BootOperator | null>;
  listImages(): Promise<readonly BootImage[]>;
  /** Queues a deploy of the image to this machine (registering it first if the adapter must). */
  deployImage(ctx: BootActionContext, imageId: string): Promise<BootActionResult<BootTask>>;
  joinMulticastSession(ctx: BootActionContext, sessionName: string): Promise<BootActionResult<BootTask>>;
  deleteHost(ctx: BootActionContext): Promise<BootActionResult<null>>;
  /** Approves a pending host; FOG also queues an inventory, returned here when it does. */
  approveHost(ctx: BootActionContext): Promise<BootActionResult<BootTask | null>>;
  /**
   * Ends a task the boot chain runs itself (Memtest86+: serving its boot script is all there is to
   * it): complete, or failed with `failure` when it could not be booted.
   */
  finishBootTask(taskId: string, failure: string | null): Promise<void>;
}
