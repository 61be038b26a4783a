// The bare limit of a workflow start: a workflow that does nothing, bundled on its own task queue.
export async function noopWorkflow(): Promise<void> {
  // nothing
}
