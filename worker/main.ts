// Standalone Temporal worker process (docker-compose / deployment).
import { main } from '../runtime/server-process';

main('worker');
