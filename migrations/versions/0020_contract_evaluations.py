"""contract evaluations (绩效评价)

Revision ID: 0020
Revises: 0017
Create Date: 2026-11-29 16:20:00

One row per evaluation an oversight officer saves for a purchase contract: the indicators
computed at that date (a JSON snapshot), the weights, the per-indicator scores, the weighted
score and its grade; published rows appear on the provider's public page.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0020'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('contract_evaluations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contract_id', sa.Integer(), nullable=False),
    sa.Column('region_code', sa.String(length=12), nullable=False),
    sa.Column('provider_id', sa.Integer(), nullable=False),
    sa.Column('as_of', sa.Date(), nullable=False),
    sa.Column('indicators', sa.JSON(), nullable=False),
    sa.Column('weights', sa.JSON(), nullable=False),
    sa.Column('scores', sa.JSON(), nullable=False),
    sa.Column('score', sa.Numeric(precision=5, scale=2), nullable=False),
    sa.Column('grade', sa.Enum('excellent', 'good', 'pass', 'fail', name='grade', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('evaluated_by_id', sa.Integer(), nullable=True),
    sa.Column('evaluated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('published', sa.Boolean(), nullable=False),
    sa.CheckConstraint('score BETWEEN 0 AND 100', name=op.f('ck_contract_evaluations_score_range')),
    sa.ForeignKeyConstraint(['contract_id'], ['contracts.id'], name=op.f('fk_contract_evaluations_contract_id_contracts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['evaluated_by_id'], ['users.id'], name=op.f('fk_contract_evaluations_evaluated_by_id_users')),
    sa.ForeignKeyConstraint(['provider_id'], ['organizations.id'], name=op.f('fk_contract_evaluations_provider_id_organizations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contract_evaluations'))
    )
    with op.batch_alter_table('contract_evaluations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contract_evaluations_contract_id'), ['contract_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_contract_evaluations_provider_id'), ['provider_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_contract_evaluations_region_code'), ['region_code'], unique=False)


def downgrade():
    with op.batch_alter_table('contract_evaluations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contract_evaluations_region_code'))
        batch_op.drop_index(batch_op.f('ix_contract_evaluations_provider_id'))
        batch_op.drop_index(batch_op.f('ix_contract_evaluations_contract_id'))

    op.drop_table('contract_evaluations')
