import { useState } from 'preact/hooks'

/** Copies `text` to the clipboard; says so in a polite live region (falls back to selecting text). */
export function CopyButton({ text, label }: { text: string; label: string }) {
  const [done, setDone] = useState<string>()
  const copy = async (): Promise<void> => {
    try {
      await navigator.clipboard.writeText(text)
      setDone('Copied')
    } catch {
      // Clipboard API needs a secure context (http://127.0.0.1 is one, a LAN address is not).
      setDone('Copy failed: select the text and copy it')
    }
  }
  return (
    <>
      <button type="button" class="secondary small" onClick={() => void copy()} aria-label={`Copy ${label}`}>
        Copy
      </button>
      <span class="copied" aria-live="polite">
        {done}
      </span>
    </>
  )
}
