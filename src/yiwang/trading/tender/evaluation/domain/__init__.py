"""Pure rules of bid evaluation (评标): inputs, legal numbers, committee composition, review by majority,
price formulas, aggregation, outliers, ranking, abnormally low prices, collusion data, the report."""
