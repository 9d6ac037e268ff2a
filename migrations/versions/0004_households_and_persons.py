"""households and persons (household registry)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 02:44:37.776668

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('households',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('region_code', sa.String(length=12), nullable=False),
    sa.Column('county_code', sa.String(length=6), nullable=False),
    sa.Column('address_detail', sa.Text(), nullable=True),
    sa.Column('groups', sa.JSON(), nullable=False),
    sa.Column('status', sa.Enum('active', 'archived', name='householdstatus', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_households_created_by_id_users')),
    sa.ForeignKeyConstraint(['region_code'], ['regions.code'], name=op.f('fk_households_region_code_regions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_households'))
    )
    with op.batch_alter_table('households', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_households_county_code'), ['county_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_households_created_by_id'), ['created_by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_households_region_code'), ['region_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_households_status'), ['status'], unique=False)

    op.create_table('persons',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('household_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('sex', sa.Enum('male', 'female', name='sex', native_enum=False, create_constraint=True, length=8), nullable=False),
    sa.Column('birth_date', sa.Date(), nullable=False),
    sa.Column('relation', sa.Enum('head', 'spouse', 'child', 'child_in_law', 'grandchild', 'parent', 'parent_in_law', 'grandparent', 'sibling', 'other', name='relation', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('id_number', sa.Text(), nullable=False),
    sa.Column('id_hash', sa.String(length=64), nullable=False),
    sa.Column('phone', sa.Text(), nullable=True),
    sa.Column('disability_type', sa.Enum('visual', 'hearing', 'speech', 'physical', 'intellectual', 'mental', 'multiple', name='disabilitytype', native_enum=False, create_constraint=True, length=16), nullable=True),
    sa.Column('disability_grade', sa.Integer(), nullable=True),
    sa.Column('health', sa.Enum('healthy', 'chronic_illness', 'serious_illness', name='health', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('work_ability', sa.Enum('full', 'partial', 'none', name='workability', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('schooling', sa.Enum('not_applicable', 'preschool', 'primary', 'junior_secondary', 'senior_secondary', 'vocational', 'higher', 'out_of_school', name='schooling', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.CheckConstraint('disability_grade IS NULL OR disability_grade BETWEEN 1 AND 4', name=op.f('ck_persons_disability_grade_range')),
    sa.ForeignKeyConstraint(['household_id'], ['households.id'], name=op.f('fk_persons_household_id_households'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_persons')),
    sa.UniqueConstraint('id_hash', name=op.f('uq_persons_id_hash'))
    )
    with op.batch_alter_table('persons', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_persons_household_id'), ['household_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_persons_name'), ['name'], unique=False)


def downgrade():
    with op.batch_alter_table('persons', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_persons_name'))
        batch_op.drop_index(batch_op.f('ix_persons_household_id'))

    op.drop_table('persons')
    with op.batch_alter_table('households', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_households_status'))
        batch_op.drop_index(batch_op.f('ix_households_region_code'))
        batch_op.drop_index(batch_op.f('ix_households_created_by_id'))
        batch_op.drop_index(batch_op.f('ix_households_county_code'))

    op.drop_table('households')
