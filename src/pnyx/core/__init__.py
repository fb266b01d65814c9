"""The social network itself: no HTTP, no ActivityPub. Every rule lives here, once."""
