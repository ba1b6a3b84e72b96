// Untyped dev dependencies used only by the benchmark.
declare module 'autocannon';
declare module 'oidc-provider';
