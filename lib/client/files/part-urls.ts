// Presigned part URLs for one upload, asked for ahead of need: the first part asks for a batch,
// and once a part is reached with less than half a batch asked for beyond it, the next batch is
// asked for in the background. Parts sent at once share one request (each used to ask for its own
// batch while the first answer was on its way), and no part waits for a round trip to the server
// in the middle of an upload.

export type PartUrl = { partNumber: number; url: string };

export const URL_BATCH = 16;

export class PartUrls {
  private readonly asked = new Map<number, Promise<string>>();

  constructor(
    private readonly partCount: number,
    private readonly ask: (parts: number[]) => Promise<PartUrl[]>,
    private readonly batch = URL_BATCH,
  ) {}

  /** The URL for `part`; `fresh`: a new one (the last was refused, e.g. expired). */
  get(part: number, fresh = false): Promise<string> {
    if (fresh) this.asked.delete(part);
    const wanted: number[] = [];
    for (let n = part; n < part + this.batch && n <= this.partCount; n++) if (!this.asked.has(n)) wanted.push(n);
    if (wanted[0] === part || wanted.length >= this.batch / 2) this.request(wanted);
    const url = this.asked.get(part);
    if (!url) throw new Error(`Part ${part} is not part of this upload.`);
    return url;
  }

  private request(parts: number[]): void {
    const answer = this.ask(parts);
    for (const n of parts) {
      const url = answer.then((urls) => {
        const found = urls.find((u) => u.partNumber === n);
        if (!found) throw new Error(`The server gave no URL for part ${n}.`);
        return found.url;
      });
      // A failed request is asked again by the next part that needs it.
      url.catch(() => {
        if (this.asked.get(n) === url) this.asked.delete(n);
      });
      this.asked.set(n, url);
    }
  }
}
