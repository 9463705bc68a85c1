/**
 * Checkpoint ids: `ck-<seq, 12 digits>-<nonce>`. The sequence orders
 * checkpoints (lexical order of ids = numeric order of seq, so object
 * listings come back oldest first); the nonce makes an id unique across
 * checkpointer restarts, which may reuse the sequence number of a checkpoint
 * that was aborted and never written down: a late ack of the old attempt
 * can then never match the new one.
 */

const CHECKPOINT_ID = /^ck-([0-9]{12})-([0-9a-z]{1,16})$/;
export const MAX_CHECKPOINT_SEQ = 999_999_999_999;

export interface CheckpointIdParts {
  readonly seq: number;
  readonly nonce: string;
}

export function formatCheckpointId(seq: number, nonce: string): string {
  if (!Number.isInteger(seq) || seq < 0 || seq > MAX_CHECKPOINT_SEQ)
    throw new RangeError(`checkpoint seq ${seq} is not an integer in [0, ${MAX_CHECKPOINT_SEQ}]`);
  if (!/^[0-9a-z]{1,16}$/.test(nonce))
    throw new RangeError(`checkpoint nonce ${nonce} is not [0-9a-z]{1,16}`);
  return `ck-${String(seq).padStart(12, '0')}-${nonce}`;
}

export function parseCheckpointId(id: string): CheckpointIdParts | undefined {
  const m = CHECKPOINT_ID.exec(id);
  if (m === null) return undefined;
  return { seq: Number(m[1]), nonce: m[2]! };
}
