// Data model of design doc §3, one import for all of it. Every schema is strict so a typo in a plan is an error, not a
// silent default. The parts live in their own files; none of them imports this one.
export { describeInput } from './fields';
export * from './host';
export * from './speculative';
export * from './variant';
export * from './workload';
export * from './tuningPlan';
export * from './results';
export * from './experiment';
