"""index audit_events (action, seq) in place of (action)

Revision ID: 0022
Revises: 0021
Create Date: 2026-11-29 17:00:00

The audit search lists an action's events newest first (ORDER BY seq DESC). With only an
index on the action, a rare action in a wide scope was found by walking the whole chain
backwards: up to 1.8 s on 5 million events; walking (action, seq) backwards takes the newest
matches directly (docs/benchmarks.md). The new index covers the old one's lookups too.
"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.create_index('ix_audit_events_action_seq', ['action', 'seq'], unique=False)
        batch_op.drop_index('ix_audit_events_action')


def downgrade():
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.create_index('ix_audit_events_action', ['action'], unique=False)
        batch_op.drop_index('ix_audit_events_action_seq')
