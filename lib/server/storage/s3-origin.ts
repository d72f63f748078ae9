// The origin a browser talks to when it follows Parley's presigned S3 URLs, for the page's
// Content-Security-Policy `connect-src` (proxy.ts). Pure, no SDK: the proxy runs on every page
// request and needs nothing else of the store. It follows the addressing rules of
// @aws-sdk/client-s3 (checked against real presigned URLs in tests/unit/s3-origin.test.ts):
//   S3_ENDPOINT set, path style (the default with an endpoint)   → the endpoint's origin
//   S3_ENDPOINT set, S3_FORCE_PATH_STYLE=false                    → <bucket>.<endpoint host>, when
//                                                                   the bucket can be a host name
//   no endpoint (AWS)                                             → https://<bucket>.s3.<region>.amazonaws.com,
//                                                                   or https://s3.<region>.amazonaws.com path style
export type S3Addressing = { endpoint: string | undefined; region: string; bucket: string; forcePathStyle: boolean };

const LABEL = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/;
const IPV4 = /^\d{1,3}(?:\.\d{1,3}){3}$/;

/** Can the bucket name lead a host name? As the SDK decides it: one lowercase DNS label, 3–63 long. */
const virtualHostable = (bucket: string) => bucket.length >= 3 && bucket.length <= 63 && LABEL.test(bucket);

export function s3BrowserOrigin(s: S3Addressing): string {
  if (s.endpoint) {
    const url = new URL(s.endpoint);
    const ipHost = IPV4.test(url.hostname) || url.hostname.startsWith("[");
    if (s.forcePathStyle || ipHost || !virtualHostable(s.bucket)) return url.origin;
    return `${url.protocol}//${s.bucket}.${url.host}`;
  }
  const host = `s3.${s.region}.${s.region.startsWith("cn-") ? "amazonaws.com.cn" : "amazonaws.com"}`;
  return s.forcePathStyle || !virtualHostable(s.bucket) ? `https://${host}` : `https://${s.bucket}.${host}`;
}
