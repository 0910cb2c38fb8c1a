"""Pure rules of the expert pool and the committee draw (no Django): specialty codes, entry conditions,
eligibility and recusal (回避), the seeded draw and its replay, committee composition, performance summaries."""
