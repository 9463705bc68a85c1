/**
 * Typed errors of the graph engine. Every failure mode has its own class with
 * a stable `code` and a `retryable` flag; callers branch on those, never on
 * message text.
 */

export type GraphErrorCode =
  | 'GRAPH_NODE_THREW'
  | 'GRAPH_STABILIZE_FAILED'
  | 'GRAPH_OBSERVER_THREW'
  | 'GRAPH_REENTRANT'
  | 'GRAPH_NODE_DISPOSED'
  | 'GRAPH_NODE_HAS_DEPENDENTS'
  | 'GRAPH_CYCLE'
  | 'GRAPH_NOT_INPUT'
  | 'GRAPH_DUPLICATE_NAME'
  | 'GRAPH_SNAPSHOT_MISMATCH'
  | 'GRAPH_NUMBER_EXPECTED'
  | 'GRAPH_INVARIANT';

import { RippleError } from '@ripple/core';

export abstract class GraphError extends RippleError {
  abstract override readonly code: GraphErrorCode;
  override name = 'GraphError';
}

/** A user function (map/fold/equality) threw while computing a node. */
export class NodeComputeError extends GraphError {
  readonly code = 'GRAPH_NODE_THREW';
  readonly retryable = false;
  readonly nodeId: number;
  readonly nodeLabel: string;
  constructor(nodeId: number, nodeLabel: string, cause: unknown) {
    super(`node ${nodeLabel} (#${nodeId}) threw while recomputing: ${describe(cause)}`, { cause });
    this.name = 'NodeComputeError';
    this.nodeId = nodeId;
    this.nodeLabel = nodeLabel;
  }
}

/**
 * Thrown by `stabilize()` after it has finished when one or more nodes threw.
 * The graph is consistent: each failed node kept its previous value, and so did
 * every node that depends only through it; every other node is up to date.
 * The failed nodes stay dirty and are retried by the next `stabilize()`.
 */
export class StabilizeError extends GraphError {
  readonly code = 'GRAPH_STABILIZE_FAILED';
  readonly retryable = false;
  readonly errors: readonly GraphError[];
  constructor(errors: readonly GraphError[]) {
    super(
      `stabilize: ${errors.length} failure(s); first: ${errors[0]?.message ?? 'unknown'}`,
      errors[0] ? { cause: errors[0] } : undefined,
    );
    this.name = 'StabilizeError';
    this.errors = errors;
  }
}

export class ObserverError extends GraphError {
  readonly code = 'GRAPH_OBSERVER_THREW';
  readonly retryable = false;
  readonly nodeId: number;
  constructor(nodeId: number, nodeLabel: string, cause: unknown) {
    super(`observer of node ${nodeLabel} (#${nodeId}) threw: ${describe(cause)}`, { cause });
    this.name = 'ObserverError';
    this.nodeId = nodeId;
  }
}

/** `stabilize()` called from inside a node function or an observer. */
export class ReentrancyError extends GraphError {
  readonly code = 'GRAPH_REENTRANT';
  readonly retryable = true;
  constructor(operation: string) {
    super(`${operation} is not allowed while the graph is stabilizing`);
    this.name = 'ReentrancyError';
  }
}

export class NodeDisposedError extends GraphError {
  readonly code = 'GRAPH_NODE_DISPOSED';
  readonly retryable = false;
  readonly nodeId: number;
  constructor(nodeId: number, operation: string) {
    super(`${operation}: node #${nodeId} has been disposed`);
    this.name = 'NodeDisposedError';
    this.nodeId = nodeId;
  }
}

export class NodeHasDependentsError extends GraphError {
  readonly code = 'GRAPH_NODE_HAS_DEPENDENTS';
  readonly retryable = false;
  readonly nodeId: number;
  constructor(nodeId: number, nodeLabel: string, dependents: number) {
    super(`cannot dispose node ${nodeLabel} (#${nodeId}): ${dependents} dependent node(s) still use it`);
    this.name = 'NodeHasDependentsError';
    this.nodeId = nodeId;
  }
}

export class CycleError extends GraphError {
  readonly code = 'GRAPH_CYCLE';
  readonly retryable = false;
  constructor(fromId: number, toId: number) {
    super(`adding node #${fromId} as an input of node #${toId} would create a cycle`);
    this.name = 'CycleError';
  }
}

/** A node was used where only a leaf (settable input) or an incrFold is allowed. */
export class NotInputError extends GraphError {
  readonly code = 'GRAPH_NOT_INPUT';
  readonly retryable = false;
  constructor(nodeId: number, expected: string) {
    super(`node #${nodeId} is not ${expected}`);
    this.name = 'NotInputError';
  }
}

export class DuplicateNameError extends GraphError {
  readonly code = 'GRAPH_DUPLICATE_NAME';
  readonly retryable = false;
  constructor(name: string) {
    super(`a leaf named ${JSON.stringify(name)} already exists`);
    this.name = 'DuplicateNameError';
  }
}

export class SnapshotMismatchError extends GraphError {
  readonly code = 'GRAPH_SNAPSHOT_MISMATCH';
  readonly retryable = false;
  readonly missing: readonly string[];
  constructor(message: string, missing: readonly string[]) {
    super(message);
    this.name = 'SnapshotMismatchError';
    this.missing = missing;
  }
}

/**
 * An f64 node was given something other than a number: a leaf set (thrown by `f64Set` /
 * `restore`) or a value returned by an `f64Map`/`f64Map2` function (the cause of that node's
 * `NodeComputeError`). The node keeps its previous value.
 */
export class NumberExpectedError extends GraphError {
  readonly code = 'GRAPH_NUMBER_EXPECTED';
  readonly retryable = false;
  readonly received: string;
  constructor(where: string, received: unknown) {
    super(`${where}: expected a number, got ${received === null ? 'null' : typeof received}`);
    this.name = 'NumberExpectedError';
    this.received = received === null ? 'null' : typeof received;
  }
}

/** Debug mode found a broken invariant: a bug in the engine or an impure user function. */
export class InvariantError extends GraphError {
  readonly code = 'GRAPH_INVARIANT';
  readonly retryable = false;
  constructor(message: string) {
    super(`graph invariant violated: ${message}`);
    this.name = 'InvariantError';
  }
}

function describe(cause: unknown): string {
  if (cause instanceof Error) return `${cause.name}: ${cause.message}`;
  return String(cause);
}
