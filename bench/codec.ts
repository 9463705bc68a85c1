// B-02 / B-03 / B-06: wire codecs of @ripple/protocol against msgpackr and JSON in the same run.
//
//   pnpm bench codec [--json]
//
// trade_roundtrip_ns     encode + decode one trade payload (no envelope, like bin_prot / msgpackr / JSON),
//                        cycling through 8,192 trades over 10,000 distinct symbols (the string intern
//                        cache cannot hit every time), every decoded field consumed
// trade_roundtrip_one_trade_ns  the same for one trade encoded again and again (the earlier figure)
// trade_roundtrip_in_place_ns  the same trades through the allocation-free API: writeTradeAt into one
//                        reused buffer, readTradeInto one reused TradeSlot (event time as two 32-bit
//                        halves, no bigint), every field consumed; same payload bytes
// batch_ns_per_trade     1,000 trades: TradeBatchEncoder (length-prefixed records, one envelope + CRC-32C)
//                        then decodeTradeBatch (CRC check, split, decode every trade), per trade
// delta_diff_ns          `diff` of @ripple/stream on a 4-field record with one field changed
// schema_check_ns        checkCompatibility(v2 reader, v1 writer): a real field walk (fingerprints differ)
// fingerprint_ns         canonical bytes + 64-bit hash of the trade schema definition (no cache), the result
//                        compared with the known fingerprint (until session 5: `Number(fp & 1n)`, still printed
//                        as fingerprint_and_1n_ns among the extras)
// snapshot_encode_2000_ms  encodeSnapshot of a worker-shaped partition checkpoint: 2,000 symbol leaves
//                        (3 int64 + 0..2 panes of {start_ns, acc: [n, pv, volume]}) + the partition leaf,
//                        about 300 KB, validated against the worker's partition-state schema
// snapshot_decode_2000_ms  decodeSnapshot of those bytes (CRC, schema check, every leaf validated)
// msgpackr_roundtrip_ns  msgpackr pack + unpack of the same trades (default pack/unpack: maps; bigint
//                        timestamps round-trip)
// msgpackr_records_roundtrip_ns     a Packr with the record extension (useRecords: true), each message
//                        self-describing
// msgpackr_structures_roundtrip_ns  a Packr with shared structures (structures: [], as both sides of a
//                        stream would share them): msgpackr's fastest correct mode
// protobuf_roundtrip_ns  @bufbuild/protobuf toBinary + fromBinary of the same trade (message
//                        { string symbol = 1; double price = 2; double size = 3; sfixed64 timestamp_ns = 4;
//                        string venue = 5; }: size as a double, exact below 2^53, so no bigint conversion)
// json_roundtrip_ns      JSON.stringify + JSON.parse of the same trades (timestamp as a decimal string)
//
// Contenders run interleaved, round after round; each figure is the median of its rounds.
// Extra lines (not in the JSON): framed round trip, CRC-32C pure vs native, the fingerprint hash alone
// (a received handshake: canonical bytes in hand) and SHA-256 of the same bytes (docs/decisions/0002),
// and msgpackr pack/unpack of the same 2,001 snapshot leaves (no validation: a floor, not a contender).

import { createHash } from 'node:crypto';
import {
  checkCompatibility,
  crc32cBackend,
  crc32cJs,
  decodeSnapshot,
  decodeTrade,
  decodeTradeBatch,
  decodeTradePayload,
  defineSchema,
  encodeSnapshot,
  encodeTrade,
  encodeTradePayload,
  fingerprintOf,
  fingerprintOfCanonical,
  type PartitionSnapshot,
  readTradeInto,
  type SchemaDef,
  type SnapshotLeaf,
  TRADE_SCHEMA,
  type Trade,
  TradeBatchEncoder,
  TradeSlot,
  writeTradeAt,
} from '@ripple/protocol';
import { diff } from '@ripple/stream';
import { PARTITION_STATE_SCHEMA, VWAP_OUTPUT_SCHEMA } from '@ripple/worker';
import { Packr, pack, unpack } from 'msgpackr';
import { tradeProtobuf } from './_trade-protobuf.ts';
import { machine, median, printResult } from './_util.ts';

