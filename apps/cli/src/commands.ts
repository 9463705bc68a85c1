/**
 * The subcommands of `ripple`: name, one-line summary, usage line and runner.
 * Each runner parses its own arguments (`--help` prints its help on stdout
 * and returns 0) and returns the exit status; errors are `CliError`s.
 * A command's module is imported when it runs: the clients one command needs
 * (AWS SDK, Kafka, NATS) cost seconds to load on a busy machine, and
 * `ripple --help` or `ripple vwap` should not wait for them.
 */
import type { Readable, Writable } from 'node:stream';

export interface CommandIo {
  readonly stdin: Readable;
  readonly stdout: Writable;
  readonly stderr: Writable & { isTTY?: boolean };
  readonly env: Readonly<Record<string, string | undefined>>;
}

export interface Command {
  readonly name: string;
  readonly summary: string;
  readonly usage: string;
  run(args: readonly string[], io: CommandIo): Promise<number>;
}

export const COMMANDS: readonly Command[] = [
  {
    name: 'vwap',
    summary: 'VWAP per symbol and window over synthetic, file or stdin trades (one process)',
    usage:
      'pnpm ripple vwap (--synthetic N | --file PATH | --stdin) [--window 60s] [--format csv|ndjson] ...',
    async run(args, io) {
      const { HELP, parseVwapArgs } = await import('./args.ts');
      const { runVwap } = await import('./vwap.ts');
      const o = parseVwapArgs(args);
      if (o === null) {
        io.stdout.write(HELP);
        return 0;
      }
      await runVwap(o, {
        stdin: io.stdin,
        stdout: io.stdout,
        stderr: io.stderr,
        now: () => performance.now(),
      });
      return 0;
    },
  },
  {
    name: 'produce',
    summary: 'synthetic or CSV trades into the input topic, at a steady rate, with progress',
    usage:
      'pnpm ripple produce (--synthetic N | --file PATH | --stdin) [--rate R] [--topic NAME] [--brokers LIST]',
    async run(args, io) {
      const { kafkaTarget, PRODUCE_HELP, parseProduceArgs, runProduce } = await import('./produce.ts');
      const o = parseProduceArgs(args, io.env);
      if (o === null) {
        io.stdout.write(PRODUCE_HELP);
        return 0;
      }
      await runProduce(o, io, {
        now: () => performance.now(),
        sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
        target: kafkaTarget(o),
      });
      return 0;
    },
  },
  {
    name: 'tail',
    summary: 'decode the output, dead-letter or late topic (--dedup: the consumer contract)',
    usage:
      'pnpm ripple tail [--topic output|dlq|late] [--from earliest|latest|OFFSET|-N] [--follow] [--dedup] [--json]',
    async run(args, io) {
      const { kafkaTailSource, parseTailArgs, runTail, TAIL_HELP } = await import('./tail.ts');
      const o = parseTailArgs(args, io.env);
      if (o === null) {
        io.stdout.write(TAIL_HELP);
        return 0;
      }
      const stop = { stopped: false };
      const onSigint = () => {
        stop.stopped = true;
      };
      if (o.follow) process.once('SIGINT', onSigint);
      try {
        await runTail(o, io, kafkaTailSource(o), stop);
      } finally {
        process.off('SIGINT', onSigint);
      }
      return 0;
    },
  },
  {
    name: 'status',
    summary: 'the cluster view from the coordinator: members, partitions, epochs, lag, rebalances',
    usage: 'pnpm ripple status [--nats URL | --url URL] [--cluster NAME] [--json]',
    async run(args, io) {
      const { parseStatusArgs, runStatus, STATUS_HELP } = await import('./status.ts');
      const o = parseStatusArgs(args, io.env);
      if (o === null) {
        io.stdout.write(STATUS_HELP);
        return 0;
      }
      await runStatus(o, io);
      return 0;
    },
  },
  {
    name: 'query',
    summary: "a key's current state (open and recent windows) from the worker that owns it",
    usage: 'pnpm ripple query SYMBOL [--window all|open|closed|last] [--nats URL] [--cluster NAME] [--json]',
    async run(args, io) {
      const { parseQueryArgs, QUERY_HELP, runQuery } = await import('./query.ts');
      const o = parseQueryArgs(args, io.env);
      if (o === null) {
        io.stdout.write(QUERY_HELP);
        return 0;
      }
      const { openCliBus } = await import('./cluster-bus.ts');
      const bus = await openCliBus(o.natsUrl, io.env, 'ripple-cli-query', o.timeoutMs);
      try {
        await runQuery(o, io, bus);
      } finally {
        await bus.close();
      }
      return 0;
    },
  },
  {
    name: 'graph',
    summary: "a running worker's incremental graph as Graphviz DOT (capped; --all for every node)",
    usage: 'pnpm ripple graph [--worker ID] [--partition N] [--max-nodes N | --all] [--nats URL] [--json]',
    async run(args, io) {
      const { GRAPH_HELP, parseGraphArgs, runGraph } = await import('./graph.ts');
      const o = parseGraphArgs(args, io.env);
      if (o === null) {
        io.stdout.write(GRAPH_HELP);
        return 0;
      }
      const { openCliBus } = await import('./cluster-bus.ts');
      const bus = await openCliBus(o.natsUrl, io.env, 'ripple-cli-graph', o.timeoutMs);
      try {
        await runGraph(o, io, bus);
      } finally {
        await bus.close();
      }
      return 0;
    },
  },
  {
    name: 'checkpoints',
    summary: 'committed checkpoints: list, show, verify, restore-plan',
    usage: 'pnpm ripple checkpoints (list | show ID | verify [ID] | restore-plan PARTITION) [--json]',
    async run(args, io) {
      const { CHECKPOINTS_HELP, parseCheckpointsArgs, runCheckpoints } = await import('./checkpoints.ts');
      const o = parseCheckpointsArgs(args, io.env);
      if (o === null) {
        io.stdout.write(CHECKPOINTS_HELP);
        return 0;
      }
      return await runCheckpoints(o, { stdout: io.stdout, env: io.env });
    },
  },
  {
    name: 'config',
    summary: 'the config an app would start with from this environment (secrets masked), or why not',
    usage: 'pnpm ripple config (worker | coordinator | checkpointer) [--json]',
    async run(args, io) {
      const { CONFIG_HELP, parseConfigArgs, runConfig } = await import('./config-command.ts');
      const o = parseConfigArgs(args);
      if (o === null) {
        io.stdout.write(CONFIG_HELP);
        return 0;
      }
      return runConfig(o, io);
    },
  },
];
