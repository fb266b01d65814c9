"""Every table, as SQLAlchemy Core. Migrations under migrations/ are generated from this.

Local and remote things share tables: an account whose `domain` is NULL is local. Every
account, status, poll and activity has an ActivityPub `uri` from the moment it exists.
Counters (statuses_count, replies_count ...) are kept up to date in the same transaction as
the change that moves them, so that reading a timeline never counts rows.

The tables live in modules by concept (accounts, statuses, relationships, lists, notifications,
filters, instance, jobs, federation); this package names them all, so that code imports
`from pnyx.db.tables import statuses` wherever a table lives.
"""

from __future__ import annotations

from pnyx.db.tables.account_choices import (
    account_domain_blocks,
    account_pins,
    suggestion_dismissals,
)
from pnyx.db.tables.accounts import (
    accounts,
    invites,
    oauth_apps,
    oauth_codes,
    oauth_tokens,
    users,
    web_sessions,
)
from pnyx.db.tables.algorithms import (
    composed_feed_follows,
    composed_feeds,
    feed_scores,
    feed_snapshots,
)
from pnyx.db.tables.announcements import (
    announcement_reactions,
    announcement_reads,
    announcements,
)
from pnyx.db.tables.archive_imports import archive_imports, imported_statuses
from pnyx.db.tables.base import ID, metadata
from pnyx.db.tables.cards import preview_card_statuses, preview_cards
from pnyx.db.tables.exports import account_exports
from pnyx.db.tables.federation import (
    domain_blocks,
    domains,
    instance_state,
    seen_activities,
    tombstones,
)
from pnyx.db.tables.feed_pins import feed_pins
from pnyx.db.tables.feeds import feed_entries, feed_states
from pnyx.db.tables.filters import (
    custom_filter_keywords,
    custom_filter_statuses,
    custom_filters,
)
from pnyx.db.tables.imports import account_import_rows, account_imports
from pnyx.db.tables.instance import (
    account_emojis,
    account_warnings,
    appeals,
    custom_emojis,
    moderation_log,
    reports,
    rules,
)
from pnyx.db.tables.jobs import (
    jobs,
)
from pnyx.db.tables.labels import (
    integrity_keys,
    label_definitions,
    label_settings,
    labeler_subscriptions,
    labels,
    moderation_list_exemptions,
    moderation_list_members,
    moderation_list_subscriptions,
    moderation_lists,
)
from pnyx.db.tables.lists import featured_tags, list_accounts, lists, tag_follows
from pnyx.db.tables.lola import lola_clients, lola_follows, lola_transfers
from pnyx.db.tables.moves import account_moves
from pnyx.db.tables.notes import (
    community_notes,
    note_peers,
    note_ratings,
    note_run_raters,
    note_run_results,
    note_scoring_runs,
)
from pnyx.db.tables.notifications import (
    account_conversations,
    markers,
    notification_permissions,
    notification_policies,
    notification_requests,
    notifications,
)
from pnyx.db.tables.pull_moves import identity_subjects, pull_move_followers, pull_moves
from pnyx.db.tables.push import web_push_subscriptions
from pnyx.db.tables.relationships import (
    account_notes,
    account_severances,
    blocks,
    follow_requests,
    follows,
    mutes,
    severance_events,
    viewer_versions,
)
from pnyx.db.tables.scheduling import scheduled_statuses
from pnyx.db.tables.statuses import (
    bookmarks,
    conversation_mutes,
    favourites,
    idempotency_keys,
    media_attachments,
    mentions,
    poll_votes,
    polls,
    quotes,
    status_edits,
    status_pins,
    status_tags,
    status_trend_removals,
    statuses,
    tags,
)

__all__ = [
    "account_exports",
    "account_imports",
    "account_import_rows",
    "account_moves",
    "lola_clients",
    "lola_follows",
    "lola_transfers",
    "identity_subjects",
    "pull_moves",
    "pull_move_followers",
    "archive_imports",
    "imported_statuses",
    "community_notes",
    "note_peers",
    "note_ratings",
    "note_run_raters",
    "note_run_results",
    "note_scoring_runs",
    "integrity_keys",
    "label_definitions",
    "label_settings",
    "labeler_subscriptions",
    "labels",
    "moderation_list_exemptions",
    "moderation_list_members",
    "moderation_list_subscriptions",
    "moderation_lists",
    "web_push_subscriptions",
    "ID",
    "metadata",
    "accounts",
    "users",
    "invites",
    "oauth_apps",
    "oauth_codes",
    "oauth_tokens",
    "web_sessions",
    "statuses",
    "quotes",
    "status_edits",
    "mentions",
    "tags",
    "status_tags",
    "favourites",
    "bookmarks",
    "status_pins",
    "status_trend_removals",
    "conversation_mutes",
    "idempotency_keys",
    "polls",
    "poll_votes",
    "media_attachments",
    "follows",
    "follow_requests",
    "blocks",
    "mutes",
    "account_notes",
    "lists",
    "list_accounts",
    "tag_follows",
    "featured_tags",
    "notifications",
    "notification_policies",
    "notification_requests",
    "account_conversations",
    "notification_permissions",
    "markers",
    "custom_filters",
    "custom_filter_keywords",
    "custom_filter_statuses",
    "rules",
    "custom_emojis",
    "account_emojis",
    "moderation_log",
    "reports",
    "jobs",
    "instance_state",
    "domains",
    "domain_blocks",
    "seen_activities",
    "tombstones",
    "scheduled_statuses",
    "announcements",
    "announcement_reads",
    "announcement_reactions",
    "account_pins",
    "account_domain_blocks",
    "suggestion_dismissals",
    "preview_cards",
    "preview_card_statuses",
    "account_warnings",
    "appeals",
    "severance_events",
    "account_severances",
    "composed_feeds",
    "composed_feed_follows",
    "feed_snapshots",
    "feed_pins",
    "feed_scores",
    "feed_entries",
    "feed_states",
    "viewer_versions",
]
