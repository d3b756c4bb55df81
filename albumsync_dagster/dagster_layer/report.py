"""``album_sync_report``: every album of the account in one table in the Dagster UI.

The data is :func:`albumsync_dagster.album_report.build_album_report`'s; this asset only turns
it into metadata: a Markdown summary (counts per action, renames in the last 24 h, the rename
budget left, what needs a person), the drift histogram, the table ``albums`` (what needs a
person first, bounded to :data:`TABLE_ROWS` rows) and the path of a CSV of every album written
under the Dagster storage directory. It refreshes after album runs (its automation condition,
evaluated by the daemon) and with ``sync_health_job`` (the daily schedule, the demo).
"""

from datetime import datetime
from pathlib import Path

import dagster as dg

from albumsync_dagster.album_report import (
    DEFAULT_LIMIT,
    AlbumReport,
    AlbumReportRow,
    build_album_report,
)
from albumsync_dagster.dagster_layer.assets import CATALOG_GROUP, PHOTO_ROWS, smugmug_album_catalog
from albumsync_dagster.dagster_layer.metadata import cell
from albumsync_dagster.dagster_layer.resources import AlbumSyncSettings, PhotoDatabase

REPORT_KEY = dg.AssetKey("album_sync_report")
TABLE_ROWS = DEFAULT_LIMIT
CSV_KEPT = 10  # CSVs of earlier materializations kept beside the latest
BAR_WIDTH = 40

# After any album run (any upstream partition updated), also while others are still running
# or some albums were never synced (eager's default waits for every partition), one at a time.
AFTER_ALBUM_RUNS = (
    dg.AutomationCondition.eager()
    .without(~dg.AutomationCondition.any_deps_missing())
    .without(~dg.AutomationCondition.any_deps_in_progress())
    .with_label("after album runs")
)

# Stock, that condition needs the default automation sensor, which Dagster creates stopped.
album_sync_report_automation = dg.AutomationConditionSensorDefinition(
    "album_sync_report_automation",
    target=dg.AssetSelection.assets(REPORT_KEY),
    default_status=dg.DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=60,
    description="Refreshes album_sync_report at most once a minute after album runs "
    "(dagster-daemon evaluates it; safe on by default: the report only reads).",
)

TABLE_SCHEMA = dg.TableSchema(
    columns=[
        dg.TableColumn("album_key", "string", description="SmugMug album key"),
        dg.TableColumn("smugmug_name", "string", description="the album's name on SmugMug"),
        dg.TableColumn("canonical_name", "string", description="the name the rules give"),
        dg.TableColumn(
            "drift_score", "int", description="0-100: how far the name was from canonical"
        ),
        dg.TableColumn("action", "string", description="the latest run's decision"),
        dg.TableColumn("reason", "string", description="why, and which parts of the name differ"),
        dg.TableColumn("locked", "bool", description="never renamed by the pipeline"),
        dg.TableColumn("last_renamed_at", "string", description="last rename on SmugMug (UTC)"),
        dg.TableColumn("last_renamed_from", "string", description="the name before it"),
        dg.TableColumn("rows", "int", description="photo rows carrying the album key"),
        dg.TableColumn(
            "rows_in_agreement", "int", description="photo rows carrying SmugMug's name"
        ),
        dg.TableColumn(
            "copies_disagreeing",
            "string",
            description="other copies of the name (ALBUMSYNC_NAME_COPIES) carrying another",
        ),
        dg.TableColumn("needs_a_person", "string", description="why a person should look"),
    ]
)


def _when(moment: datetime | None) -> str | None:
    return None if moment is None else moment.strftime("%Y-%m-%d %H:%M UTC")


def table_record(row: AlbumReportRow) -> dg.TableRecord:
    return dg.TableRecord(
        {
            "album_key": row.album_key,
            "smugmug_name": row.smugmug_name,
            "canonical_name": row.canonical_name,
            "drift_score": row.drift_score,
            "action": row.action,
            "reason": row.reason,
            "locked": row.locked,
            "last_renamed_at": _when(row.last_renamed_at),
            "last_renamed_from": row.last_renamed_from,
            "rows": row.rows,
            "rows_in_agreement": row.rows_in_agreement,
            "copies_disagreeing": row.copies_disagreeing,
            "needs_a_person": row.attention,
        }
    )


