import { ReplyWriter } from '../resp/reply-writer.js';
import type { Client } from './client.js';

/**
 * Routes replies to clients through one shared ReplyWriter. The writer belongs to one client at a time;
 * switching to another client (a PUBLISH reaching subscribers, a BLPOP served by someone else's LPUSH)
 * hands the first client its bytes as one slice. So a pipeline's replies leave in one socket write.
 */
export class Output {
  private readonly writer = new ReplyWriter();
  /** Where replies to a client that asked for none (CLIENT REPLY OFF / SKIP) are written and dropped. */
  private readonly discard = new ReplyWriter();
  private owner: Client | null = null;

  constructor(onError?: (message: string) => void) {
    this.writer.onError = onError;
    this.discard.onError = onError;
  }

  for(c: Client): ReplyWriter {
    if (c.replyOff || c.replySkip) {
      this.discard.take();
      this.discard.resp = c.resp;
      return this.discard;
    }
    if (this.owner !== c) {
      this.flush();
      this.owner = c;
      this.writer.resp = c.resp;
    }
    return this.writer;
  }

  /** Hands the current owner its pending replies. Called at the end of every event-loop turn. */
  flush(): void {
    const c = this.owner;
    if (c === null) return;
    this.owner = null;
    if (this.writer.length === 0) return;
    c.deliver(this.writer.take());
  }
}
