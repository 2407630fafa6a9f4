// Unchanged by the close optimisation: the oracle uses the engine's own module.
export * from '../../../../src/engine/money.ts';
