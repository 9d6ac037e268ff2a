"""index needs (status_changed_at, id) for the dashboards' longest-waiting needs

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-29 13:45:00

The needs card of every officer's dashboard lists the needs that have waited longest in
their status (to flag the overdue ones). Without this index the database sorted every
waiting need of the officer's scope: 181 ms for the province at 1.1 million households on
PostgreSQL, 1.8 ms with it (docs/benchmarks.md).
"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('needs', schema=None) as batch_op:
        batch_op.create_index('ix_needs_status_changed_at_id', ['status_changed_at', 'id'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('needs', schema=None) as batch_op:
        batch_op.drop_index('ix_needs_status_changed_at_id')
