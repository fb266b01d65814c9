"""One Settings object, read from PNYX_* environment variables and an optional pnyx.toml.

Everything configurable lives here so operators find it in one place and tests can build a
Settings with overrides instead of patching globals.
"""

from __future__ import annotations

import functools
import ipaddress
import os
import ssl
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

REGISTRATION_MODES = ("open", "approval", "invite", "closed")


def _is_ip_or_localhost(host: str) -> bool:
    name = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
    name = name.strip("[]")
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        ipaddress.ip_address(name)
        return True
    except ValueError:
        return False


def _as_bool(value: str) -> bool:
    return value.strip().lower() in ("1", "true", "yes", "on")


@dataclass(frozen=True)
class Settings:
    domain: str = "localhost:8000"
    scheme: str = ""  # empty: https unless the domain is localhost or an IP
    data_dir: str = "./pnyx-data"
    database_url: str = ""  # empty: sqlite under data_dir
    allow_private_addresses: bool = False
    # A PEM file of extra certificate authorities trusted for outgoing federation requests, in
    # addition to certifi's (a private CA); empty: certifi only.
    ca_bundle: str = ""
    authorized_fetch: bool = False  # secure mode: actors and objects only to signed requests
    registrations: str = "open"
    # The age (in years) one must have to sign up (Mastodon 4.4's min_age): a date of birth
    # is then asked for. 0: no minimum.
    min_age: int = 0
    instance_title: str = "Pnyx"
    instance_description: str = "A Pnyx instance: speak freely, together."
    contact_email: str = ""
    # The operator's privacy policy and terms of service, as plain text (blank lines separate
    # paragraphs); served at /privacy-policy and /terms-of-service and to apps. An empty
    # privacy policy serves Pnyx's default; empty terms mean the instance has none.
    privacy_policy: str = ""
    terms_of_service: str = ""
    # Where this instance's source code is published (AGPL): shown to apps as source_url.
    source_url: str = ""
    max_status_chars: int = 500
    max_poll_options: int = 4
    min_poll_options: int = 2
    max_poll_option_chars: int = 50
    min_poll_expiration: int = 300
    max_poll_expiration: int = 2629746
    max_bio_chars: int = 500
    max_display_name_chars: int = 30
    max_profile_fields: int = 4
    max_request_bytes: int = 1_000_000
    rate_limits: bool = True
    rate_limit_requests: int = 300  # per 5 minutes, per token or per IP, as Mastodon
    rate_limit_window: int = 300
    # Proxies whose X-Forwarded-For / X-Forwarded-Proto are believed (comma-separated IPs or
    # CIDRs). Empty: nobody's, the connection's address is the client's. Otherwise anyone
    # could pick the address rate limits count by.
    trusted_proxies: str = ""
    # Seconds a client has to send its request line and headers, then its whole body; a
    # connection that dribbles bytes is closed after that (it would hold a slot forever).
    client_header_timeout: int = 10
    client_body_timeout: int = 60
    # Inbox key fetches in flight per process, in all and per remote host. Past these, an
    # inbox POST whose key is unknown is answered 503 at once (senders retry later).
    key_fetches: int = 8
    key_fetches_per_host: int = 2
    job_workers: int = 4  # job threads per process (deliveries wait on remote servers)
    # How long a claimed job is reserved for its worker; a live worker extends it every
    # quarter of it while the job runs, so this is how long the job of a worker that died
    # waits before another worker takes it over.
    job_lease_seconds: int = 60
    # Followers whose feeds one fan-out job writes; a post by an account with more followers
    # here is fanned out by a chain of jobs of this many each (core.feeds.fan_out).
    feed_fanout_batch: int = 1000
    # Entries kept per home or list feed (Mastodon keeps ~800); a feed is trimmed back to it
    # when it has grown by an eighth more. Older pages are read from the posts.
    feed_size: int = 800
    db_threads: int = 4  # threads per process running database work
    # Media uploads. Files go under data_dir/media unless an S3-compatible bucket is named;
    # then every s3_* setting below applies (public_url: where browsers fetch the files, e.g.
    # a CDN or the bucket's public address; empty: endpoint/bucket, path style).
    s3_bucket: str = ""
    s3_endpoint: str = ""
    s3_region: str = ""
    s3_access_key: str = ""
    s3_secret_key: str = ""
    s3_public_url: str = ""
    # Refused before decoding (Mastodon's limits): bytes of an image upload, the pixels of
    # the image as sent (a decompression bomb is tiny on disk and huge decoded), frames of
    # an animation.
    max_image_bytes: int = 16 * 1024 * 1024
    max_image_input_pixels: int = 50_000_000
    max_image_frames: int = 300
    # Video and audio (core.av_probe), refused before decoding past these: bytes (Mastodon's
    # 99 MB), pixels of a frame (3840x2160), frames per second, and length in seconds (a
    # transcode takes about as long as the video on one core; audio is cheap to convert).
    max_video_bytes: int = 99 * 1024 * 1024
    max_audio_bytes: int = 99 * 1024 * 1024
    max_video_pixels: int = 8_294_400
    max_video_frame_rate: int = 120
    max_video_seconds: int = 600
    max_audio_seconds: int = 3600
    # Avatars and headers: bytes of the file (Mastodon's limit), checked before anything else.
    max_profile_image_bytes: int = 8 * 1024 * 1024
    # Remote media and avatars: fetched through the safe client into the media store and
    # served from here (off: shown from their origin). Cached files older than the max age
    # are removed by `pnyx media prune` and its periodic job; past the max total size the
    # oldest cached files go first.
    remote_media_cache: bool = True
    remote_media_max_age_days: int = 7
    remote_media_max_bytes: int = 1024 * 1024 * 1024
    # Community notes (issue 13): how old an account must be to write and rate notes, and
    # how often the notes are scored (the periodic notes.score job).
    notes_min_account_days: int = 7
    notes_score_minutes: int = 60
    # Moves (issue 14): days an account waits after moving before it may move again
    # (Mastodon's 30). 0: no wait.
    move_cooldown_days: int = 30
    # Exports (issue 14): the largest zip part of an archive, in megabytes, and the days its
    # parts can be downloaded before they are removed.
    export_part_mb: int = 512
    export_days: int = 7
    # Archive imports (issue 14): the most an uploaded archive may weigh, all its zip parts
    # together, in megabytes.
    import_max_mb: int = 2048
    password_hashing: str = "standard"  # "fast-insecure" only for test suites
    log_level: str = "info"
    extra: dict = field(default_factory=dict)

    @property
    def effective_scheme(self) -> str:
        if self.scheme:
            return self.scheme
        return "http" if _is_ip_or_localhost(self.domain) else "https"

    @functools.cached_property
    def base_url(self) -> str:
        # Computed once (settings are frozen): every rendered status and account asks for it.
        return f"{self.effective_scheme}://{self.domain}"

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{Path(self.data_dir).resolve() / 'pnyx.sqlite3'}"

    @property
    def trusted_proxy_list(self) -> list[str]:
        # A string from the environment; pnyx.toml may give a list as well.
        items = self.trusted_proxies
        items = items.split(",") if isinstance(items, str) else [str(i) for i in items]
        return [item.strip() for item in items if item.strip()]

    def with_overrides(self, **changes) -> Settings:
        return replace(self, **changes)


