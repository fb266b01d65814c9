"""The words of community notes, spelled as X's published data spells them.

Notes, ratings and the open data (`/notes/data`) use X's field names and values, so that
X's reference scorer runs on Pnyx's data unchanged and anyone who knows one knows the
other. The tie-break orders are X's: the least used reason wins a tie, so the two tags
shown are the most telling ones (its documentation, "Determining Note Status Explanation
Tags").
"""

from __future__ import annotations

# A note's classification: what its author says of the post.
MISLEADING = "MISINFORMED_OR_POTENTIALLY_MISLEADING"
NOT_MISLEADING = "NOT_MISLEADING"
CLASSIFICATIONS = (MISLEADING, NOT_MISLEADING)

# Why a post misleads (checked by the author of a "misleading" note), in the TSV's order.
MISLEADING_REASONS = (
    "misleadingOther",
    "misleadingFactualError",
    "misleadingManipulatedMedia",
    "misleadingOutdatedInformation",
    "misleadingMissingImportantContext",
    "misleadingUnverifiedClaimAsFact",
    "misleadingSatire",
)
# Why it does not (for a "not misleading" note), in the TSV's order.
NOT_MISLEADING_REASONS = (
    "notMisleadingOther",
    "notMisleadingFactuallyCorrect",
    "notMisleadingOutdatedButNotWhenWritten",
    "notMisleadingClearlySatire",
    "notMisleadingPersonalOpinion",
)

# A rating's answer to "Is this note helpful?", and the value the model fits.
HELPFUL = "HELPFUL"
SOMEWHAT_HELPFUL = "SOMEWHAT_HELPFUL"
NOT_HELPFUL = "NOT_HELPFUL"
LEVELS = {HELPFUL: 1.0, SOMEWHAT_HELPFUL: 0.5, NOT_HELPFUL: 0.0}

# The tags a rater may give, in the TSV's order, with X's tie-break rank (`TIEBREAK`).
# Tags X has retired are kept for the data's columns but not offered (`OFFERED_*`).
HELPFUL_TAGS = (
    ("helpfulOther", 0),
    ("helpfulInformative", 8),
    ("helpfulClear", 7),
    ("helpfulEmpathetic", 3),
    ("helpfulGoodSources", 4),
    ("helpfulUniqueContext", 2),
    ("helpfulAddressesClaim", 5),
    ("helpfulImportantContext", 6),
    ("helpfulUnbiasedLanguage", 1),
)
NOT_HELPFUL_TAGS = (
    ("notHelpfulOther", 0),
    ("notHelpfulIncorrect", 8),
    ("notHelpfulSourcesMissingOrUnreliable", 2),
    ("notHelpfulOpinionSpeculationOrBias", 4),
    ("notHelpfulMissingKeyPoints", 5),
    ("notHelpfulOutdated", 12),
    ("notHelpfulHardToUnderstand", 10),
    ("notHelpfulArgumentativeOrBiased", 7),
    ("notHelpfulOffTopic", 9),
    ("notHelpfulSpamHarassmentOrAbuse", 11),
    ("notHelpfulIrrelevantSources", 1),
    ("notHelpfulOpinionSpeculation", 3),
    ("notHelpfulNoteNotNeeded", 6),
)
HELPFUL_TAG_NAMES = tuple(name for name, _ in HELPFUL_TAGS)
NOT_HELPFUL_TAG_NAMES = tuple(name for name, _ in NOT_HELPFUL_TAGS)
# The tie-break rank of every tag: the higher rank wins a tie.
TIEBREAK = {name: rank for name, rank in (*HELPFUL_TAGS, *NOT_HELPFUL_TAGS)}
OFFERED_HELPFUL_TAGS = (
    "helpfulClear",
    "helpfulGoodSources",
    "helpfulAddressesClaim",
    "helpfulImportantContext",
    "helpfulUnbiasedLanguage",
    "helpfulOther",
)
OFFERED_NOT_HELPFUL_TAGS = (
    "notHelpfulIncorrect",
    "notHelpfulSourcesMissingOrUnreliable",
    "notHelpfulIrrelevantSources",
    "notHelpfulMissingKeyPoints",
    "notHelpfulHardToUnderstand",
    "notHelpfulArgumentativeOrBiased",
    "notHelpfulSpamHarassmentOrAbuse",
    "notHelpfulOpinionSpeculation",
    "notHelpfulNoteNotNeeded",
    "notHelpfulOther",
)

# A note's status, as X's data names them.
NEEDS_MORE_RATINGS = "NEEDS_MORE_RATINGS"
CURRENTLY_RATED_HELPFUL = "CURRENTLY_RATED_HELPFUL"
CURRENTLY_RATED_NOT_HELPFUL = "CURRENTLY_RATED_NOT_HELPFUL"
STATUSES = (NEEDS_MORE_RATINGS, CURRENTLY_RATED_HELPFUL, CURRENTLY_RATED_NOT_HELPFUL)
# The short names the API and the web use.
SHORT_STATUS = {
    NEEDS_MORE_RATINGS: "needs_more_ratings",
    CURRENTLY_RATED_HELPFUL: "helpful",
    CURRENTLY_RATED_NOT_HELPFUL: "not_helpful",
}
