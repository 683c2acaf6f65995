/**
 * A small terminal screen for tests: enough of VT100 to replay what Ink writes (text, newlines,
 * cursor up / next line / column, erase line and screen, synchronized-output and SGR sequences
 * ignored), so two ways of drawing can be compared by the screen they leave.
 */
export class Screen {
  private grid: string[][];
  private row = 0;
  private col = 0;

  constructor(
    readonly columns: number,
    readonly rows: number,
  ) {
    this.grid = Array.from({ length: rows }, () => new Array<string>(columns).fill(' '));
  }

  text(): string {
    return this.grid.map((r) => r.join('').trimEnd()).join('\n');
  }

  private lineFeed(): void {
    if (this.row === this.rows - 1) {
      this.grid.shift();
      this.grid.push(new Array<string>(this.columns).fill(' '));
    } else {
      this.row++;
    }
  }

  write(data: string): void {
    // eslint-disable-next-line no-control-regex
    const re = /\x1b\[([?0-9;]*)([A-Za-z])|\x1b\][^\x07]*\x07|\x1b[c78]|([\s\S])/g;
    let m: RegExpExecArray | null;
    while ((m = re.exec(data)) !== null) {
      if (m[3] !== undefined) {
        const ch = m[3];
        if (ch === '\n') {
          this.col = 0;
          this.lineFeed();
        } else if (ch === '\r') {
          this.col = 0;
        } else if (ch >= ' ') {
          if (this.col >= this.columns) {
            this.col = 0;
            this.lineFeed();
          }
          this.grid[this.row][this.col++] = ch;
        }
        continue;
      }
      if (m[2] === undefined) continue;
      const params = m[1] ?? '';
      if (params.startsWith('?')) continue;
      const n = params === '' ? 1 : Number(params.split(';')[0]) || 1;
      switch (m[2]) {
        case 'A':
          this.row = Math.max(0, this.row - n);
          break;
        case 'B':
          this.row = Math.min(this.rows - 1, this.row + n);
          break;
        case 'E':
          this.row = Math.min(this.rows - 1, this.row + n);
          this.col = 0;
          break;
        case 'G':
          this.col = Math.max(0, n - 1);
          break;
        case 'H': {
          const [r, c] = params.split(';').map((x) => Number(x) || 1);
          this.row = (r ?? 1) - 1;
          this.col = (c ?? 1) - 1;
          break;
        }
        case 'K': {
          const mode = params === '' ? 0 : Number(params);
          const line = this.grid[this.row];
          if (mode === 2) line.fill(' ');
          else if (mode === 0) line.fill(' ', Math.min(this.col, this.columns));
          break;
        }
        case 'J':
          if (params === '2' || params === '3') for (const line of this.grid) line.fill(' ');
          break;
        default:
          break;
      }
    }
  }
}
