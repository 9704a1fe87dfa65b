import type { PagedList } from '../paged.js'

/** Search box, "41–60 of 10,000" and Previous/Next for a paged list. */
export function Pager<T>({ list, noun, id }: { list: PagedList<T>; noun: string; id: string }) {
  const count = list.items?.length ?? 0
  const from = list.page * list.limit + (count > 0 ? 1 : 0)
  const to = list.page * list.limit + count
  return (
    <div class="pager">
      <div>
        <label for={`${id}-q`}>Search {noun}</label>
        <input id={`${id}-q`} type="search" value={list.q} placeholder="part of a name" onInput={(e) => list.setQ(e.currentTarget.value)} />
      </div>
      <p class="range" aria-live="polite">
        {list.items === undefined ? '' : list.total !== undefined ? `${from}–${to} of ${list.total.toLocaleString('en')}` : `${from}–${to}`}
      </p>
      <div class="actions">
        <button type="button" class="secondary" onClick={list.prev} disabled={list.page === 0}>
          Previous page
        </button>
        <button type="button" class="secondary" onClick={list.next} disabled={!list.hasNext}>
          Next page
        </button>
      </div>
    </div>
  )
}
