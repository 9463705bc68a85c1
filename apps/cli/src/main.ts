#!/usr/bin/env node
/**
 * Entry point of the `ripple` command (`pnpm ripple <command> ...`): one
 * binary, one subcommand per operator task, `--help` on each, `--version`.
 * Misuse prints the reason and the usage line on stderr and exits 2.
 */
import { readFileSync } from 'node:fs';
import { COMMANDS, type Command, type CommandIo } from './commands.ts';
import { CliError, UsageError } from './errors.ts';

export const VERSION: string = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

export function usage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return `ripple ${VERSION}: a distributed incremental stream processor: the operator's command

Usage:
  pnpm ripple <command> [options]      (--opt VALUE or --opt=VALUE; <command> --help for each)

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join('\n')}

  --version  the version
  --help     this text

Exit status: 0 success, 1 a failure (unreadable input, unreachable service), 2 misuse.
`;
}

export async function main(argv: readonly string[], io: CommandIo = processIo()): Promise<number> {
  const [name, ...rest] = argv;
  let command: Command | undefined;
  try {
    if (name === '--help' || name === '-h' || name === 'help') {
      io.stdout.write(usage());
      return 0;
    }
    if (name === '--version' || name === '-V') {
      io.stdout.write(`${VERSION}\n`);
      return 0;
    }
    if (name === undefined) throw new UsageError('give a command', 'command');
    command = COMMANDS.find((c) => c.name === name);
    if (command === undefined) throw new UsageError(`unknown command ${JSON.stringify(name)}`, 'command');
    return await command.run(rest, io);
  } catch (e) {
    if (e instanceof CliError) {
      io.stderr.write(`ripple${command === undefined ? '' : ` ${command.name}`}: ${e.message}\n`);
      if (e instanceof UsageError)
        io.stderr.write(
          command === undefined
            ? usage()
            : `usage: ${command.usage}\nsee: pnpm ripple ${command.name} --help\n`,
        );
      return e.exitCode;
    }
    throw e;
  }
}

function processIo(): CommandIo {
  return { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env };
}

if (import.meta.main) {
  // A closed pipe (e.g. `| head`) ends the command quietly.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(0);
    throw e;
  });
  process.exitCode = await main(process.argv.slice(2));
}
