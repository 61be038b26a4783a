// Checks on what reaches a workflow straight from the Temporal UI or CLI, where no API stood in
// front: the same words as the API's refusals, as the failure types it maps to its error codes.
import { ApplicationFailure } from '@temporalio/common';
import { unstorableIssues } from '../domain/storable-text';
import { VALIDATION_FAILED } from './definitions';

/** An Update's argument that carries text no store can keep is refused before it is accepted. */
export function refuseUnstorable(args: unknown): void {
  const issues = unstorableIssues(args);
  if (!issues) return;
  throw ApplicationFailure.create({
    type: VALIDATION_FAILED,
    message: `invalid payload: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
    nonRetryable: true,
    details: issues,
  });
}
