"""Trust and safety: what members report, what the AI flags (never a verdict), what
administrators do about it (hide or restore a listing, suspend or restore a member, dismiss),
the audit log of every such action, and the blocks between members. The tables are in
``core.models.moderation``."""
