import { adminToken } from './api.js';

export interface StreamHandlers {
  readonly onOpen: () => void;
  readonly onEvent: (event: string, data: string) => void;
  /** The connection failed or dropped; `status` is the HTTP status when the server refused. */
  readonly onDrop: (status: number | null) => void;
}

/**
 * Server-sent events over fetch rather than EventSource, so the request can carry the admin
 * token (EventSource cannot send headers, and a token in the URL would end up in logs).
 * Reconnects after a drop, like EventSource, until stopped.
 */
export function openEventStream(url: string, h: StreamHandlers, retryMs = 2000): () => void {
  let stopped = false;
  let controller: AbortController | null = null;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const connect = async () => {
    controller = new AbortController();
    let status: number | null = null;
    try {
      const token = adminToken();
      const res = await fetch(url, { headers: { accept: 'text/event-stream', ...(token ? { authorization: `Bearer ${token}` } : {}) }, signal: controller.signal });
      status = res.status;
      if (!res.ok || !res.body) throw new Error(`stream refused: ${res.status}`);
      status = null;
      h.onOpen();
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          let event = 'message';
          const data: string[] = [];
          for (const line of block.split('\n')) {
            if (line.startsWith('event: ')) event = line.slice(7);
            else if (line.startsWith('data: ')) data.push(line.slice(6));
          }
          if (data.length > 0) h.onEvent(event, data.join('\n'));
        }
      }
    } catch {
      // Dropped or refused: reported below, then retried.
    }
    if (stopped) return;
    h.onDrop(status);
    timer = setTimeout(() => void connect(), retryMs);
  };
  void connect();
  return () => {
    stopped = true;
    clearTimeout(timer);
    controller?.abort();
  };
}
