/**
 * The last "no free slot" answer (429 BUSY) each session's ticket requests got, so the sweep that
 * later fails the session can say the server was full rather than that nobody came. In memory:
 * only this process hands out slots, and a restart that forgets it loses only the better reason
 * (the sweep then gives the plain one). An entry goes when the session launches or ends.
 */
export interface SlotRefusal {
  /** How many slots the server has (all of them were in use). */
  readonly capacity: number;
  readonly at: Date;
}

export class SlotRefusals {
  private readonly last = new Map<string, SlotRefusal>();

  record(sessionId: string, refusal: SlotRefusal): void {
    this.last.set(sessionId, refusal);
  }

  of(sessionId: string): SlotRefusal | undefined {
    return this.last.get(sessionId);
  }

  forget(sessionId: string): void {
    this.last.delete(sessionId);
  }
}
