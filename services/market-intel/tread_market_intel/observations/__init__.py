"""Field observations: prices, promotions, issues, needs and events seen in the market."""