const json = process.argv.includes('--json');
const quick = process.argv.includes('--quick');
const ROUNDS = quick ? 5 : 15;

let sink = 0;

/** ns per call of `f` over `n` calls. */
function time(n: number, f: () => number): number {
  const t0 = process.hrtime.bigint();
  let acc = 0;
  for (let i = 0; i < n; i++) acc += f();
  const ns = Number(process.hrtime.bigint() - t0) / n;
  sink += acc;
  return ns;
}

interface Case {
  readonly name: string;
  readonly n: number;
  readonly f: () => number;
  readonly per?: number;
  /** warm-up calls (default max(1000, n / 4)) */
  readonly warm?: number;
}

function run(cases: readonly Case[]): Record<string, number> {
  for (const c of cases) time(c.warm ?? Math.max(1000, c.n >> 2), c.f); // warm up (JIT)
  const samples = new Map<string, number[]>(cases.map((c) => [c.name, []]));
  for (let r = 0; r < ROUNDS; r++) {
    for (const c of cases) samples.get(c.name)!.push(time(c.n, c.f) / (c.per ?? 1));
  }
  return Object.fromEntries(cases.map((c) => [c.name, median(samples.get(c.name)!)]));
}

const trade: Trade = {
  symbol: 'SYM0042',
  price: 104.2,
  size: 300,
  timestampNs: 1_700_000_000_123_456_789n,
  venue: 'XNAS',
};
const trades: Trade[] = Array.from({ length: 1000 }, (_, i) => ({
  symbol: `SYM${String(i % 100).padStart(4, '0')}`,
  price: 100 + (i % 100) / 10,
  size: 1 + (i % 500),
  timestampNs: 1_700_000_000_000_000_000n + BigInt(i) * 1_000_000n,
  venue: i % 3 === 0 ? 'XNAS' : 'ARCX',
}));

// 8,192 trades over 10,000 distinct symbols, cycled: the round trip figures see string-cache misses.
const symbols = Array.from({ length: 10_000 }, (_, i) => `S${String((i * 7919) % 100_000).padStart(5, '0')}`);
const varied: Trade[] = Array.from({ length: 8192 }, (_, i) => ({
  symbol: symbols[(i * 31) % symbols.length]!,
  price: 100 + (i % 1000) / 100,
  size: 1 + ((i * 13) % 5000),
  timestampNs: 1_700_000_000_000_000_000n + BigInt(i) * 1_000_123n,
  venue: i % 3 === 0 ? 'XNAS' : i % 3 === 1 ? 'ARCX' : 'BATS',
}));
let vk = 0;
const nextTrade = (): Trade => varied[vk++ & 8191]!;
/** Reads every field of a decoded trade (no contender can skip decoding one). */
const consume = (t: Trade): number =>
  t.price + t.size + t.symbol.length + t.venue.length + Number(t.timestampNs & 0xffn);

// the in-place API: the same trades as slots (as a producer would fill them), one buffer, one output slot
const slots = varied.map((t) => new TradeSlot().setTrade(t));
const slotBuf = new Uint8Array(1024);
const slotOut = new TradeSlot();
const consumeSlot = (t: TradeSlot): number =>
  t.price + t.size + t.symbol.length + t.venue.length + (t.timeLo & 0xff) + (t.timeHi & 1);
const inPlaceRoundTrip = (s: TradeSlot): number =>
  consumeSlot(readTradeInto(slotBuf, 0, writeTradeAt(slotBuf, 0, s), slotOut));

const inPlaceTrade = (t: Trade): Trade => {
  inPlaceRoundTrip(new TradeSlot().setTrade(t));
  return slotOut.toTrade();
};

const records = new Packr({ useRecords: true });
const structured = new Packr({ structures: [] });
const proto = tradeProtobuf();