def summary_markdown(report: AlbumReport) -> str:
    """The counts a person reads first, above the table."""
    actions = ", ".join(f"{n} {action}" for action, n in report.actions.items()) or "none"
    lines = [
        f"**{report.albums} albums on SmugMug** ({actions})"
        + (f"; {report.gone_albums} gone from SmugMug" if report.gone_albums else ""),
        "",
        f"- Renamed in the last 24 h: **{report.renamed_last_24h}**; rename budget left: "
        f"**{report.budget_left}** of {report.max_renames_per_day} "
        "(ALBUMSYNC_MAX_RENAMES_PER_DAY)",
        f"- Threshold: rename when drift > {report.threshold}",
    ]
    if report.attention:
        needs = ", ".join(f"{n} {what}" for what, n in report.attention.items())
        lines.append(f"- **Needs a person: {report.needing_a_person}** ({needs}); listed first")
    else:
        lines.append("- Nothing needs a person")
    if report.truncated:
        lines.append(
            f"- The table shows {len(report.rows)} of {report.albums} albums (those needing "
            "a person, then the most recent changes); every album is in the CSV (`albums_csv`)"
        )
    return "\n".join(lines)


def histogram_markdown(report: AlbumReport) -> str:
    """Drift per bucket as bars (albums with a canonical name)."""
    most = max((n for _, n in report.drift_histogram), default=0) or 1
    lines = ["| drift | albums | |", "|---|---:|---|"]
    for label, count in report.drift_histogram:
        bar = "█" * round(BAR_WIDTH * count / most)
        lines.append(f"| {cell(label)} | {count} | {bar} |")
    return "\n".join(lines)


def csv_path_for(storage_dir: str, run_id: str) -> Path:
    return Path(storage_dir) / "album_sync_report" / f"albums-{run_id}.csv"


def prune_csvs(directory: Path, keep: int) -> None:
    """Keep the newest ``keep`` CSVs (earlier materializations link to them for a while)."""
    files = sorted(directory.glob("albums-*.csv"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in files[keep:]:
        old.unlink(missing_ok=True)


@dg.asset(
    key=REPORT_KEY,
    group_name=CATALOG_GROUP,
    kinds={"postgres", "pandas"},
    deps=[PHOTO_ROWS, smugmug_album_catalog],
    automation_condition=AFTER_ALBUM_RUNS,
)
def album_sync_report(
    context: dg.AssetExecutionContext, photo_db: PhotoDatabase, settings: AlbumSyncSettings
) -> dg.MaterializeResult:
    """Every album: SmugMug and canonical names, drift, the decision and why, locks, the last
    rename, photo rows and name copies in agreement; what needs a person first."""
    run_settings = settings.get()
    csv_path = csv_path_for(context.instance.storage_directory(), context.run_id)
    report = build_album_report(
        photo_db.get_engine(),
        threshold=run_settings.drift_threshold,
        max_renames_per_day=run_settings.max_renames_per_day,
        limit=TABLE_ROWS,
        csv_path=csv_path,
    )
    prune_csvs(csv_path.parent, CSV_KEPT)
    context.log.info(
        f"{report.albums} albums, {report.needing_a_person} needing a person; "
        f"every album in {csv_path}"
    )
    return dg.MaterializeResult(
        metadata={
            "summary": dg.MetadataValue.md(summary_markdown(report)),
            "drift_histogram": dg.MetadataValue.md(histogram_markdown(report)),
            "albums": dg.MetadataValue.table(
                records=[table_record(r) for r in report.rows], schema=TABLE_SCHEMA
            ),
            "albums_csv": dg.MetadataValue.path(str(csv_path)),
            # Numbers Dagster plots across materializations (the asset's Plots tab).
            "album_count": dg.MetadataValue.int(report.albums),
            "albums_needing_a_person": dg.MetadataValue.int(report.needing_a_person),
            "renamed_last_24h": dg.MetadataValue.int(report.renamed_last_24h),
            "rename_budget_left": dg.MetadataValue.int(report.budget_left),
            "rows_shown": dg.MetadataValue.int(len(report.rows)),
        }
    )
