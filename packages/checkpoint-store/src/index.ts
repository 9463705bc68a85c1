/**
 * @ripple/checkpoint-store — committed checkpoints as an ObjectStore holds
 * them, for every process that reads or maintains them (the checkpointer,
 * the CLI, later the worker's restore):
 * - `ManifestCatalog`: the decodable manifests under a layout, oldest first
 *   (a manifest that does not decode is reported, never used);
 * - `findRestorePlan` / `verifyObject`: the newest committed chain of a
 *   partition whose every object has the manifest's size and CRC-32C;
 * - `planRetention`: what to delete so the newest N checkpoints and
 *   everything they reference stay.
 */
export { type CatalogView, type CorruptManifest, ManifestCatalog } from './catalog.ts';
export { findRestorePlan, type RestoreAnswer, verifyObject } from './restore.ts';
export {
  type ListedManifest,
  type ListedObject,
  planRetention,
  type RetentionInput,
  type RetentionPlan,
} from './retention.ts';
