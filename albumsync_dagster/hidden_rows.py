"""Albums whose images SmugMug shows but whose photo rows the role cannot see.

Row Level Security can hide ``photo_metadata`` rows from the pipeline's role; to the sync that
looks like an album with nothing to update. An album that has images on SmugMug (its
``image_count`` in the ``smugmug_albums`` snapshot) but no row the role can see is reported,
saying whether a policy may be the cause (RLS on and applying to the role) or the rows simply
carry no album key yet.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Engine

_WITHOUT_VISIBLE_ROWS = sa.text(
    """
    SELECT s.album_key, s.image_count
    FROM smugmug_albums s
    WHERE s.album_key = ANY(:keys) AND s.gone_at IS NULL AND s.image_count > 0
      AND NOT EXISTS (SELECT 1 FROM photo_metadata p WHERE p.album_key = s.album_key)
    ORDER BY s.album_key
    """
)

# Whether RLS filters photo_metadata for this role: on, and the role neither bypasses it nor
# owns the table without FORCE (superusers and BYPASSRLS roles see every row).
_RLS_APPLIES = sa.text(
    """
    SELECT c.relrowsecurity
       AND NOT r.rolsuper AND NOT r.rolbypassrls
       AND (c.relforcerowsecurity OR NOT pg_has_role(current_user, c.relowner, 'USAGE'))
    FROM pg_class c, pg_roles r
    WHERE c.oid = to_regclass('photo_metadata') AND r.rolname = current_user
    """
)


@dataclass(frozen=True)
class HiddenAlbum:
    album_key: str
    image_count: int
    role: str
    row_level_security: bool  # RLS is on for photo_metadata and applies to the role

    @property
    def warning(self) -> str:
        cause = (
            "row level security is on for photo_metadata: a policy may hide them from the role"
            if self.row_level_security
            else "no row carries this album key (run `albumsync backfill-album-keys`?)"
        )
        return (
            f"album {self.album_key}: {self.image_count} image(s) on SmugMug but no"
            f" photo_metadata row visible to role {self.role}; {cause}"
        )


def albums_without_visible_rows(engine: Engine, album_keys: Sequence[str]) -> list[HiddenAlbum]:
    """The albums of ``album_keys`` with images on SmugMug and no photo row the role sees."""
    with engine.connect() as conn:
        found = list(conn.execute(_WITHOUT_VISIBLE_ROWS, {"keys": list(album_keys)}))
        if not found:
            return []
        role = str(conn.execute(sa.text("SELECT current_user")).scalar_one())
        rls = bool(conn.execute(_RLS_APPLIES).scalar())
    return [HiddenAlbum(r.album_key, int(r.image_count), role, rls) for r in found]
