/**
 * The subcommands of `ripple`: name, one-line summary, usage line and runner.
 * Each runner parses its own arguments (`--help` prints its help on stdout
 * and returns 0) and returns the exit status; errors are `CliError`s.
 */
import type { Readable, Writable } from 'node:stream';
import { HELP, parseVwapArgs } from './args.ts';
import { CHECKPOINTS_HELP, parseCheckpointsArgs, runCheckpoints } from './checkpoints.ts';
import { runVwap } from './vwap.ts';

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
    name: 'checkpoints',
    summary: 'committed checkpoints: list, show, verify, restore-plan',
    usage: 'pnpm ripple checkpoints (list | show ID | verify [ID] | restore-plan PARTITION) [--json]',
    async run(args, io) {
      const o = parseCheckpointsArgs(args, io.env);
      if (o === null) {
        io.stdout.write(CHECKPOINTS_HELP);
        return 0;
      }
      return await runCheckpoints(o, { stdout: io.stdout, env: io.env });
    },
  },
];
