/** Long work in BullMQ workers: turns, uploads and exports (see README.md in this folder). */
export { startWorkers, type WorkerDeps, type WorkerTuning, type RunningWorkers } from "./workers.js";
export { createWorkQueue, type WorkQueueOptions } from "./queues.js";
export type { JobEvents } from "./context.js";
export type { StatusPacing } from "./status-message.js";
