/** Event names and the arguments their listeners get. */
export type EventMap<E> = { [K in keyof E]: unknown[] }

/** A small typed event emitter: one listener list per event name, created on first use. */
export interface TypedEmitter<E extends EventMap<E>> {
  on<K extends keyof E>(event: K, listener: (...args: E[K]) => void): void
  off<K extends keyof E>(event: K, listener: (...args: E[K]) => void): void
  emit<K extends keyof E>(event: K, ...args: E[K]): void
}

/** Creates an emitter; a throwing listener is reported to `onError` and does not stop the others. */
export function createEmitter<E extends EventMap<E>>(onError?: (err: unknown) => void): TypedEmitter<E> {
  // Lazily created so that an idle device without listeners costs one empty object.
  const listeners: { [K in keyof E]?: Array<(...args: E[K]) => void> } = {}
  return {
    on(event, listener) {
      ;(listeners[event] ??= []).push(listener)
    },
    off(event, listener) {
      const list = listeners[event]
      if (list) listeners[event] = list.filter((l) => l !== listener)
    },
    emit(event, ...args) {
      for (const l of listeners[event] ?? []) {
        try {
          l(...args)
        } catch (err) {
          onError?.(err)
        }
      }
    },
  }
}
