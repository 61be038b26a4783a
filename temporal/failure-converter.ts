// Loaded by the workflow bundle (worker/workflow-bundle.ts) and by the worker and client through
// temporal/data-converter.ts: the failure converter of every failure the engine writes to Temporal.
// A failure's message and stack trace are plain text in a history unless they are moved into a
// payload, which the codec then encrypts. They carry customer data often enough to be hidden: a mail
// server's refusal names the recipient's address, a Postgres error the value it refused, a step's
// refusal the actor's e-mail. Ops with codec access read them decoded (the UI, `temporal workflow
// show --codec-endpoint`); without it a failure reads "Encoded failure". Its type, whether it is
// retryable and its details (payloads, encrypted too) are unchanged, so the API's error codes and the
// workflows' handling of failures are the same. Sandbox-safe: this module runs inside workflows.
import { DefaultFailureConverter } from '@temporalio/common';

export const failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });
