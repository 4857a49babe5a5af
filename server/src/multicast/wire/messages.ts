/** Decoded messages, one interface per datagram type (PROTOCOL.md "Datagram layout"). */
import type { DropReason, MessageType, SenderState } from './constants.ts';

export interface DataMessage {
  readonly type: typeof MessageType.Data;
  readonly seq: number;
  readonly blockIndex: number;
  readonly storedLength: number;
  readonly fragIndex: number;
  readonly fragCount: number;
  readonly kind: number;
  /** A view into the datagram: copy it before the datagram buffer is reused. */
  readonly payload: Uint8Array;
}

export interface BeaconMessage {
  readonly type: typeof MessageType.Beacon;
  readonly state: SenderState;
  readonly activeReceivers: number;
  readonly mainCursor: number;
  readonly blockCount: number;
  readonly rateKiBps: number;
}

export interface EndMessage {
  readonly type: typeof MessageType.End;
  readonly outcome: 0 | 1;
  readonly completeReceivers: number;
}

/** Fields every receiver → sender datagram starts with. */
export interface ControlIdentity {
  readonly receiverId: Uint8Array;
  readonly incarnation: number;
  readonly seq: number;
}

export interface ReportMessage extends ControlIdentity {
  readonly type: typeof MessageType.Join | typeof MessageType.Report;
  readonly blocksDone: number;
  readonly complete: boolean;
  readonly failed: boolean;
  readonly lossPermille: number;
  readonly mapStart: number;
  /** Done-map window: bit i of byte j is block mapStart + 8j + i. */
  readonly map: Uint8Array;
}

export interface NackEntry {
  readonly blockIndex: number;
  readonly fragStart: number;
  /** WHOLE_BLOCK (0xffff) with fragStart 0: the whole block. */
  readonly fragCount: number;
}

export interface NackMessage extends ControlIdentity {
  readonly type: typeof MessageType.Nack;
  readonly entries: readonly NackEntry[];
}

export interface WelcomeMessage {
  readonly type: typeof MessageType.Welcome;
  readonly receiverId: Uint8Array;
  readonly incarnation: number;
  readonly unicastBelow: number;
}

export interface AckMessage {
  readonly type: typeof MessageType.Ack;
  readonly receiverId: Uint8Array;
  readonly incarnation: number;
}

export interface DropMessage {
  readonly type: typeof MessageType.Drop;
  readonly receiverId: Uint8Array;
  readonly incarnation: number;
  readonly reason: DropReason;
}

export type SenderToGroup = DataMessage | BeaconMessage | EndMessage;
export type ReceiverToSender = ReportMessage | NackMessage;
export type SenderToReceiver = WelcomeMessage | AckMessage | DropMessage;
export type Message = SenderToGroup | ReceiverToSender | SenderToReceiver;
