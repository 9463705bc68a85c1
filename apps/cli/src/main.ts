#!/usr/bin/env node
/**
 * Entry point of the `ripple` command (`pnpm ripple <command> ...`).
 * Commands: `vwap` (see `ripple vwap --help`).
 */
import { HELP, parseVwapArgs } from './args.ts';
import { CHECKPOINTS_HELP, parseCheckpointsArgs, runCheckpoints } from './checkpoints.ts';
import { CliError, UsageError } from './errors.ts';
import { runVwap } from './vwap.ts';

const USAGE = `ripple: a distributed incremental stream processor (local command)

Usage:
  pnpm ripple vwap --help     VWAP per symbol and window over synthetic, file or stdin trades
  pnpm ripple checkpoints --help   committed checkpoints: list, show, verify, restore-plan
`;

export async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
      process.stdout.write(USAGE);
      return command === undefined ? 2 : 0;
    }
    if (command === 'checkpoints') {
      const o = parseCheckpointsArgs(rest);
      if (o === null) {
        process.stdout.write(CHECKPOINTS_HELP);
        return 0;
      }
      return await runCheckpoints(o, { stdout: process.stdout, env: process.env });
    }
    if (command !== 'vwap') throw new UsageError(`unknown command ${JSON.stringify(command)}`, 'command');
    const options = parseVwapArgs(rest);
    if (options === null) {
      process.stdout.write(HELP);
      return 0;
    }
    await runVwap(options, {
      stdin: process.stdin,
      stdout: process.stdout,
      stderr: process.stderr,
      now: () => performance.now(),
    });
    return 0;
  } catch (e) {
    if (e instanceof CliError) {
      process.stderr.write(`ripple: ${e.message}\n`);
      if (e instanceof UsageError)
        process.stderr.write(
          `see: pnpm ripple ${command === 'checkpoints' ? 'checkpoints' : 'vwap'} --help\n`,
        );
      return e.exitCode;
    }
    throw e;
  }
}

if (import.meta.main) {
  // A closed pipe (e.g. `| head`) ends the command quietly.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(0);
    throw e;
  });
  process.exitCode = await main(process.argv.slice(2));
}
