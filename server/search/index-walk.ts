/** A row the walk read: its place in the index, its public id, and whether it is in the set (1) or not (0). */
export interface WalkedRow {
  id: number | string;
  /** Epoch milliseconds on SQLite; on PostgreSQL a Date or its text, as the driver is set up. */
  created_at: number | string | Date;
  public_id: string;
  hit: number | string | boolean;
}

/** A customer of the set the walk met: where it sorts (created descending, then public id descending). */
export interface WalkHit {
  id: number | string;
  createdAt: number;
  publicId: string;
}

/** Where a walk resumes inside one request: after this row of the (created_at, id) index. */
export interface IndexPosition {
  createdAt: number;
  id: number | string;
}

export interface WalkOptions {
  /** Hits wanted (a page's limit + 1). */
  need: number;
  /** Rows of the index one walk may read before it gives up (the set is too sparse for walking). */
  budget: number;
  /** Rows the first read takes: a sample from which the density is estimated. */
  firstRead: number;
  /** The cursor's position in this class: only rows after it (created, then public id, descending) count. */
  after: { createdAt: number; publicId: string } | null;
  /**
   * Reads the next `rows` rows of the index newest first: from the cursor's created_at (inclusive)
   * when `from` is null, else strictly after `from`, testing each row for the set.
   */
  read: (from: IndexPosition | null, rows: number) => Promise<WalkedRow[]>;
}

const ms = (v: WalkedRow['created_at']) => (typeof v === 'number' ? v : new Date(v).getTime());
const isHit = (v: WalkedRow['hit']) => v === true || Number(v) === 1;

/**
 * The first `need` customers of a set in page order, found by walking the (created_at, id) index
 * newest first and testing each row, instead of fetching and sorting the whole set: for a set
 * that holds one customer in d, about need × d rows are read. Null when the set proves too sparse
 * (the first read's hit rate says the rest would exceed the budget, or the budget ran out): the
 * caller then sorts the set, which is cheap exactly when it is small.
 *
 * The index orders ties on created_at by the row id, the page by the public id: the walk goes on
 * to the end of the created_at value of the need-th hit, then sorts, so ties come out right.
 * Fewer than `need` hits are returned only when the index ended (the set has no more).
 */
export async function walkNewest(o: WalkOptions): Promise<WalkHit[] | null> {
  const hits: WalkHit[] = [];
  let from: IndexPosition | null = null;
  let walked = 0;
  let rows = Math.max(1, Math.min(o.firstRead, o.budget));
  // The created_at of the need-th hit: once the walk is past it, no later row can enter the page.
  let boundary: number | null = null;
  for (;;) {
    const batch = await o.read(from, rows);
    for (const row of batch) {
      const createdAt = ms(row.created_at);
      if (boundary !== null && createdAt < boundary) return finish(hits, o.need);
      walked++;
      from = { createdAt, id: row.id };
      if (!isHit(row.hit)) continue;
      // Rows at the cursor's instant are on an earlier page up to the cursor's public id.
      if (o.after && createdAt === o.after.createdAt && !(row.public_id < o.after.publicId)) continue;
      hits.push({ id: row.id, createdAt, publicId: row.public_id });
      if (hits.length === o.need) boundary = createdAt;
    }
    if (batch.length < rows) return finish(hits, o.need);
    if (boundary !== null) {
      // Only the rest of one instant's ties is left to read.
      rows = 16;
      continue;
    }
    if (walked >= o.budget || hits.length === 0) return null;
    // The rows still needed at the rate seen so far, with a margin; past the budget → sort instead.
    const expected = Math.ceil(((o.need - hits.length) * walked) / hits.length);
    if (walked + expected > o.budget) return null;
    rows = Math.min(o.budget - walked, Math.ceil(expected * 1.25) + 16);
  }
}

function finish(hits: WalkHit[], need: number): WalkHit[] {
  hits.sort((a, b) => b.createdAt - a.createdAt || (a.publicId < b.publicId ? 1 : a.publicId > b.publicId ? -1 : 0));
  return hits.slice(0, need);
}
