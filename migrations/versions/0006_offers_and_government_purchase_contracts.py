"""offers and government purchase contracts (lines, targets, status history)

Revision ID: 0006
Revises: 0003
Create Date: 2026-11-29 02:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('contracts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=160), nullable=False),
    sa.Column('region_code', sa.String(length=12), nullable=False),
    sa.Column('provider_id', sa.Integer(), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('budget', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('status', sa.Enum('draft', 'signed', 'active', 'ended', 'terminated', name='contractstatus', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('overlap_reason', sa.Text(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('budget > 0', name=op.f('ck_contracts_budget_positive')),
    sa.CheckConstraint('period_end >= period_start', name=op.f('ck_contracts_period_order')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_contracts_created_by_id_users')),
    sa.ForeignKeyConstraint(['provider_id'], ['organizations.id'], name=op.f('fk_contracts_provider_id_organizations')),
    sa.ForeignKeyConstraint(['region_code'], ['regions.code'], name=op.f('fk_contracts_region_code_regions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contracts'))
    )
    with op.batch_alter_table('contracts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contracts_provider_id'), ['provider_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_contracts_region_code'), ['region_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_contracts_status'), ['status'], unique=False)

    op.create_table('contract_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contract_id', sa.Integer(), nullable=False),
    sa.Column('service_type_id', sa.Integer(), nullable=False),
    sa.Column('unit_price', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('quantity', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.CheckConstraint('quantity > 0', name=op.f('ck_contract_lines_quantity_positive')),
    sa.CheckConstraint('unit_price > 0', name=op.f('ck_contract_lines_unit_price_positive')),
    sa.ForeignKeyConstraint(['contract_id'], ['contracts.id'], name=op.f('fk_contract_lines_contract_id_contracts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['service_type_id'], ['service_types.id'], name=op.f('fk_contract_lines_service_type_id_service_types')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contract_lines')),
    sa.UniqueConstraint('contract_id', 'service_type_id', name='uq_contract_lines_service')
    )
    with op.batch_alter_table('contract_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contract_lines_contract_id'), ['contract_id'], unique=False)

    op.create_table('contract_status_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contract_id', sa.Integer(), nullable=False),
    sa.Column('from_status', sa.Enum('draft', 'signed', 'active', 'ended', 'terminated', name='from_status', native_enum=False, create_constraint=True, length=16), nullable=True),
    sa.Column('to_status', sa.Enum('draft', 'signed', 'active', 'ended', 'terminated', name='to_status', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_contract_status_changes_actor_id_users')),
    sa.ForeignKeyConstraint(['contract_id'], ['contracts.id'], name=op.f('fk_contract_status_changes_contract_id_contracts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contract_status_changes'))
    )
    with op.batch_alter_table('contract_status_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contract_status_changes_contract_id'), ['contract_id'], unique=False)

    op.create_table('contract_targets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contract_id', sa.Integer(), nullable=False),
    sa.Column('metric', sa.Enum('hours_delivered', 'households_served', 'satisfaction_rate', 'response_time_hours', name='targetmetric', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('target', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.CheckConstraint('target >= 0', name=op.f('ck_contract_targets_target_not_negative')),
    sa.ForeignKeyConstraint(['contract_id'], ['contracts.id'], name=op.f('fk_contract_targets_contract_id_contracts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contract_targets')),
    sa.UniqueConstraint('contract_id', 'metric', name='uq_contract_targets_metric')
    )
    with op.batch_alter_table('contract_targets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contract_targets_contract_id'), ['contract_id'], unique=False)

    op.create_table('offers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('funds', 'goods', 'services', name='linekind', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('category', sa.String(length=32), nullable=True),
    sa.Column('categories', sa.JSON(), nullable=False),
    sa.Column('goods_item_id', sa.Integer(), nullable=True),
    sa.Column('service_type_id', sa.Integer(), nullable=True),
    sa.Column('capacity', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('regions', sa.JSON(), nullable=False),
    sa.Column('qualifications', sa.JSON(), nullable=False),
    sa.Column('groups', sa.JSON(), nullable=False),
    sa.Column('unit_price', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('valid_until', sa.Date(), nullable=True),
    sa.Column('status', sa.Enum('draft', 'open', 'withdrawn', name='offerstatus', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('funds_source', sa.Enum('own_funds', 'campaign', name='fundssource', native_enum=False, create_constraint=True, length=16), nullable=True),
    sa.Column('campaign_record_no', sa.String(length=64), nullable=False),
    sa.Column('pickup_region_code', sa.String(length=12), nullable=True),
    sa.Column('expiry_date', sa.Date(), nullable=True),
    sa.Column('condition', sa.Enum('new', 'used', name='goodscondition', native_enum=False, create_constraint=True, length=8), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('contract_line_id', sa.Integer(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('withdrawn_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('capacity > 0', name=op.f('ck_offers_capacity_positive')),
    sa.CheckConstraint('unit_price IS NULL OR unit_price >= 0', name=op.f('ck_offers_unit_price_not_negative')),
    sa.CheckConstraint('valid_until IS NULL OR valid_until >= valid_from', name=op.f('ck_offers_valid_period')),
    sa.ForeignKeyConstraint(['contract_line_id'], ['contract_lines.id'], name=op.f('fk_offers_contract_line_id_contract_lines')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_offers_created_by_id_users')),
    sa.ForeignKeyConstraint(['goods_item_id'], ['goods_items.id'], name=op.f('fk_offers_goods_item_id_goods_items')),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_offers_organization_id_organizations')),
    sa.ForeignKeyConstraint(['pickup_region_code'], ['regions.code'], name=op.f('fk_offers_pickup_region_code_regions')),
    sa.ForeignKeyConstraint(['service_type_id'], ['service_types.id'], name=op.f('fk_offers_service_type_id_service_types')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_offers')),
    sa.UniqueConstraint('contract_line_id', name=op.f('uq_offers_contract_line_id'))
    )
    with op.batch_alter_table('offers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_offers_category'), ['category'], unique=False)
        batch_op.create_index(batch_op.f('ix_offers_kind'), ['kind'], unique=False)
        batch_op.create_index(batch_op.f('ix_offers_organization_id'), ['organization_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_offers_status'), ['status'], unique=False)


def downgrade():
    with op.batch_alter_table('offers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_offers_status'))
        batch_op.drop_index(batch_op.f('ix_offers_organization_id'))
        batch_op.drop_index(batch_op.f('ix_offers_kind'))
        batch_op.drop_index(batch_op.f('ix_offers_category'))

    op.drop_table('offers')
    with op.batch_alter_table('contract_targets', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contract_targets_contract_id'))

    op.drop_table('contract_targets')
    with op.batch_alter_table('contract_status_changes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contract_status_changes_contract_id'))

    op.drop_table('contract_status_changes')
    with op.batch_alter_table('contract_lines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contract_lines_contract_id'))

    op.drop_table('contract_lines')
    with op.batch_alter_table('contracts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contracts_status'))
        batch_op.drop_index(batch_op.f('ix_contracts_region_code'))
        batch_op.drop_index(batch_op.f('ix_contracts_provider_id'))

    op.drop_table('contracts')