MAX_MIN_AGE = 120
_ENV_TYPES = {f.name: f.type for f in fields(Settings)}


def _check_ca_bundle(path: str) -> None:
    """Stop at start-up on a CA bundle that cannot be used, not at the first delivery."""
    if not Path(path).is_file():
        raise ValueError(f"PNYX_CA_BUNDLE names no file: {path!r}")
    try:
        ssl.create_default_context(cafile=path)
    except (OSError, ssl.SSLError) as exc:
        raise ValueError(f"PNYX_CA_BUNDLE {path!r} holds no usable PEM certificate: {exc}") from exc


def load_settings(environ: dict[str, str] | None = None, toml_path: str | None = None) -> Settings:
    """Build Settings from pnyx.toml (if any) then PNYX_* variables, which win."""
    environ = dict(os.environ if environ is None else environ)
    values: dict = {}
    path = Path(toml_path or environ.get("PNYX_CONFIG", "pnyx.toml"))
    if path.is_file():
        with path.open("rb") as fh:
            values.update(tomllib.load(fh))
    for f in fields(Settings):
        raw = environ.get("PNYX_" + f.name.upper())
        if raw is None or f.name == "extra":
            continue
        values[f.name] = raw
    converted: dict = {}
    for name, raw in values.items():
        if name not in _ENV_TYPES or name == "extra":
            continue
        kind = _ENV_TYPES[name]
        if kind == "bool" and isinstance(raw, str):
            converted[name] = _as_bool(raw)
        elif kind == "int" and isinstance(raw, str):
            try:
                converted[name] = int(raw)
            except ValueError as exc:
                raise ValueError(
                    f"PNYX_{name.upper()} must be a whole number, got {raw!r}"
                ) from exc
        else:
            converted[name] = raw
    settings = Settings(**converted)
    if settings.registrations not in REGISTRATION_MODES:
        raise ValueError(
            f"PNYX_REGISTRATIONS must be one of {', '.join(REGISTRATION_MODES)}, "
            f"got {settings.registrations!r}"
        )
    if not 0 <= settings.min_age <= MAX_MIN_AGE:
        raise ValueError(f"PNYX_MIN_AGE must be between 0 and {MAX_MIN_AGE}")
    if settings.ca_bundle:
        _check_ca_bundle(settings.ca_bundle)
    if settings.password_hashing not in ("standard", "fast-insecure"):
        raise ValueError("PNYX_PASSWORD_HASHING must be standard or fast-insecure")
    for item in settings.trusted_proxy_list:
        try:
            ipaddress.ip_network(item, strict=False)
        except ValueError:
            raise ValueError(
                f"PNYX_TRUSTED_PROXIES must list IP addresses or networks, got {item!r}"
            ) from None
    return settings
