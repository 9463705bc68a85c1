// The trade as a protobuf message for bench/codec.ts (not a suite: scripts/bench.ts skips `_` files),
// built from a descriptor at run time (@bufbuild/protobuf's runtime is the same reflective code that
// generated code calls): message Trade { string symbol = 1; double price = 2; double size = 3;
// sfixed64 timestamp_ns = 4; string venue = 5; }
import { create, createFileRegistry, fromBinary, toBinary } from '@bufbuild/protobuf';
import { FileDescriptorProtoSchema, FieldDescriptorProto_Type as T } from '@bufbuild/protobuf/wkt';
import type { Trade } from '@ripple/protocol';

interface PbTrade {
  symbol: string;
  price: number;
  size: number;
  timestampNs: bigint;
  venue: string;
}

export function tradeProtobuf(): { encode(t: Trade): Uint8Array; decode(b: Uint8Array): Trade } {
  const field = (name: string, number: number, type: T, jsonName = name) => ({
    name,
    number,
    type,
    jsonName,
  });
  const file = create(FileDescriptorProtoSchema, {
    name: 'ripple_trade_bench.proto',
    package: 'ripplebench',
    syntax: 'proto3',
    messageType: [
      {
        name: 'Trade',
        field: [
          field('symbol', 1, T.STRING),
          field('price', 2, T.DOUBLE),
          field('size', 3, T.DOUBLE),
          field('timestamp_ns', 4, T.SFIXED64, 'timestampNs'),
          field('venue', 5, T.STRING),
        ],
      },
    ],
  });
  const desc = createFileRegistry(file, () => undefined).getMessage('ripplebench.Trade');
  if (desc === undefined) throw new Error('protobuf descriptor of the trade not built');
  return {
    encode: (t) =>
      toBinary(
        desc,
        create(desc, {
          symbol: t.symbol,
          price: t.price,
          size: t.size,
          timestampNs: t.timestampNs,
          venue: t.venue,
        } as never),
      ),
    decode: (b) => fromBinary(desc, b) as unknown as PbTrade,
  };
}
