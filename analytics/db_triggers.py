"""Database triggers that note every change to an item or its themes in analytics_statchange.

Triggers rather than Django signals: the analysis worker claims and routes items with bulk
UPDATEs, the data generator loads with COPY, and none of those sends a signal. A trigger sees
them all, in the same transaction as the change. See docs/adr/0007.
"""

from __future__ import annotations

# The item's columns that any dashboard figure reads; an UPDATE touching none of them (a worker
# claiming a batch, say) is not a change to the figures. The FFT rating is not among them: it is
# given when the item is made and never changed, and an item first counts when it is routed
# (handled_by, watched). An FFT answer counts for its provider wherever it is routed, so a
# change also notes the provider's month when another organisation handles the item.
WATCHED = (
    "handled_by_id",
    "provider_id",
    "received_at",
    "kind",
    "service_type",
    "channel",
    "status",
    "sentiment",
    "route",
    "risk_safeguarding",
    "risk_mental_health_act",
    "risk_serious",
    "acknowledge_due",
    "acknowledged_at",
    "response_due",
    "responded_at",
    "resolved_at",
)
CHANGE_COLUMNS = "organisation_id, received_at, response_due, responded_at, resolved_at"


def _values(row: str) -> str:
    return f"{row}.handled_by_id, {row}.received_at, {row}.response_due, {row}.responded_at, {row}.resolved_at"


def _provider_values(row: str) -> str:
    return f"{row}.provider_id, {row}.received_at, NULL, NULL, NULL"


def _provider_elsewhere(row: str) -> str:
    """The item counts (it is routed) and its provider is not its handler."""
    return (
        f"{row}.handled_by_id IS NOT NULL AND {row}.provider_id IS NOT NULL "
        f"AND {row}.provider_id <> {row}.handled_by_id"
    )


THEME_VALUES = (
    "SELECT handled_by_id, received_at, NULL, NULL, NULL FROM feedback_feedback "
    "WHERE id = {row}.feedback_id AND handled_by_id IS NOT NULL"
)

POSTGRESQL = f"""
CREATE OR REPLACE FUNCTION analytics_note_feedback_change() RETURNS trigger AS $$
BEGIN
    IF TG_OP <> 'INSERT' AND OLD.handled_by_id IS NOT NULL THEN
        INSERT INTO analytics_statchange ({CHANGE_COLUMNS}) VALUES ({_values("OLD")});
    END IF;
    IF TG_OP <> 'INSERT' AND {_provider_elsewhere("OLD")} THEN
        INSERT INTO analytics_statchange ({CHANGE_COLUMNS}) VALUES ({_provider_values("OLD")});
    END IF;
    IF TG_OP <> 'DELETE' AND NEW.handled_by_id IS NOT NULL THEN
        INSERT INTO analytics_statchange ({CHANGE_COLUMNS}) VALUES ({_values("NEW")});
    END IF;
    IF TG_OP <> 'DELETE' AND {_provider_elsewhere("NEW")} THEN
        INSERT INTO analytics_statchange ({CHANGE_COLUMNS}) VALUES ({_provider_values("NEW")});
    END IF;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION analytics_note_theme_change() RETURNS trigger AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        INSERT INTO analytics_statchange ({CHANGE_COLUMNS}) {THEME_VALUES.format(row="OLD")};
    END IF;
    IF TG_OP <> 'DELETE' THEN
        INSERT INTO analytics_statchange ({CHANGE_COLUMNS}) {THEME_VALUES.format(row="NEW")};
    END IF;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER analytics_feedback_insert_delete AFTER INSERT OR DELETE ON feedback_feedback
    FOR EACH ROW EXECUTE FUNCTION analytics_note_feedback_change();
CREATE TRIGGER analytics_feedback_update AFTER UPDATE ON feedback_feedback
    FOR EACH ROW
    WHEN (({", ".join("OLD." + c for c in WATCHED)})
          IS DISTINCT FROM ({", ".join("NEW." + c for c in WATCHED)}))
    EXECUTE FUNCTION analytics_note_feedback_change();
CREATE TRIGGER analytics_theme_change AFTER INSERT OR UPDATE OR DELETE ON feedback_feedbacktheme
    FOR EACH ROW EXECUTE FUNCTION analytics_note_theme_change();
"""

POSTGRESQL_REVERSE = """
DROP TRIGGER IF EXISTS analytics_feedback_insert_delete ON feedback_feedback;
DROP TRIGGER IF EXISTS analytics_feedback_update ON feedback_feedback;
DROP TRIGGER IF EXISTS analytics_theme_change ON feedback_feedbacktheme;
DROP FUNCTION IF EXISTS analytics_note_feedback_change();
DROP FUNCTION IF EXISTS analytics_note_theme_change();
"""


def _sqlite_feedback(name: str, event: str, rows: tuple[str, ...], when: str = "") -> str:
    inserts = "".join(
        f"INSERT INTO analytics_statchange ({CHANGE_COLUMNS}) "
        f"SELECT {_values(row)} WHERE {row}.handled_by_id IS NOT NULL;\n"
        f"INSERT INTO analytics_statchange ({CHANGE_COLUMNS}) "
        f"SELECT {_provider_values(row)} WHERE {_provider_elsewhere(row)};\n"
        for row in rows
    )
    return f"CREATE TRIGGER {name} AFTER {event} ON feedback_feedback FOR EACH ROW {when}\nBEGIN\n{inserts}END;"


def _sqlite_theme(name: str, event: str, rows: tuple[str, ...]) -> str:
    inserts = "".join(
        f"INSERT INTO analytics_statchange ({CHANGE_COLUMNS}) {THEME_VALUES.format(row=row)};\n"
        for row in rows
    )
    return f"CREATE TRIGGER {name} AFTER {event} ON feedback_feedbacktheme FOR EACH ROW\nBEGIN\n{inserts}END;"


SQLITE = [
    _sqlite_feedback("analytics_feedback_insert", "INSERT", ("NEW",)),
    _sqlite_feedback("analytics_feedback_delete", "DELETE", ("OLD",)),
    _sqlite_feedback(
        "analytics_feedback_update",
        "UPDATE",
        ("OLD", "NEW"),
        "WHEN " + " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in WATCHED),
    ),
    _sqlite_theme("analytics_theme_insert", "INSERT", ("NEW",)),
    _sqlite_theme("analytics_theme_delete", "DELETE", ("OLD",)),
    _sqlite_theme("analytics_theme_update", "UPDATE", ("OLD", "NEW")),
]
SQLITE_TRIGGERS = (
    "analytics_feedback_insert",
    "analytics_feedback_delete",
    "analytics_feedback_update",
    "analytics_theme_insert",
    "analytics_theme_delete",
    "analytics_theme_update",
)

# The migration that first made them (0006_stat_triggers_provider made them again, noting the
# provider's month too).
MIGRATION = "0003_stat_triggers"