// check every contender round-trips the trades before timing them
const mp = unpack(pack(trade)) as Trade;
for (const t of varied.slice(0, 64)) {
  for (const [name, back] of [
    ['ripple', decodeTradePayload(encodeTradePayload(t))],
    ['ripple in place', inPlaceTrade(t)],
    ['msgpackr', unpack(pack(t)) as Trade],
    ['msgpackr records', records.unpack(records.pack(t)) as Trade],
    ['msgpackr structures', structured.unpack(structured.pack(t)) as Trade],
    ['protobuf', proto.decode(proto.encode(t))],
  ] as const) {
    if (
      back.symbol !== t.symbol ||
      back.price !== t.price ||
      back.size !== t.size ||
      back.timestampNs !== t.timestampNs ||
      back.venue !== t.venue
    ) {
      throw new Error(
        `${name} does not round-trip ${JSON.stringify({ ...t, timestampNs: `${t.timestampNs}` })}`,
      );
    }
  }
}
const toJson = (t: Trade) =>
  `{"symbol":${JSON.stringify(t.symbol)},"price":${t.price},"size":${t.size},"timestampNs":"${t.timestampNs}","venue":${JSON.stringify(t.venue)}}`;
const fromJson = (s: string): Trade => {
  const o = JSON.parse(s) as Omit<Trade, 'timestampNs'> & { timestampNs: string };
  return { ...o, timestampNs: BigInt(o.timestampNs) };
};
for (const [name, back] of [
  ['ripple', decodeTradePayload(encodeTradePayload(trade))],
  ['msgpackr', mp],
  ['json', fromJson(toJson(trade))],
] as const) {
  if (
    JSON.stringify({ ...back, timestampNs: `${back.timestampNs}` }) !==
      JSON.stringify({ ...trade, timestampNs: `${trade.timestampNs}` }) ||
    typeof back.timestampNs !== 'bigint'
  ) {
    throw new Error(`${name} does not round-trip the trade`);
  }
}

const batch = new TradeBatchEncoder();
const batchRoundTrip = () => {
  for (let i = 0; i < trades.length; i++) batch.add(trades[i]!);
  const bytes = batch.finish({ sequence: 1 });
  return decodeTradeBatch(bytes).length;
};
for (let i = 0; i < trades.length; i++) batch.add(trades[i]!);
const batchBytes = batch.finish({ sequence: 1 }).length;

const before = { symbol: 'SYM0042', vwap: 104.21, volume: 120_000, trades: 311 };
const after = { symbol: 'SYM0042', vwap: 104.25, volume: 120_000, trades: 311 };
if (diff(before, after).kind !== 'patch') throw new Error('diff did not give a patch');

// A schema evolution of the VWAP job's output record: v2 widens `count` to int64, adds a
// field with a default and an optional one (what a reader of v2 meets when v1 data is replayed).
const v1 = VWAP_OUTPUT_SCHEMA;
const v2 = defineSchema({
  name: v1.name,
  version: 2,
  fields: [
    ...v1.fields.map((f) => (f.name === 'count' ? { ...f, type: 'int64' as const } : f)),
    { name: 'late', type: 'int', default: 0 },
    { name: 'venue', type: 'string', optional: true },
  ],
});
if (!checkCompatibility(v2, v1).compatible) throw new Error('v2 should read v1');
const tradeDef: SchemaDef = {
  name: TRADE_SCHEMA.name,
  version: TRADE_SCHEMA.version,
  fields: TRADE_SCHEMA.fields,
};
if (fingerprintOf(tradeDef) !== TRADE_SCHEMA.fingerprint) throw new Error('fingerprint mismatch');

// a worker checkpoint: the worker's own schema (PARTITION_STATE_SCHEMA of @ripple/worker)
const partitionState = PARTITION_STATE_SCHEMA;
const t0 = 1_700_000_000_000_000_000n;
const leaves: SnapshotLeaf[] = [
  {
    name: '\u0000partition',
    value: {
      spec: 'vwap tumbling 1s',
      counters: [12, 0, 3, 7],
      max_ts_ns: t0,
      watermark_ns: t0 - 1_000_000n,
      last_sequence: 123_456n,
    },
  },
];
for (let i = 0; i < 2000; i++) {
  const lo = t0 + BigInt(i) * 1_000_000n;
  const panes = Array.from({ length: i % 3 }, (_, p) => ({
    start_ns: lo + BigInt(p) * 1_000_000_000n,
    acc: [7 + p, 104.25 * (i + 1) + p / 3, 300 + i],
  }));
  leaves.push({
    name: `SYM${String(i).padStart(4, '0')}`,
    value: { lo_ns: lo, hi_ns: lo + 5_000_000_000n, gc_at_ns: lo + 60_000_000_000n, panes },
  });
}
const checkpoint: PartitionSnapshot = {
  checkpointId: 'ckpt-000042',
  workerId: 'worker-1',
  partition: 3,
  epoch: 7,
  createdAtNs: t0,
  nodeCount: 4004,
  offsets: [{ topic: 'trades', partition: 3, offset: 987_654n }],
  schema: partitionState,
  leaves,
};
const checkpointBytes = encodeSnapshot(checkpoint);
if (decodeSnapshot(checkpointBytes, { reader: partitionState }).leaves.length !== leaves.length)
  throw new Error('snapshot does not round-trip');
