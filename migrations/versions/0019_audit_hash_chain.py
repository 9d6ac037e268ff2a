"""audit hash chain: seq, prev_hash, hash; indexes for the search page; chain existing rows

Revision ID: 0019
Revises: 0017
Create Date: 2026-11-29 16:20:00

Every committed audit event gets a position (``seq``, unique) and a sha256 link to the event
before it (marketplace/audit/chain.py), so an edited, deleted or reordered row is detected by
``flask audit verify``. The events already there are chained here in id order, the order they
were written in. The search page reads an object's history, an actor's events and a region's
events by date: three composite indexes replace the single-column ones on object_type,
object_id, actor_id and region_code, which they cover.
"""
import sqlalchemy as sa
from alembic import op

from marketplace.audit import chain

# revision identifiers, used by Alembic.
revision = '0019'
down_revision = '0017'
branch_labels = None
depends_on = None

CHUNK = 5000


def upgrade():
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('seq', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('prev_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('hash', sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_audit_events_seq'), ['seq'])
        batch_op.drop_index('ix_audit_events_object_id')
        batch_op.drop_index('ix_audit_events_object_type')
        batch_op.drop_index('ix_audit_events_actor_id')
        batch_op.drop_index('ix_audit_events_region_code')
        batch_op.create_index('ix_audit_events_object', ['object_type', 'object_id', 'seq'],
                              unique=False)
        batch_op.create_index('ix_audit_events_actor_at', ['actor_id', 'at'], unique=False)
        batch_op.create_index('ix_audit_events_region_at', ['region_code', 'at'], unique=False)
    _chain_existing(op.get_bind())


def _chain_existing(conn):
    """Number and link the existing events in id order (streamed in chunks by id)."""
    events = sa.table(
        'audit_events', sa.column('id', sa.Integer()), sa.column('seq', sa.BigInteger()),
        sa.column('prev_hash', sa.String()), sa.column('hash', sa.String()),
        sa.column('at', sa.DateTime(timezone=True)), sa.column('actor_id', sa.Integer()),
        sa.column('actor_role', sa.String()), sa.column('action', sa.String()),
        sa.column('object_type', sa.String()), sa.column('object_id', sa.String()),
        sa.column('region_code', sa.String()), sa.column('note', sa.Text()),
        sa.column('before', sa.JSON()), sa.column('after', sa.JSON()))
    columns = [events.c.id, *(events.c[name] for name in chain.FIELDS if name != 'seq')]
    stmt = (sa.update(events).where(events.c.id == sa.bindparam('_id'))
            .values(seq=sa.bindparam('_seq'), prev_hash=sa.bindparam('_prev'),
                    hash=sa.bindparam('_hash')))
    seq, prev, last_id = 0, chain.GENESIS, None
    while True:
        query = sa.select(*columns).order_by(events.c.id).limit(CHUNK)
        if last_id is not None:
            query = query.where(events.c.id > last_id)
        rows = conn.execute(query).all()
        if not rows:
            return
        params = []
        for row in rows:
            seq += 1
            fields = chain.fields_of(row)
            fields['seq'] = seq
            digest = chain.link(prev, fields)
            params.append({'_id': row.id, '_seq': seq, '_prev': prev, '_hash': digest})
            prev = digest
        conn.execute(stmt, params)
        last_id = rows[-1].id


def downgrade():
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_events_region_at')
        batch_op.drop_index('ix_audit_events_actor_at')
        batch_op.drop_index('ix_audit_events_object')
        batch_op.create_index('ix_audit_events_region_code', ['region_code'], unique=False)
        batch_op.create_index('ix_audit_events_actor_id', ['actor_id'], unique=False)
        batch_op.create_index('ix_audit_events_object_type', ['object_type'], unique=False)
        batch_op.create_index('ix_audit_events_object_id', ['object_id'], unique=False)
        batch_op.drop_constraint(batch_op.f('uq_audit_events_seq'), type_='unique')
        batch_op.drop_column('hash')
        batch_op.drop_column('prev_hash')
        batch_op.drop_column('seq')
