"""initial schema: organisations, estates, work orders, their events, escalations

Timestamps are sa.DateTime(timezone=True): the application reads and writes them through
bot.store.types.AwareDateTime (UTC in the database, Asia/Shanghai in Python); the migration
does not import application code so that it keeps working when the models change.

Revision ID: 0001
Revises: 
Create Date: 2026-11-22

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision: str = '0001'
down_revision: Union[str, Sequence[str], None] = None
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('organisations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('type', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('level', sa.String(length=20), nullable=True),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('phone', sa.String(length=20), nullable=True),
    sa.Column('contact_name', sa.String(length=100), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['parent_id'], ['organisations.id'], name=op.f('fk_organisations_parent_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_organisations')),
    sa.UniqueConstraint('type', 'name', name=op.f('uq_organisations_type_name'))
    )
    op.create_index(op.f('ix_organisations_type'), 'organisations', ['type'], unique=False)

    op.create_table('estates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('aliases', sa.JSON(), nullable=False),
    sa.Column('district', sa.String(length=50), nullable=True),
    sa.Column('address', sa.String(length=300), nullable=True),
    sa.Column('property_project_id', sa.Integer(), nullable=True),
    sa.Column('owners_committee_id', sa.Integer(), nullable=True),
    sa.Column('grid_worker_id', sa.Integer(), nullable=True),
    sa.Column('community_id', sa.Integer(), nullable=True),
    sa.Column('street_office_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['community_id'], ['organisations.id'], name=op.f('fk_estates_community_id_organisations')),
    sa.ForeignKeyConstraint(['grid_worker_id'], ['organisations.id'], name=op.f('fk_estates_grid_worker_id_organisations')),
    sa.ForeignKeyConstraint(['owners_committee_id'], ['organisations.id'], name=op.f('fk_estates_owners_committee_id_organisations')),
    sa.ForeignKeyConstraint(['property_project_id'], ['organisations.id'], name=op.f('fk_estates_property_project_id_organisations')),
    sa.ForeignKeyConstraint(['street_office_id'], ['organisations.id'], name=op.f('fk_estates_street_office_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_estates')),
    sa.UniqueConstraint('name', name=op.f('uq_estates_name'))
    )
    op.create_table('work_orders',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=24), nullable=False),
    sa.Column('number_day', sa.Date(), nullable=False),
    sa.Column('number_seq', sa.Integer(), nullable=False),
    sa.Column('external_id', sa.String(length=100), nullable=True),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('conversation_id', sa.String(length=200), nullable=True),
    sa.Column('contact_masked', sa.String(length=20), nullable=True),
    sa.Column('contact_hash', sa.String(length=64), nullable=True),
    sa.Column('estate_id', sa.Integer(), nullable=True),
    sa.Column('estate_text', sa.String(length=200), nullable=True),
    sa.Column('building', sa.String(length=50), nullable=True),
    sa.Column('unit', sa.String(length=50), nullable=True),
    sa.Column('room', sa.String(length=50), nullable=True),
    sa.Column('category', sa.String(length=40), nullable=False),
    sa.Column('secondary', sa.JSON(), nullable=False),
    sa.Column('urgency', sa.String(length=20), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('assignee_org_id', sa.Integer(), nullable=True),
    sa.Column('assignee_level', sa.String(length=40), nullable=True),
    sa.Column('route_reason', sa.Text(), nullable=True),
    sa.Column('route_item_id', sa.String(length=100), nullable=True),
    sa.Column('profile', sa.String(length=100), nullable=True),
    sa.Column('due_respond', sa.DateTime(timezone=True), nullable=True),
    sa.Column('due_onsite', sa.DateTime(timezone=True), nullable=True),
    sa.Column('due_resolve', sa.DateTime(timezone=True), nullable=True),
    sa.Column('due_reply', sa.DateTime(timezone=True), nullable=True),
    sa.Column('calendar_source', sa.String(length=20), nullable=True),
    sa.Column('calendar_note', sa.Text(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('linked_order_id', sa.Integer(), nullable=True),
    sa.Column('satisfaction', sa.Integer(), nullable=True),
    sa.Column('satisfaction_comment', sa.Text(), nullable=True),
    sa.Column('reopen_count', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('satisfaction IS NULL OR (satisfaction BETWEEN 1 AND 5)', name=op.f('ck_work_orders_satisfaction_range')),
    sa.ForeignKeyConstraint(['assignee_org_id'], ['organisations.id'], name=op.f('fk_work_orders_assignee_org_id_organisations')),
    sa.ForeignKeyConstraint(['estate_id'], ['estates.id'], name=op.f('fk_work_orders_estate_id_estates')),
    sa.ForeignKeyConstraint(['linked_order_id'], ['work_orders.id'], name=op.f('fk_work_orders_linked_order_id_work_orders')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_work_orders')),
    sa.UniqueConstraint('external_id', name=op.f('uq_work_orders_external_id')),
    sa.UniqueConstraint('number', name=op.f('uq_work_orders_number')),
    sa.UniqueConstraint('number_day', 'number_seq', name=op.f('uq_work_orders_number_day_number_seq'))
    )
    op.create_index(op.f('ix_work_orders_contact_hash'), 'work_orders', ['contact_hash'], unique=False)
    op.create_index(op.f('ix_work_orders_conversation_id'), 'work_orders', ['conversation_id'], unique=False)
    op.create_index(op.f('ix_work_orders_estate_id_category_created_at'), 'work_orders', ['estate_id', 'category', 'created_at'], unique=False)
    op.create_index(op.f('ix_work_orders_status'), 'work_orders', ['status'], unique=False)

    op.create_table('conversation_escalations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('conversation_id', sa.String(length=200), nullable=False),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['work_orders.id'], name=op.f('fk_conversation_escalations_order_id_work_orders')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_conversation_escalations'))
    )
    op.create_index(op.f('ix_conversation_escalations_conversation_id'), 'conversation_escalations', ['conversation_id'], unique=False)
    op.create_index(op.f('ix_conversation_escalations_status'), 'conversation_escalations', ['status'], unique=False)

    op.create_table('work_order_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=100), nullable=False),
    sa.Column('action', sa.String(length=40), nullable=False),
    sa.Column('from_status', sa.String(length=20), nullable=True),
    sa.Column('to_status', sa.String(length=20), nullable=True),
    sa.Column('detail', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['order_id'], ['work_orders.id'], name=op.f('fk_work_order_events_order_id_work_orders')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_work_order_events'))
    )
    op.create_index(op.f('ix_work_order_events_order_id'), 'work_order_events', ['order_id'], unique=False)



def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index(op.f('ix_work_order_events_order_id'), table_name='work_order_events')

    op.drop_table('work_order_events')
    op.drop_index(op.f('ix_conversation_escalations_status'), table_name='conversation_escalations')
    op.drop_index(op.f('ix_conversation_escalations_conversation_id'), table_name='conversation_escalations')

    op.drop_table('conversation_escalations')
    op.drop_index(op.f('ix_work_orders_status'), table_name='work_orders')
    op.drop_index(op.f('ix_work_orders_estate_id_category_created_at'), table_name='work_orders')
    op.drop_index(op.f('ix_work_orders_conversation_id'), table_name='work_orders')
    op.drop_index(op.f('ix_work_orders_contact_hash'), table_name='work_orders')

    op.drop_table('work_orders')
    op.drop_table('estates')
    op.drop_index(op.f('ix_organisations_type'), table_name='organisations')

    op.drop_table('organisations')