const leafValues = leaves.map((l) => [l.name, l.value]);
const leavesPacked = pack(leafValues);

const main = run([
  {
    name: 'trade_roundtrip_ns',
    n: 200_000,
    f: () => consume(decodeTradePayload(encodeTradePayload(nextTrade()))),
  },
  {
    name: 'trade_roundtrip_one_trade_ns',
    n: 200_000,
    f: () => consume(decodeTradePayload(encodeTradePayload(trade))),
  },
  { name: 'trade_roundtrip_in_place_ns', n: 200_000, f: () => inPlaceRoundTrip(slots[vk++ & 8191]!) },
  { name: 'msgpackr_roundtrip_ns', n: 100_000, f: () => consume(unpack(pack(nextTrade())) as Trade) },
  {
    name: 'msgpackr_records_roundtrip_ns',
    n: 100_000,
    f: () => consume(records.unpack(records.pack(nextTrade())) as Trade),
  },
  {
    name: 'msgpackr_structures_roundtrip_ns',
    n: 100_000,
    f: () => consume(structured.unpack(structured.pack(nextTrade())) as Trade),
  },
  { name: 'protobuf_roundtrip_ns', n: 100_000, f: () => consume(proto.decode(proto.encode(nextTrade()))) },
  { name: 'json_roundtrip_ns', n: 100_000, f: () => consume(fromJson(toJson(nextTrade()))) },
  { name: 'batch_ns_per_trade', n: 40, f: batchRoundTrip, per: trades.length },
  {
    name: 'delta_diff_ns',
    n: 200_000,
    f: () => diff(before, after).kind.length,
  },
  { name: 'schema_check_ns', n: 500_000, f: () => (checkCompatibility(v2, v1).compatible ? 1 : 0) },
  // consumed as a receiver does: compared with a known fingerprint (no bigint arithmetic in the loop)
  {
    name: 'fingerprint_ns',
    n: 200_000,
    f: () => (fingerprintOf(tradeDef) === TRADE_SCHEMA.fingerprint ? 1 : 0),
  },
  { name: 'snapshot_encode_2000_ns', n: 10, warm: 30, f: () => encodeSnapshot(checkpoint).length },
  {
    name: 'snapshot_decode_2000_ns',
    n: 10,
    warm: 30,
    f: () => decodeSnapshot(checkpointBytes, { reader: partitionState }).leaves.length,
  },
]);

// Extra figures for docs/decisions/0001 (not part of the JSON contract).
const frameOf = () => decodeTrade(encodeTrade(trade, { sequence: 1 })).size;
const canonical = TRADE_SCHEMA.canonical;
const sizes = [64, 1024, 40 * 1024];
const bufs = sizes.map((n) => new Uint8Array(n).map((_, i) => (i * 131) & 0xff));
let nativeCrc: ((b: Uint8Array) => number) | undefined;
try {
  nativeCrc = ((await import('@node-rs/crc32')) as { crc32c: (b: Uint8Array) => number }).crc32c;
} catch {
  nativeCrc = undefined;
}
const extras = run([
  { name: 'framed_trade_roundtrip_ns', n: 100_000, f: frameOf },
  // the consumer fingerprint_ns had until session 5: a bigint AND and a Number() per call on top
  { name: 'fingerprint_and_1n_ns', n: 200_000, f: () => Number(fingerprintOf(tradeDef) & 1n) },
  {
    name: 'fingerprint_of_canonical_bytes_ns',
    n: 200_000,
    f: () => Number(fingerprintOfCanonical(canonical) & 1n),
  },
  { name: 'snapshot_msgpackr_pack_2000_ns', n: 10, warm: 30, f: () => pack(leafValues).length },
  {
    name: 'snapshot_msgpackr_unpack_2000_ns',
    n: 10,
    warm: 30,
    f: () => (unpack(leavesPacked) as unknown[]).length,
  },
  { name: 'sha256_fingerprint_ns', n: 50_000, f: () => createHash('sha256').update(canonical).digest()[0]! },
  ...bufs.flatMap((b) => [
    { name: `crc32c_js_${b.length}B_ns`, n: Math.max(50, 2_000_000 / b.length), f: () => crc32cJs(b) },
    ...(nativeCrc === undefined
      ? []
      : [
          {
            name: `crc32c_native_${b.length}B_ns`,
            n: Math.max(50, 2_000_000 / b.length),
            f: () => nativeCrc!(b),
          },
        ]),
  ]),
]);

