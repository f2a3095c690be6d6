"""One view per page: pure functions of (tables, years, language, filters) returning what the page draws."""
