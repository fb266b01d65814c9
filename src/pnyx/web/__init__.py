"""Server-rendered web pages (sign-in and consent for OAuth now; the full UI later)."""
