// Bounded capture of a command's output. The stream is always drained (a full pipe would stall the
// remote command); beyond the cap, the middle is dropped and the head and tail kept, because a DM
// tool's first lines say what it did and its last lines say why it failed.

export class OutputCapture {
  private readonly head: Buffer[] = [];
  private headLen = 0;
  private tail: Buffer[] = [];
  private tailLen = 0;
  /** Bytes received in total. */
  total = 0;

  constructor(private readonly cap: number) {}

  private get headCap(): number {
    return Math.ceil(this.cap / 2);
  }

  private get tailCap(): number {
    return Math.floor(this.cap / 2);
  }

  push(chunk: Buffer): void {
    this.total += chunk.length;
    if (this.headLen < this.headCap) {
      const take = Math.min(chunk.length, this.headCap - this.headLen);
      this.head.push(chunk.subarray(0, take));
      this.headLen += take;
      chunk = chunk.subarray(take);
      if (chunk.length === 0) return;
    }
    if (this.tailCap === 0) return;
    this.tail.push(chunk);
    this.tailLen += chunk.length;
    // Drop whole chunks that fall out of the tail window, keeping memory bounded by cap + one chunk.
    while (this.tail.length > 1 && this.tailLen - (this.tail[0]?.length ?? 0) >= this.tailCap) {
      this.tailLen -= this.tail.shift()?.length ?? 0;
    }
  }

  get truncated(): boolean {
    return this.total > this.cap;
  }

  text(): string {
    const head = Buffer.concat(this.head);
    let tail = Buffer.concat(this.tail);
    if (!this.truncated) return Buffer.concat([head, tail]).toString('utf8');
    tail = tail.subarray(tail.length - this.tailCap);
    const omitted = this.total - head.length - tail.length;
    return `${head.toString('utf8')}\n[... ${omitted} bytes omitted by dmdeploy ...]\n${tail.toString('utf8')}`;
  }
}
