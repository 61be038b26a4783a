// Standalone HTTP API process (docker-compose / deployment). `npm start` runs everything in one process instead.
import { main } from '../runtime/server-process';

main('api');
