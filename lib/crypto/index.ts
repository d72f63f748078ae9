// Parley's end-to-end encryption protocol v1 (docs/protocol.md): pure TypeScript on WebCrypto,
// no React, no network, no storage. The same code runs in the browser and in Node's tests.
export * from "./bytes";
export * from "./encoding";
export * from "./labels";
export * from "./subtle";
export * from "./primitives";
export * from "./identity";
export * from "./hello";
export * from "./handshake";
export * from "./commit-reveal";
export * from "./consult-key";
export * from "./message";
export * from "./padme";
export * from "./file-stream";
export * from "./file-padding";
export * from "./file-notice";
export * from "./sealed-box";
export * from "./sealed-name";
export * from "./key-copies";
export * from "./passphrase-backup";
export * from "./records-sheet";
export * from "./history-pins";
export * from "./device-link";
export * from "./draft-mask";
