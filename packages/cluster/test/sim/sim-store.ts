/**
 * The simulation's model of the state plane: snapshots per partition with
 * epoch-checked commits (what the checkpointer's manifests must do). A new
 * owner claims the partition's epoch before going live; a write or a claim
 * under a lower epoch is refused, so a zombie cannot publish a snapshot a
 * restore would use.
 */
export interface SimSnapshot {
  readonly key: string;
  readonly partition: number;
  readonly epoch: number;
  readonly offset: number;
}

export class SimSnapshotStore {
  private readonly byPartition = new Map<number, SimSnapshot[]>();
  private readonly claimed = new Map<number, number>();
  private seq = 0;
  refusedWrites = 0;

  claim(partition: number, epoch: number): boolean {
    if ((this.claimed.get(partition) ?? 0) > epoch) return false;
    this.claimed.set(partition, epoch);
    return true;
  }

  put(partition: number, epoch: number, offset: number): SimSnapshot | null {
    if ((this.claimed.get(partition) ?? 0) > epoch) {
      this.refusedWrites++;
      return null;
    }
    const s = { key: `p${partition}-e${epoch}-o${offset}-${this.seq++}`, partition, epoch, offset };
    let l = this.byPartition.get(partition);
    if (l === undefined) {
      l = [];
      this.byPartition.set(partition, l);
    }
    l.push(s);
    return s;
  }

  newest(partition: number): SimSnapshot | null {
    const l = this.byPartition.get(partition);
    return l === undefined || l.length === 0 ? null : l[l.length - 1]!;
  }

  get(partition: number, key: string): SimSnapshot | null {
    return this.byPartition.get(partition)?.find((s) => s.key === key) ?? null;
  }
}
