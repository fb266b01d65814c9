"""What the HTTP edges (`api`, `web`, `federation`) share and none of them owns: request
plumbing, error responses, content negotiation. It imports `core`, `db` and Starlette only."""
