/**
 * Each running session takes a slot: its own group (base + slot) and a data/control port pair
 * (portMin + 2 slot, + 1), so receivers of one session never see another session's stream.
 */
import type { MulticastConfig } from '../../config/multicast-section.ts';
import { noFreeSlotReason } from '../multicast-rules.ts';

export interface SessionSlot {
  readonly index: number;
  readonly group: string;
  readonly dataPort: number;
  readonly controlPort: number;
}

export class NoFreeSlotError extends Error {
  readonly code = 'NO_FREE_MULTICAST_SLOT';
  readonly capacity: number;
  constructor(capacity: number) {
    super(noFreeSlotReason(capacity));
    this.capacity = capacity;
  }
}

const toInt = (a: string) => a.split('.').reduce((n, part) => n * 256 + Number(part), 0);
const toAddress = (n: number) => [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.');

export class SessionSlots {
  private readonly used = new Set<number>();
  private readonly config: MulticastConfig;

  constructor(config: MulticastConfig) {
    this.config = config;
  }

  get capacity(): number {
    const ports = Math.floor((this.config.portMax - this.config.portMin + 1) / 2);
    // Stay inside the base's /8 of the multicast range (239.x: administratively scoped).
    const groups = 0xefffffff - toInt(this.config.groupBase) + 1;
    return Math.max(0, Math.min(ports, groups));
  }

  take(): SessionSlot {
    for (let index = 0; index < this.capacity; index++) {
      if (this.used.has(index)) continue;
      this.used.add(index);
      const dataPort = this.config.portMin + 2 * index;
      return {
        index,
        group: toAddress(toInt(this.config.groupBase) + index),
        dataPort,
        controlPort: dataPort + 1,
      };
    }
    throw new NoFreeSlotError(this.capacity);
  }

  release(slot: SessionSlot): void {
    this.used.delete(slot.index);
  }
}
