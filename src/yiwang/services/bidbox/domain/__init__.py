"""Pure rules of the bid box: states, time checks, failure attribution, reading signed parts, read-out fields."""
