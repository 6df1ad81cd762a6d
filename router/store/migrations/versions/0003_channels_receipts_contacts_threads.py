"""channels: inbound receipts, contacts, thread refs, provider delivery status

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 02:00:00.000000

"""
from collections.abc import Sequence
from typing import Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0003'
down_revision: Union[str, Sequence[str], None] = '0002'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('contacts',
    sa.Column('channel', sa.String(length=64), nullable=False),
    sa.Column('address', sa.String(length=320), nullable=False),
    sa.Column('opted_out', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('opted_out_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_inbound_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('channel', 'address', name=op.f('pk_contacts'))
    )
    op.create_table('inbound_receipts',
    sa.Column('event_id', sa.String(length=512), nullable=False),
    sa.Column('channel', sa.String(length=64), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('event_id', name=op.f('pk_inbound_receipts'))
    )
    with op.batch_alter_table('inbound_receipts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inbound_receipts_received_at'), ['received_at'], unique=False)

    op.create_table('thread_refs',
    sa.Column('channel', sa.String(length=64), nullable=False),
    sa.Column('ref', sa.String(length=998), nullable=False),
    sa.Column('conversation_key', sa.String(length=512), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('channel', 'ref', name=op.f('pk_thread_refs'))
    )
    with op.batch_alter_table('thread_refs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_thread_refs_conversation_key'), ['conversation_key'], unique=False)

    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('provider_status', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('provider_status_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index('ix_deliveries_channel_provider_id', ['channel', 'provider_message_id'], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.drop_index('ix_deliveries_channel_provider_id')
        batch_op.drop_column('provider_status_at')
        batch_op.drop_column('provider_status')

    with op.batch_alter_table('thread_refs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_thread_refs_conversation_key'))

    op.drop_table('thread_refs')
    with op.batch_alter_table('inbound_receipts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inbound_receipts_received_at'))

    op.drop_table('inbound_receipts')
    op.drop_table('contacts')
