/**
 * The exports of a CommonJS package loaded with `import()`. Node gives its named exports directly;
 * a bundle (esbuild, the push directory) gives them under `default`. Both shapes work here.
 */
export function interopDefault<T extends object>(module: T): T {
  const fallback = (module as { default?: unknown }).default
  return Object.keys(module).length <= 1 && typeof fallback === 'object' && fallback !== null
    ? (fallback as T)
    : module
}
