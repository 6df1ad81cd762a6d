"""parcel stages: when a parcel last left a hub and when it reached its delivery facility

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27 05:10:00.000000

"""
from collections.abc import Sequence
from typing import Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0006'
down_revision: Union[str, Sequence[str], None] = '0005'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table('shipment_states', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_hub_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('at_facility_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('shipment_states', schema=None) as batch_op:
        batch_op.drop_column('at_facility_at')
        batch_op.drop_column('last_hub_at')
