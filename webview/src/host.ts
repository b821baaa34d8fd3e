/** The webview's side of the typed protocol: notifications, requests with responses, and persisted UI state. */
import {
  type IpcNotification, type IpcRequest, type WireMessage, isWire, notification, request,
} from "../../src/shared/dashboard-protocol.ts";

interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}

declare function acquireVsCodeApi(): VsCodeApi;

export class HostConnection {
  private readonly api: VsCodeApi = acquireVsCodeApi();
  private readonly handlers = new Map<string, (params: unknown) => void>();
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private nextId = 1;

  constructor() {
    window.addEventListener("message", (event: MessageEvent) => this.receive(event.data));
  }

  on<P>(handle: IpcNotification<P>, handler: (params: P) => void): void {
    this.handlers.set(handle.method, handler as (params: unknown) => void);
  }

  notify<P>(handle: IpcNotification<P>, params: P): void {
    this.api.postMessage(notification(handle, params));
  }

  request<P, R>(handle: IpcRequest<P, R>, params: P): Promise<R> {
    const id = this.nextId++;
    return new Promise<R>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.api.postMessage(request(handle, id, params));
    });
  }

  getState<T>(): T | undefined {
    return (this.api.getState() ?? undefined) as T | undefined;
  }

  setState<T>(state: T): void {
    this.api.setState(state);
  }

  private receive(data: unknown): void {
    if (!isWire(data)) return;
    const msg = data as WireMessage;
    if (msg.kind === "response") {
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      if (msg.error !== undefined) p.reject(new Error(msg.error));
      else p.resolve(msg.result);
      return;
    }
    if (msg.kind === "notification") this.handlers.get(msg.method)?.(msg.params);
  }
}
