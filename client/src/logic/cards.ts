// Card printing: sheets of A4 with a fixed grid of cards, in the order the cards were issued.

export const CARDS_PER_PAGE = 8

export function paginate<T>(items: readonly T[], perPage = CARDS_PER_PAGE): T[][] {
  if (perPage < 1) throw new Error('perPage must be >= 1')
  const pages: T[][] = []
  for (let i = 0; i < items.length; i += perPage) pages.push(items.slice(i, i + perPage))
  return pages
}
