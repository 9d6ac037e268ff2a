"""matching_runs: the status and stage "committing" (approval as a background job)

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-29 13:45:00.000000

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None

STATUSES = ('queued', 'running', 'done', 'failed', 'committed', 'discarded')
STAGES = ('building', 'solving', 'storing')


def _checks(batch_op, statuses, stages):
    """Replace the enums' CHECK constraints (batch mode: SQLite rebuilds the table)."""
    batch_op.drop_constraint(batch_op.f('ck_matching_runs_runstatus'), type_='check')
    batch_op.drop_constraint(batch_op.f('ck_matching_runs_runstage'), type_='check')
    listed = ", ".join(f"'{s}'" for s in statuses)
    batch_op.create_check_constraint('runstatus', f"status IN ({listed})")
    listed = ", ".join(f"'{s}'" for s in stages)
    batch_op.create_check_constraint('runstage', f"stage IN ({listed})")


def upgrade():
    with op.batch_alter_table('matching_runs', schema=None) as batch_op:
        _checks(batch_op, STATUSES + ('committing',), STAGES + ('committing',))


def downgrade():
    # Runs caught mid-approval go back to waiting for a decision: nothing was allocated.
    op.execute("UPDATE matching_runs SET status = 'done', stage = NULL "
               "WHERE status = 'committing'")
    op.execute("UPDATE matching_runs SET stage = NULL WHERE stage = 'committing'")
    with op.batch_alter_table('matching_runs', schema=None) as batch_op:
        _checks(batch_op, STATUSES, STAGES)
