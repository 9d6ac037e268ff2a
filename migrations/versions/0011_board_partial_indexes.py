"""partial indexes for the public need board (published needs by deadline, by county)

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-29 05:20:00

The board lists the open lines of published needs by deadline, across the province or in a
county (docs/benchmarks.md). These indexes hold only the needs on the board, so the
database reads them in deadline order instead of sorting every published need.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

ON_BOARD = "status IN ('published', 'partially_matched')"


def upgrade():
    with op.batch_alter_table('needs', schema=None) as batch_op:
        batch_op.create_index('ix_needs_board_deadline', ['deadline', 'id'], unique=False,
                              postgresql_where=sa.text(ON_BOARD),
                              sqlite_where=sa.text(ON_BOARD))
        batch_op.create_index('ix_needs_board_county', ['county_code', 'deadline', 'id'],
                              unique=False, postgresql_where=sa.text(ON_BOARD),
                              sqlite_where=sa.text(ON_BOARD))


def downgrade():
    with op.batch_alter_table('needs', schema=None) as batch_op:
        batch_op.drop_index('ix_needs_board_county')
        batch_op.drop_index('ix_needs_board_deadline')
