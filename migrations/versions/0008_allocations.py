"""allocations: merges the needs and supply branches and creates the allocations table

Revision ID: 0008
Revises: 0005, 0006
Create Date: 2026-11-29 02:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = ('0005', '0006')
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('allocations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('offer_id', sa.Integer(), nullable=False),
    sa.Column('need_line_id', sa.Integer(), nullable=False),
    sa.Column('quantity', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('status', sa.Enum('pledged', 'proposed', 'accepted', 'declined', 'expired', 'delivered', 'confirmed', 'cancelled', name='allocationstatus', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('source', sa.Enum('pledge', 'matching', name='allocationsource', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('region_code', sa.String(length=12), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('quantity > 0', name=op.f('ck_allocations_quantity_positive')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_allocations_created_by_id_users')),
    sa.ForeignKeyConstraint(['need_line_id'], ['need_lines.id'], name=op.f('fk_allocations_need_line_id_need_lines')),
    sa.ForeignKeyConstraint(['offer_id'], ['offers.id'], name=op.f('fk_allocations_offer_id_offers')),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_allocations_organization_id_organizations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_allocations'))
    )
    with op.batch_alter_table('allocations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_allocations_need_line_id'), ['need_line_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_allocations_offer_id'), ['offer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_allocations_organization_id'), ['organization_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_allocations_region_code'), ['region_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_allocations_status'), ['status'], unique=False)


def downgrade():
    with op.batch_alter_table('allocations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_allocations_status'))
        batch_op.drop_index(batch_op.f('ix_allocations_region_code'))
        batch_op.drop_index(batch_op.f('ix_allocations_organization_id'))
        batch_op.drop_index(batch_op.f('ix_allocations_offer_id'))
        batch_op.drop_index(batch_op.f('ix_allocations_need_line_id'))

    op.drop_table('allocations')
