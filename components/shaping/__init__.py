"""Pure shaping of validated tables for views: filters, trade series, corridors, citations, labels, export."""
