"""Durable background jobs: a transactional outbox in the database and the worker that runs it."""
