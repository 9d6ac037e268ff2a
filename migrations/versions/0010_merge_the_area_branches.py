"""merge the area branches

Revision ID: 0010
Revises: 0007, 0008, 0009
Create Date: 2026-11-29 03:10:43.729393

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = ('0007', '0008', '0009')
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
