// A private single-node Kafka (KRaft) for tests that restart the broker: the
// shared broker other suites use must never be disturbed. It runs the jars
// infra/up.sh installs (infra/.cache/kafka-<version>/libs; RIPPLE_KAFKA_LIBS
// overrides), on free ports, with its data in a temporary directory that
// survives its own restarts. Started and stopped by pid.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Admin } from '@platformatic/kafka';
import { sleep } from './helpers.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const LIBS = process.env.RIPPLE_KAFKA_LIBS ?? join(ROOT, 'infra', '.cache', 'kafka-3.9.1', 'libs');
const LOG4J = join(ROOT, 'infra', 'kafka', 'log4j.properties');

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const a = s.address();
  await new Promise<void>((r) => s.close(() => r()));
  return typeof a === 'object' && a !== null ? a.port : 0;
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const c = tcpConnect(port, '127.0.0.1');
    c.once('connect', () => {
      c.destroy();
      resolve(true);
    });
    c.once('error', () => resolve(false));
  });
}

export class PrivateKafka {
  private child: ChildProcess | null = null;
  private readonly dir = mkdtempSync(join(tmpdir(), 'ripple-kafka-'));
  private port = 0;
  private controllerPort = 0;
  log = '';

  get brokers(): string[] {
    return [`127.0.0.1:${this.port}`];
  }

  private java(args: string[]): string[] {
    return [
      '-Xmx256m',
      '-Xms64m',
      '-XX:+UseG1GC',
      '-Djava.awt.headless=true',
      `-Dlog4j.configuration=file:${LOG4J}`,
      '-cp',
      `${LIBS}/*`,
      ...args,
    ];
  }

  /** Start (formatting the storage the first time) and wait until it answers metadata. */
  async start(): Promise<void> {
    if (!existsSync(LIBS))
      throw new Error(`Kafka jars not found at ${LIBS}: run infra/up.sh (or set RIPPLE_KAFKA_LIBS)`);
    const config = join(this.dir, 'server.properties');
    if (this.port === 0) {
      this.port = await freePort();
      this.controllerPort = await freePort();
      writeFileSync(
        config,
        [
          'process.roles=broker,controller',
          'node.id=1',
          `controller.quorum.voters=1@127.0.0.1:${this.controllerPort}`,
          `listeners=PLAINTEXT://127.0.0.1:${this.port},CONTROLLER://127.0.0.1:${this.controllerPort}`,
          `advertised.listeners=PLAINTEXT://127.0.0.1:${this.port}`,
          'controller.listener.names=CONTROLLER',
          'inter.broker.listener.name=PLAINTEXT',
          'listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
          `log.dirs=${join(this.dir, 'data')}`,
          'num.partitions=8',
          'default.replication.factor=1',
          'auto.create.topics.enable=false',
          'offsets.topic.replication.factor=1',
          'transaction.state.log.replication.factor=1',
          'transaction.state.log.min.isr=1',
          'group.initial.rebalance.delay.ms=0',
          'num.network.threads=2',
          'num.io.threads=2',
          '',
        ].join('\n'),
      );
      const id = spawnSync('java', this.java(['kafka.tools.StorageTool', 'random-uuid']), {
        encoding: 'utf8',
      });
      const uuid = id.stdout.trim().split('\n').pop() ?? '';
      const f = spawnSync(
        'java',
        this.java(['kafka.tools.StorageTool', 'format', '-t', uuid, '-c', config]),
        {
          encoding: 'utf8',
        },
      );
      if (f.status !== 0) throw new Error(`kafka storage format failed: ${f.stderr}${f.stdout}`);
    }
    const child = spawn('java', this.java(['kafka.Kafka', config]), { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    const append = (c: Buffer) => {
      this.log += c.toString();
      if (this.log.length > 200_000) this.log = this.log.slice(-100_000);
    };
    child.stdout?.on('data', append);
    child.stderr?.on('data', append);
    const deadline = Date.now() + 120_000;
    while (!(await portOpen(this.port))) {
      if (child.exitCode !== null)
        throw new Error(`private kafka exited (${child.exitCode}):\n${this.log.slice(-3000)}`);
      if (Date.now() > deadline) throw new Error(`private kafka did not open port ${this.port}`);
      await sleep(250);
    }
    const admin = new Admin({ clientId: 'private-kafka', bootstrapBrokers: this.brokers });
    try {
      for (;;) {
        try {
          await admin.metadata({ topics: [] });
          break;
        } catch (e) {
          if (Date.now() > deadline) throw e;
          await sleep(250);
        }
      }
    } finally {
      await admin.close();
    }
  }

  /** Stop the broker (SIGTERM, then SIGKILL after 30 s) and wait for its exit. */
  async stop(): Promise<void> {
    const c = this.child;
    if (c === null || c.exitCode !== null) return;
    const exited = new Promise<void>((r) => c.once('exit', () => r()));
    c.kill('SIGTERM');
    const t = setTimeout(() => c.kill('SIGKILL'), 30_000);
    await exited;
    clearTimeout(t);
    this.child = null;
  }

  async close(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
