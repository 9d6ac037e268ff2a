"""covering index need_lines (need_id, kind, status, id) for the board's capped count

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-29 06:55:00

The board counts at most 201 open lines of a kind among the needs of a county; the count
walks the needs of the county and looks up their lines by need_id, one table lookup per line
(1.4 ms on PostgreSQL 1.1M, docs/benchmarks.md). With kind, status and id in the index the
count reads the index only.
"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('need_lines', schema=None) as batch_op:
        batch_op.create_index('ix_need_lines_need_kind_status',
                              ['need_id', 'kind', 'status', 'id'], unique=False)


def downgrade():
    with op.batch_alter_table('need_lines', schema=None) as batch_op:
        batch_op.drop_index('ix_need_lines_need_kind_status')
