"""Shared League of Legends data layer: models, database access, queries and schemas."""
