"""End-to-end tests: a real `pnyx serve` process driven over HTTP by real client libraries."""
