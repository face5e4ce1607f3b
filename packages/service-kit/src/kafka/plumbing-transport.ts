/** The transport id of the plumbing server; handlers declared with `OnEvent` bind to it only. */
export const PLUMBING_TRANSPORT = Symbol('rxbridge-plumbing');
