// What the server says about the consult's documents: its list (once it answered) and the `file`
// events heard since. An event is newer than a list asked for before it, so it wins; a list is
// newer than the events heard before it was asked for. A document is gone only when an event said
// so, or when a list asked for after its announcement leaves it out and no later event mentioned
// it. Otherwise a document no event mentioned is of unknown state (the room shows it as ready; a
// download says what happened).
import { fileView, type FileView, type StreamEvent } from "@/lib/shared/api";

export type ServerState = FileView | "gone" | undefined;

export class ServerFiles {
  private listed: Map<string, FileView> | undefined;
  /** the documents announced when the list that answered was asked for: it must hold them */
  private covered = new Set<string>();
  private readonly heard = new Map<string, { view: FileView | "gone"; n: number }>();
  private count = 0;

  /** A list request starts, with these documents announced: the function takes its answer. */
  asking(announced: Iterable<string>): (files: FileView[]) => void {
    const since = this.count;
    const covered = new Set(announced);
    return (files) => {
      this.listed = new Map(files.map((f) => [f.id, f]));
      this.covered = covered;
      for (const [id, h] of this.heard) if (h.n <= since) this.heard.delete(id);
    };
  }

  /** A `file` event from the stream; false when it says nothing this can use. */
  hear(e: StreamEvent): boolean {
    if (e.kind !== "file") return false;
    if (e.type === "deleted" || e.type === "failed") {
      const id = (e.payload as { id?: unknown }).id;
      if (typeof id !== "string") return false;
      if (e.type === "deleted") return this.set(id, "gone");
      const f = this.stateOf(id);
      return typeof f === "object" && this.set(id, { ...f, status: "failed" });
    }
    const f = fileView.safeParse(e.payload);
    return f.success && this.set(f.data.id, f.data);
  }

  stateOf(id: string): ServerState {
    const h = this.heard.get(id);
    if (h) return h.view;
    if (!this.listed) return undefined;
    return this.listed.get(id) ?? (this.covered.has(id) ? "gone" : undefined);
  }

  /** Documents being uploaded by someone else than `participantId` (sizes only until announced). */
  incoming(participantId: string): FileView[] {
    const ids = new Set([...(this.listed?.keys() ?? []), ...this.heard.keys()]);
    const out: FileView[] = [];
    for (const id of ids) {
      const f = this.stateOf(id);
      if (typeof f === "object" && f.status === "uploading" && f.uploaderParticipantId !== participantId) out.push(f);
    }
    return out;
  }

  private set(id: string, view: FileView | "gone"): true {
    this.heard.set(id, { view, n: ++this.count });
    return true;
  }
}
