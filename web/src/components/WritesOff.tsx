/** Why this server cannot add, change or remove (no writer key), shown in place of the write controls. */
export function WritesOff({ reason }: { reason: string }) {
  return (
    <p class="card" role="note">
      {reason.charAt(0).toUpperCase() + reason.slice(1)}. The list below is read-only.
    </p>
  )
}