const r1 = (x: number) => Math.round(x * 10) / 10;
const r3 = (x: number) => Math.round(x * 1000) / 1000;
if (!json || process.argv.includes('--verbose')) {
  console.log(
    `machine: ${JSON.stringify(machine())}, rounds ${ROUNDS}, crc32c backend for >=512 B: ${crc32cBackend}`,
  );
  console.log(
    `trade payload ${encodeTradePayload(trade).length} B, framed ${encodeTrade(trade, { sequence: 1 }).length} B, msgpackr ${pack(trade).length} B, msgpackr structures ${structured.pack(trade).length} B, protobuf ${proto.encode(trade).length} B, JSON ${toJson(trade).length} B`,
  );
  console.log(`batch of 1,000 trades: ${batchBytes} B (${r1(batchBytes / 1000)} B/trade)`);
  console.log(
    `checkpoint of ${leaves.length} leaves: ${checkpointBytes.length} B framed, msgpackr ${leavesPacked.length} B (leaves only)`,
  );
  console.log(
    `ratios to ripple: msgpackr ${r1(main.msgpackr_roundtrip_ns! / main.trade_roundtrip_ns!)}x, ` +
      `msgpackr records ${r1(main.msgpackr_records_roundtrip_ns! / main.trade_roundtrip_ns!)}x, ` +
      `msgpackr structures ${r1(main.msgpackr_structures_roundtrip_ns! / main.trade_roundtrip_ns!)}x, ` +
      `protobuf ${r1(main.protobuf_roundtrip_ns! / main.trade_roundtrip_ns!)}x, ` +
      `JSON ${r1(main.json_roundtrip_ns! / main.trade_roundtrip_ns!)}x`,
  );
  for (const [k, v] of Object.entries(extras)) console.log(`${k}: ${r1(v)}`);
}
if (sink === 42) console.log(''); // keep results observable

printResult(
  {
    suite: 'codec',
    trade_roundtrip_ns: r1(main.trade_roundtrip_ns!),
    batch_ns_per_trade: r1(main.batch_ns_per_trade!),
    delta_diff_ns: r1(main.delta_diff_ns!),
    schema_check_ns: r1(main.schema_check_ns!),
    fingerprint_ns: r1(main.fingerprint_ns!),
    msgpackr_roundtrip_ns: r1(main.msgpackr_roundtrip_ns!),
    json_roundtrip_ns: r1(main.json_roundtrip_ns!),
    trade_roundtrip_one_trade_ns: r1(main.trade_roundtrip_one_trade_ns!),
    trade_roundtrip_in_place_ns: r1(main.trade_roundtrip_in_place_ns!),
    msgpackr_records_roundtrip_ns: r1(main.msgpackr_records_roundtrip_ns!),
    msgpackr_structures_roundtrip_ns: r1(main.msgpackr_structures_roundtrip_ns!),
    protobuf_roundtrip_ns: r1(main.protobuf_roundtrip_ns!),
    snapshot_encode_2000_ms: r3(main.snapshot_encode_2000_ns! / 1e6),
    snapshot_decode_2000_ms: r3(main.snapshot_decode_2000_ns! / 1e6),
  },
  json,
);
