// Types for the two node-jose modules content.ts imports: node-jose's own content encryption
// algorithms, the functions its `JWA.decrypt(enc, …)` dispatches to (lib/algorithms/index.js).
// @types/node-jose describes only the package's main module.
interface NodeJoseContentAlgorithm {
  decrypt(
    key: Buffer,
    ciphertext: Buffer,
    props: { iv: Buffer; tag: Buffer; aad: Buffer },
  ): Promise<Buffer>
}

declare module 'node-jose/lib/algorithms/aes-gcm.js' {
  const algorithms: Readonly<Record<string, NodeJoseContentAlgorithm | undefined>>
  export default algorithms
}

declare module 'node-jose/lib/algorithms/aes-cbc-hmac-sha2.js' {
  const algorithms: Readonly<Record<string, NodeJoseContentAlgorithm | undefined>>
  export default algorithms
}
