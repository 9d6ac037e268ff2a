"""Merge the three branches of issue 7 (balance summaries, audit hash chain, contract
evaluations), written side by side from 0017; no schema change.

Revision ID: 0021
Revises: 0018, 0019, 0020
Create Date: 2026-11-29 16:32:06.683195

"""
# revision identifiers, used by Alembic.
revision = '0021'
down_revision = ('0018', '0019', '0020')
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
