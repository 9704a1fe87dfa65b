/** An error (role=alert) or a success note (role=status) under a form. */
export function Message({ error, ok }: { error?: string; ok?: string }) {
  return (
    <>
      {error && (
        <p role="alert" class="error">
          {error}
        </p>
      )}
      <p role="status" class="status">
        {ok ?? ''}
      </p>
    </>
  )
}
