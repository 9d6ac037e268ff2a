"""balance summaries (balance_state, balance_cells, balance_region_months, balance_county_now)
and needs.fulfilled_at, backfilled

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-29 16:10:00

The oversight dashboard reads summary tables rebuilt by ``marketplace.balance.refresh`` (see
docs/oversight.md). ``needs.fulfilled_at`` keeps the time a need was fulfilled (a closed need's
``status_changed_at`` no longer holds it). The backfill takes it from the audit trail's
``need.fulfil`` events, which are exact; a fulfilled need without such an event takes its
``status_changed_at``.
"""
import sqlalchemy as sa
from alembic import op

import marketplace.common.models

# revision identifiers, used by Alembic.
revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'balance_state',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('generation', sa.Integer(), nullable=False),
        sa.Column('refreshed_at', marketplace.common.models.UTCDateTime(timezone=True),
                  nullable=False),
        sa.Column('seconds', sa.Numeric(precision=10, scale=3), nullable=False),
        sa.Column('token', sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_balance_state')))
    op.create_table(
        'balance_cells',
        sa.Column('generation', sa.Integer(), nullable=False),
        sa.Column('region_code', sa.String(length=12), nullable=False),
        sa.Column('month', sa.String(length=7), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('category', sa.String(length=32), nullable=False),
        sa.Column('level', sa.String(length=16), nullable=False),
        sa.Column('lines', sa.Integer(), nullable=False),
        sa.Column('requested', sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column('priority', sa.Numeric(precision=16, scale=4), nullable=False),
        sa.Column('covered_priority', sa.Numeric(precision=16, scale=4), nullable=False),
        sa.Column('allocated', sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column('delivered_qty', sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column('delivered_value_cny', sa.Numeric(precision=16, scale=2), nullable=False),
        sa.PrimaryKeyConstraint('generation', 'region_code', 'month', 'kind', 'category',
                                name=op.f('pk_balance_cells')))
    op.create_table(
        'balance_region_months',
        sa.Column('generation', sa.Integer(), nullable=False),
        sa.Column('region_code', sa.String(length=12), nullable=False),
        sa.Column('month', sa.String(length=7), nullable=False),
        sa.Column('level', sa.String(length=16), nullable=False),
        sa.Column('is_urban', sa.Boolean(), nullable=True),
        sa.Column('needs_published', sa.Integer(), nullable=False),
        sa.Column('lines', sa.Integer(), nullable=False),
        sa.Column('priority', sa.Numeric(precision=16, scale=4), nullable=False),
        sa.Column('covered_priority', sa.Numeric(precision=16, scale=4), nullable=False),
        sa.Column('delivered_funds', sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column('delivered_goods', sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column('delivered_hours', sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column('needs_fulfilled', sa.Integer(), nullable=False),
        sa.Column('households_new', sa.Integer(), nullable=False),
        sa.Column('persons_new', sa.Integer(), nullable=False),
        sa.Column('fulfil_days', sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint('generation', 'region_code', 'month',
                                name=op.f('pk_balance_region_months')))
    op.create_index('ix_balance_region_months_level', 'balance_region_months',
                    ['generation', 'level', 'region_code', 'month'], unique=False)
    op.create_table(
        'balance_county_now',
        sa.Column('generation', sa.Integer(), nullable=False),
        sa.Column('county_code', sa.String(length=6), nullable=False),
        sa.Column('overdue_needs', sa.Integer(), nullable=False),
        sa.Column('overdue_acceptances', sa.Integer(), nullable=False),
        sa.Column('overdue_deliveries', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('generation', 'county_code', name=op.f('pk_balance_county_now')))

    with op.batch_alter_table('needs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('fulfilled_at',
                                      marketplace.common.models.UTCDateTime(timezone=True),
                                      nullable=True))
    # The audit trail's fulfil events are exact (the same string format as the column: both
    # were written through UTCDateTime).
    op.execute(
        "UPDATE needs SET fulfilled_at = (SELECT max(e.at) FROM audit_events e"
        " WHERE e.object_type = 'needs' AND e.object_id = CAST(needs.id AS VARCHAR(32))"
        " AND e.action = 'need.fulfil')"
        " WHERE status IN ('fulfilled', 'closed')")
    op.execute("UPDATE needs SET fulfilled_at = status_changed_at"
               " WHERE status = 'fulfilled' AND fulfilled_at IS NULL")


def downgrade():
    with op.batch_alter_table('needs', schema=None) as batch_op:
        batch_op.drop_column('fulfilled_at')
    op.drop_table('balance_county_now')
    op.drop_index('ix_balance_region_months_level', table_name='balance_region_months')
    op.drop_table('balance_region_months')
    op.drop_table('balance_cells')
    op.drop_table('balance_state')
