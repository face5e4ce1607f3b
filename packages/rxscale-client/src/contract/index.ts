// Filled by the contract work (issue 3): one module per resource of API.md §7-§11.
export {};
