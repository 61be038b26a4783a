// Prints the ready-made Temporal UI filters with "now" written out, each as a link to the UI's
// workflow list and as a `temporal workflow list` command. The query language has no now(), so a
// filter that looks ahead is only good for a while: run this again when it is stale.
//   npm run ops:filters [-- --assignee tech@lastcall.example] [--customer "Acme Corp"] [--at 2026-11-25T09:00:00Z] [--only <id>]
import { parseArgs } from 'node:util';
import { loadConfig } from '../config';
import { OPS_FILTERS, cliListCommand, uiListUrl } from '../temporal/ops-filters';

const { values } = parseArgs({
  options: {
    assignee: { type: 'string' },
    customer: { type: 'string' },
    at: { type: 'string' },
    only: { type: 'string' },
  },
});

const now = values.at ? new Date(values.at) : new Date();
if (Number.isNaN(now.getTime())) {
  console.error(`--at: not a date: ${values.at}`);
  process.exit(2);
}
const { temporal } = loadConfig();
const ctx = { now, assignee: values.assignee, customerName: values.customer };
const chosen = values.only ? OPS_FILTERS.filter((f) => f.id === values.only) : OPS_FILTERS;
if (chosen.length === 0) {
  console.error(`--only: no filter "${values.only}" (known: ${OPS_FILTERS.map((f) => f.id).join(', ')})`);
  process.exit(2);
}

console.log(`Ready-made filters for ${now.toISOString()} (namespace ${temporal.namespace}, UI ${temporal.uiUrl})\n`);
for (const f of chosen) {
  const query = f.query(ctx);
  console.log(`${f.id}: ${f.title}`);
  console.log(`  query  ${query}`);
  console.log(`  UI     ${uiListUrl(temporal.uiUrl, temporal.namespace, query)}`);
  console.log(`  CLI    ${cliListCommand(query, temporal.namespace)}\n`);
}
