/**
 * `node --import @ripple/telemetry/register <app>`: process-wide
 * auto-instrumentation, in place before the app's modules load. The apps are
 * ES modules, linked before any of their code runs, so patching what they
 * import takes a loader hook registered first: import-in-the-middle's, told
 * (through its message channel) to intercept only the modules the
 * instrumentations hook — node:http and the AWS SDK's — and nothing else.
 * Then the HTTP (server and client) and AWS SDK (S3) instrumentations are
 * enabled. Their spans go to the tracer provider `startTracing` registers
 * later (the API's global proxy delegates to it); without one (tracing off)
 * they are no-ops.
 */
import { register } from 'node:module';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { createAddHookMessageChannel } from 'import-in-the-middle';
import { autoInstrumentations } from './auto-instrumentations.ts';

const { registerOptions, waitForAllMessagesAcknowledged } = createAddHookMessageChannel();
register('import-in-the-middle/hook.mjs', import.meta.url, registerOptions);
registerInstrumentations({ instrumentations: autoInstrumentations() });
await waitForAllMessagesAcknowledged();
