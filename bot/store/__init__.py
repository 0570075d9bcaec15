"""Persistence: SQLAlchemy models, Alembic migrations and the work-order service API.

Callers use bot/store/orders.py; bot/store/db.py makes engines and sessions.
"""
