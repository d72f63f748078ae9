// Every use of a key or hash has its own label, and every label carries the protocol version.
// There is no negotiation: a v1 peer speaks v1 or is refused.
import { utf8 } from "./bytes";

export const VERSION = "parley/v1";

export const LABEL = {
  helloSig: "parley/v1/hello-sig",
  commit: "parley/v1/commit",
  transcript: "parley/v1/th",
  pairwise: "parley/v1/pairwise",
  callCode: "parley/v1/call-code",
  confirm: "parley/v1/confirm",
  key: "parley/v1/key",
  msg: "parley/v1/msg",
  msgSig: "parley/v1/msg-sig",
  chunk: "parley/v1/chunk",
  safety: "parley/v1/safety",
  name: "parley/v1/name",
  deviceKey: "parley/v1/device-key",
  backup: "parley/v1/backup",
  records: "parley/v1/records",
  deviceKeyName: "parley/v1/device-key-name",
  backupName: "parley/v1/backup-name",
  recordsName: "parley/v1/records-name",
  backupPins: "parley/v1/backup-pins",
  devicePins: "parley/v1/device-pins",
  recordsPins: "parley/v1/records-pins",
  backupKey: "parley/v1/backup-key",
  boxKey: "parley/v1/box-key",
  linkContext: "parley/v1/link-context",
  link: "parley/v1/link",
} as const;

export type Label = (typeof LABEL)[keyof typeof LABEL];

export const label = (l: Label) => utf8(l);
export const version = () => utf8(VERSION);
