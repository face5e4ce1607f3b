// The RxScale contract lives in @rxbridge/rxscale-contract so the sandbox can share it without depending on
// the client (the client's tests depend on the sandbox; a dependency both ways is a cycle turbo refuses).
// Re-exported here so the client's users see one package.
export * from '@rxbridge/rxscale-contract';
