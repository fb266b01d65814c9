"""ActivityPub federation (next issue): actors and objects <-> core records, signatures, delivery."""
