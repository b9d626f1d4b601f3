/**
 * The NemoVideo emulator: a loopback HTTP server that speaks the whole backend contract
 * (docs/backend-contract.md) for tests, benchmarks and the offline demo. It is an emulator,
 * says so on every answer (`x-emulator: nemovideo-emulator`), and never talks to the real backend.
 */
export { startEmulator, DEFAULT_TIMING } from "./server.js";
export type {
  Emulator,
  EmulatorOptions,
  EmulatorTiming,
  EmulatorCounters,
  CountersSnapshot,
  EmulatedSessionView,
  EmulatedUpload,
  Fault,
  FaultKind,
  FaultQueue,
  RenderShape,
  RouteName,
} from "./types.js";
export { FAULT_KINDS, DEFAULT_FAULT_ROUTES } from "./faults.js";
