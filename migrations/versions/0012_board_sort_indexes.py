"""partial indexes for the board's other sorts (urgency, newest), province-wide and by county

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-29 05:45:00

Sorting the board by urgency or by publication read every published need and sorted them:
750 ms and 410 ms for the province at Hunan scale on PostgreSQL (docs/benchmarks.md).
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

ON_BOARD = "status IN ('published', 'partially_matched')"
INDEXES = {
    'ix_needs_board_urgency': ['urgency', 'deadline', 'id'],
    'ix_needs_board_county_urgency': ['county_code', 'urgency', 'deadline', 'id'],
    'ix_needs_board_published': ['published_at', 'id'],
    'ix_needs_board_county_published': ['county_code', 'published_at', 'id'],
}


def upgrade():
    with op.batch_alter_table('needs', schema=None) as batch_op:
        for name, columns in INDEXES.items():
            batch_op.create_index(name, columns, unique=False,
                                  postgresql_where=sa.text(ON_BOARD),
                                  sqlite_where=sa.text(ON_BOARD))


def downgrade():
    with op.batch_alter_table('needs', schema=None) as batch_op:
        for name in reversed(INDEXES):
            batch_op.drop_index(name)
