"""organisation profile: credit code, fundraising qualification, qualifications, suspension, pending changes

Revision ID: 0009
Revises: 0003
Create Date: 2026-11-29 02:48:19.826326

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    # Server defaults fill the rows of organisations registered before the profile existed.
    with op.batch_alter_table('organizations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('credit_code', sa.String(length=18), nullable=True))
        batch_op.add_column(sa.Column('public_fundraising', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('fundraising_certificate_no', sa.String(length=64), server_default='', nullable=False))
        batch_op.add_column(sa.Column('fundraising_certified_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('qualifications', sa.JSON(), server_default=sa.text("'[]'"), nullable=False))
        batch_op.add_column(sa.Column('suspended_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('suspension_reason', sa.Text(), server_default='', nullable=False))
        batch_op.add_column(sa.Column('pending_changes', sa.JSON(none_as_null=True), nullable=True))
        batch_op.add_column(sa.Column('pending_changes_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_organizations_credit_code'), ['credit_code'])
        batch_op.create_check_constraint(batch_op.f('ck_organizations_fundraising_charity_only'),
                                         "NOT public_fundraising OR type = 'charity'")


def downgrade():
    with op.batch_alter_table('organizations', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_organizations_fundraising_charity_only'), type_='check')
        batch_op.drop_constraint(batch_op.f('uq_organizations_credit_code'), type_='unique')
        batch_op.drop_column('pending_changes_at')
        batch_op.drop_column('pending_changes')
        batch_op.drop_column('suspension_reason')
        batch_op.drop_column('suspended_at')
        batch_op.drop_column('qualifications')
        batch_op.drop_column('fundraising_certified_on')
        batch_op.drop_column('fundraising_certificate_no')
        batch_op.drop_column('public_fundraising')
        batch_op.drop_column('credit_code')
